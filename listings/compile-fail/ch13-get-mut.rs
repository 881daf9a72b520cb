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
    let mut pinned = new();
    let waiting: &mut Waiting = pinned.as_mut().get_mut();
    waiting.numbers[0] = 0;
}
// ANCHOR_END: shown
