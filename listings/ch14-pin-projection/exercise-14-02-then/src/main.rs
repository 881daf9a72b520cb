//! Exercise 14-2: a `Then` combinator as a pinned enum, switched with `Pin::set`.

extern crate pin_project_lite;

use std::cell::RefCell;
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

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
    /// Runs `first`, then the future that `next` makes from its output.
    #[project = ThenProj]
    enum Then<A, B, G> {
        First { #[pin] first: A, next: Option<G> },
        Second { #[pin] second: B },
    }
}

fn then<A, B, G>(first: A, next: G) -> Then<A, B, G> {
    Then::First {
        first,
        next: Some(next),
    }
}

impl<A, B, G> Future for Then<A, B, G>
where
    A: Future,
    B: Future,
    G: FnOnce(A::Output) -> B,
{
    type Output = B::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<B::Output> {
        loop {
            match self.as_mut().project() {
                ThenProj::First { first, next } => {
                    let Poll::Ready(output) = first.poll(cx) else {
                        return Poll::Pending;
                    };
                    let next =
                        next.take().expect("`next` is there until we switch");
                    // `Pin::set` drops the pinned `First` where it is,
                    // then writes `Second` in its place: nothing pinned
                    // is moved.
                    self.set(Then::Second {
                        second: next(output),
                    });
                }
                ThenProj::Second { second } => return second.poll(cx),
            }
        }
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

// ANCHOR: first_future
/// The log the futures below write to.
type Log = RefCell<Vec<&'static str>>;

/// A hand-written first future: pending once, then ready with `20`. It logs
/// when it finishes and when it is dropped. Finishing does not drop it (unlike
/// the locals of an `async` block, which are dropped as the block returns):
/// only its owner can, so the log shows when `Then` does.
struct LoggedFirst<'a> {
    log: &'a Log,
    yielded: bool,
}

impl Future for LoggedFirst<'_> {
    type Output = u32;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        if self.yielded {
            self.log.borrow_mut().push("first future ready");
            Poll::Ready(20)
        } else {
            self.yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

impl Drop for LoggedFirst<'_> {
    fn drop(&mut self) {
        self.log.borrow_mut().push("first future dropped");
    }
}
// ANCHOR_END: first_future

// ANCHOR: main
/// Runs `then(LoggedFirst, …)` to the end and returns the log and the output.
fn run_logged() -> (Vec<&'static str>, u32) {
    let log = &Log::default();
    let chained = then(
        LoggedFirst {
            log,
            yielded: false,
        },
        move |n| async move {
            log.borrow_mut().push("second future runs");
            YieldOnce { yielded: false }.await;
            n + 1
        },
    );
    let output = poll_to_end(pin!(chained), 10);
    log.borrow_mut().push("then returned");
    let events = log.borrow().clone();
    (events, output)
}

fn main() {
    let (events, output) = run_logged();
    for event in events {
        println!("{event}");
    }
    println!("output: {output}");
}
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_two_futures() {
        let future = then(async { 6 }, |n| async move { n * 7 });
        assert_eq!(poll_to_end(pin!(future), 10), 42);
    }

    #[test]
    fn set_drops_the_first_future_before_the_second_runs() {
        let (events, output) = run_logged();
        assert_eq!(
            events,
            [
                "first future ready",
                "first future dropped",
                "second future runs",
                "then returned",
            ]
        );
        assert_eq!(output, 21);
    }
}
