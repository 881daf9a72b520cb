//! Exercise 11-1: moving a future is harmless before its first poll, which is
//! where the self-reference is made.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
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
/// The body of Listing 11-1's async block, as an `async fn`.
async fn sum_tail(seen: &Cell<usize>) -> u32 {
    let numbers = [10u32, 20, 30, 40];
    let tail = &numbers[1..];
    seen.set(tail.as_ptr().addr());
    YieldOnce { yielded: false }.await;
    tail.iter().sum::<u32>()
}

fn main() {
    let seen = Cell::new(0);
    let future = sum_tail(&seen); // returned from a call: a move
    let moved_again = future; // moved to another local
    let mut boxed = Box::pin(moved_again); // moved to the heap, and pinned there

    let start = (&raw const *boxed).addr();
    let end = start + size_of_val(&*boxed);

    let mut cx = Context::from_waker(Waker::noop());
    println!("first poll: {:?}", boxed.as_mut().poll(&mut cx));
    let inside = (start..end).contains(&seen.get());
    println!("`tail` points inside the boxed future: {inside}");
    println!("second poll: {:?}", boxed.as_mut().poll(&mut cx));
}
// ANCHOR_END: solution
