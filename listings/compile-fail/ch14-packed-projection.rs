// ANCHOR: shown
use std::pin::Pin;

#[repr(packed)]
struct Packed<F> {
    polls: u8,
    inner: F,
}

impl<F> Packed<F> {
    fn project(self: Pin<&mut Self>) -> Pin<&mut F> {
        // SAFETY: not sound for a packed struct, and the compiler says so.
        unsafe { Pin::new_unchecked(&mut self.get_unchecked_mut().inner) }
    }
}
// ANCHOR_END: shown
fn main() {}
