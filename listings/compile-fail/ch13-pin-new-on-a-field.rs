use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

// ANCHOR: shown
/// Counts the polls of the future it wraps.
struct Counted<F> {
    inner: F,
    polls: u32,
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        this.polls += 1;
        Pin::new(&mut this.inner).poll(cx)
    }
}
// ANCHOR_END: shown

fn main() {}
