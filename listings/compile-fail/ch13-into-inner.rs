use std::marker::PhantomPinned;
use std::pin::Pin;
struct Waiting {
    numbers: [u32; 4],
    _pinned: PhantomPinned,
}
fn new() -> Pin<Box<Waiting>> {
    Box::pin(Waiting { numbers: [10, 20, 30, 40], _pinned: PhantomPinned })
}
// ANCHOR: shown
fn main() {
    let pinned = new();
    let waiting: Box<Waiting> = Pin::into_inner(pinned);
    println!("{:?}", waiting.numbers);
}
// ANCHOR_END: shown
