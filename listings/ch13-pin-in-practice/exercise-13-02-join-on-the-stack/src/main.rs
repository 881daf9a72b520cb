//! Exercise 13-2: a `join` that pins both futures on its own stack frame.

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

async fn yield_now() {
    YieldOnce { yielded: false }.await
}

// ANCHOR: solution
/// Runs two futures to the end by polling them in turn, both pinned on this stack
/// frame.
fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = pin!(a);
    let mut b = pin!(b);
    let (mut out_a, mut out_b) = (None, None);
    let mut cx = Context::from_waker(Waker::noop());
    let mut rounds = 0;
    while out_a.is_none() || out_b.is_none() {
        rounds += 1;
        assert!(rounds <= 1000, "the futures should have finished by now");
        if out_a.is_none()
            && let Poll::Ready(output) = a.as_mut().poll(&mut cx)
        {
            out_a = Some(output);
        }
        if out_b.is_none()
            && let Poll::Ready(output) = b.as_mut().poll(&mut cx)
        {
            out_b = Some(output);
        }
    }
    (out_a.unwrap(), out_b.unwrap())
}

async fn count(name: &str, steps: u32) -> u32 {
    let mut total = 0;
    for step in 1..=steps {
        println!("{name} step {step}");
        total += step;
        yield_now().await;
    }
    total
}

fn main() {
    let (a, b) = join(count("a", 3), count("b", 2));
    println!("results: {a} and {b}");
}
// ANCHOR_END: solution
