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

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<F::Output> {
        self.polls += 1;
        Poll::Pending
    }
}
// ANCHOR_END: shown
fn main() {}
