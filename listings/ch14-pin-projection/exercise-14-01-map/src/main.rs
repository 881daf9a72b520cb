//! Exercise 14-1: a `Map` combinator for every future, with `pin_project!`.

extern crate pin_project_lite;

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker, ready};

/// Pending on the first poll, ready on the second.
struct YieldOnce {
    yielded: bool,
}

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            Poll::Ready(())
        } else {
            self.yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

// ANCHOR: solution
use pin_project_lite::pin_project;

pin_project! {
    /// Runs `inner`, then hands its output to `f`.
    struct Map<F, G> {
        #[pin]
        inner: F,      // structural: it may be an async block, which must stay put
        f: Option<G>,  // not structural: we even move the closure out of it
    }
}

fn map<F, G>(inner: F, f: G) -> Map<F, G> {
    Map { inner, f: Some(f) }
}

impl<F, G, T> Future for Map<F, G>
where
    F: Future,
    G: FnOnce(F::Output) -> T,
{
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.project();
        assert!(this.f.is_some(), "`Map` polled after it finished");
        let output = ready!(this.inner.poll(cx));
        // Moving out of a field of a pinned struct: fine, `f` is not structural.
        let f = this.f.take().expect("checked above");
        Poll::Ready(f(output))
    }
}
// ANCHOR_END: solution

/// Polls a pinned future until it is ready, at most `limit` times.
fn poll_to_end<F: Future>(mut future: Pin<&mut F>, limit: u32) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..limit {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
    panic!("not ready after {limit} polls");
}

fn main() {
    let text = String::from("pin projection");
    let words = map(
        async {
            let borrowed = &text;
            YieldOnce { yielded: false }.await;
            borrowed.split(' ').count()
        },
        |count| format!("{count} words"),
    );
    println!("{}", poll_to_end(pin!(words), 10));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_output() {
        let future = map(async { 21 }, |n| n * 2);
        assert_eq!(poll_to_end(pin!(future), 10), 42);
    }

    #[test]
    #[should_panic(expected = "polled after it finished")]
    fn panics_when_polled_again() {
        let mut future = pin!(map(std::future::ready(1), |n| n + 1));
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(future.as_mut().poll(&mut cx), Poll::Ready(2));
        let _ = future.as_mut().poll(&mut cx);
    }
}
