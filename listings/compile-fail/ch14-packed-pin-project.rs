extern crate pin_project_lite;
// ANCHOR: shown
use pin_project_lite::pin_project;

pin_project! {
    #[repr(packed)]
    struct CountPolls<F> {
        #[pin]
        inner: F,
        polls: u32,
    }
}
// ANCHOR_END: shown
fn main() {}
