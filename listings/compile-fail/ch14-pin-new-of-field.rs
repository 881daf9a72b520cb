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
        Pin::new(&mut self.inner).poll(cx)
    }
}
// ANCHOR_END: shown
fn main() {}
