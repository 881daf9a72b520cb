use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
struct CountPolls<F> {
    inner: F,
    polls: u32,
}
// ANCHOR: shown
impl<F: Future> Future for CountPolls<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let inner: &mut F = &mut self.inner;
        // SAFETY: none; the line above is already refused.
        unsafe { Pin::new_unchecked(inner) }.poll(cx)
    }
}
// ANCHOR_END: shown
fn main() {}
