//! `Fuse`: a future that may be polled after it finished, and answers
//! `Pending` forever.
extern crate futures;

use futures::executor::block_on;
use futures::future::{FusedFuture, FutureExt};
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

async fn answer() -> u32 {
    42
}

/// A leaf future that is `Pending` once (waking its task), then ready.
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

/// Waits `n` times, then returns `n`.
async fn count_to(n: u32) -> u32 {
    for _ in 0..n {
        YieldOnce { yielded: false }.await;
    }
    n
}

fn main() {
    // ANCHOR: by_hand
    let mut cx = Context::from_waker(Waker::noop());
    let mut fused = pin!(answer().fuse());
    for poll in 1..=3 {
        let result = fused.as_mut().poll(&mut cx);
        let done = fused.is_terminated();
        println!("poll {poll}: {result:?}, terminated: {done}");
    }
    // ANCHOR_END: by_hand

    // ANCHOR: select_loop
    block_on(async {
        let mut fast = pin!(count_to(1).fuse());
        let mut slow = pin!(count_to(3).fuse());
        // Each turn of the loop polls every branch that is not terminated
        // (first to last), and runs the arm of the first one to be ready.
        loop {
            futures::select_biased! {
                n = fast => println!("fast finished after {n} wait"),
                n = slow => println!("slow finished after {n} waits"),
                complete => break,
            }
        }
        println!(
            "both terminated: {}",
            fast.is_terminated() && slow.is_terminated()
        );
    });
    // ANCHOR_END: select_loop
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_once_then_pending_for_ever() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut fused = pin!(answer().fuse());
        assert!(!fused.is_terminated());
        assert_eq!(fused.as_mut().poll(&mut cx), Poll::Ready(42));
        for _ in 0..100 {
            // The `async fn` inside is not polled again, so nothing panics.
            assert_eq!(fused.as_mut().poll(&mut cx), Poll::Pending);
            assert!(fused.is_terminated());
        }
    }
}
