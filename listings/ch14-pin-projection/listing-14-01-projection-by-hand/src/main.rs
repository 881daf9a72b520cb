//! Pin projection written by hand, with its safety argument.

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

// ANCHOR: struct
/// Wraps a future and counts how often it is polled.
struct CountPolls<F> {
    inner: F,   // structural: pinned whenever the `CountPolls` is pinned
    polls: u32, // not structural: a plain number, never pinned
}
// ANCHOR_END: struct

// ANCHOR: project
impl<F> CountPolls<F> {
    fn new(inner: F) -> Self {
        CountPolls { inner, polls: 0 }
    }

    /// Splits a pinned `CountPolls` into a pinned `inner` and a plain `&mut` to
    /// `polls`.
    fn project(self: Pin<&mut Self>) -> (Pin<&mut F>, &mut u32) {
        // SAFETY: `get_unchecked_mut` asks us not to move the `CountPolls`
        // out of the `&mut`, and we do not: we only split it into fields.
        // `Pin::new_unchecked` asks that `inner` never moves again until it
        // is dropped. The rest of the type keeps that promise:
        // 1. `CountPolls<F>` is `Unpin` only when `F` is (the automatic impl,
        //    no manual one), so safe code cannot `get_mut` its way to `&mut F`;
        // 2. `CountPolls` has no `Drop` impl, which would get `&mut self`;
        // 3. it is not `#[repr(packed)]`, which would move fields to align them;
        // 4. no method moves `inner` out of a pinned `CountPolls`, or gives
        //    out a `&mut F`;
        // 5. nothing overwrites `inner` without dropping it first.
        // `polls` is not structural: a `&mut u32` to it is harmless.
        unsafe {
            let this = self.get_unchecked_mut();
            (Pin::new_unchecked(&mut this.inner), &mut this.polls)
        }
    }
}

impl<F: Future> Future for CountPolls<F> {
    type Output = (F::Output, u32);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (inner, polls) = self.project();
        *polls += 1;
        match inner.poll(cx) {
            Poll::Ready(output) => Poll::Ready((output, *polls)),
            Poll::Pending => Poll::Pending,
        }
    }
}
// ANCHOR_END: project

// ANCHOR: main
async fn greet(name: &str) -> String {
    let greeting = format!("hello, {name}");
    let borrowed = &greeting; // across the awaits below: this future is !Unpin
    YieldOnce { yielded: false }.await;
    YieldOnce { yielded: false }.await;
    borrowed.to_uppercase()
}

fn main() {
    let mut counted = pin!(CountPolls::new(greet("pin")));
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..10 {
        if let Poll::Ready((output, polls)) = counted.as_mut().poll(&mut cx) {
            println!("{output:?} after {polls} polls");
            return;
        }
    }
    panic!("not finished after 10 polls");
}
// ANCHOR_END: main
