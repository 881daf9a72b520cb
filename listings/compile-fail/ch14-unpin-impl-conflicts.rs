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

impl<F> Unpin for CountPolls<F> {}
// ANCHOR_END: shown
fn main() {}
