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
    let mut a = new();
    let mut b = new();
    std::mem::swap(&mut *a, &mut *b);
}
// ANCHOR_END: shown
