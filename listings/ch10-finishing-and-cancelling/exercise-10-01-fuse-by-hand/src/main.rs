//! Exercise 10-1: a `Fuse` of our own.
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

// ANCHOR: solution
/// Wraps a future; once it has finished, answers `Pending` forever and
/// never polls it again.
pub struct MyFuse<F> {
    inner: Option<F>, // `None` once the inner future has finished
}

impl<F> MyFuse<F> {
    pub fn new(inner: F) -> MyFuse<F> {
        MyFuse { inner: Some(inner) }
    }

    pub fn is_terminated(&self) -> bool {
        self.inner.is_none()
    }
}

// Asking for `F: Unpin` keeps this simple: we may then move `F` and use a
// plain `&mut MyFuse<F>`. Part IV shows how to do without it.
impl<F: Future + Unpin> Future for MyFuse<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let Some(inner) = &mut this.inner else {
            return Poll::Pending; // finished before: never poll it again
        };
        let result = Pin::new(inner).poll(cx);
        if result.is_ready() {
            this.inner = None; // drop the finished future right away
        }
        result
    }
}
// ANCHOR_END: solution

async fn answer() -> u32 {
    42
}

fn main() {
    let mut cx = Context::from_waker(Waker::noop());
    // `Box::pin` makes the `async fn` future `Unpin`: the box may move, the
    // future inside it does not.
    let mut fused = pin!(MyFuse::new(Box::pin(answer())));
    for poll in 1..=3 {
        let result = fused.as_mut().poll(&mut cx);
        let done = fused.is_terminated();
        println!("poll {poll}: {result:?}, terminated: {done}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_futures_fuse() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut fused = MyFuse::new(Box::pin(answer()));
        assert!(!fused.is_terminated());
        assert_eq!(Pin::new(&mut fused).poll(&mut cx), Poll::Ready(42));
        for _ in 0..10 {
            // Without the fuse, this would panic: "`async fn` resumed after completion".
            assert_eq!(Pin::new(&mut fused).poll(&mut cx), Poll::Pending);
            assert!(fused.is_terminated());
        }
    }
}
