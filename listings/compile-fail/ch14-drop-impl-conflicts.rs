extern crate pin_project_lite;
// ANCHOR: shown
use pin_project_lite::pin_project;

pin_project! {
    struct CountPolls<F> {
        #[pin]
        inner: F,
        polls: u32,
    }
}

impl<F> Drop for CountPolls<F> {
    fn drop(&mut self) {}
}
// ANCHOR_END: shown
fn main() {}
