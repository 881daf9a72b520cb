//! Exercise 9-2: two futures awaited one after the other, or both at once.
extern crate futures;

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

/// A leaf future that is `Pending` once (waking its task), then ready.
pub struct YieldOnce {
    yielded: bool,
}

pub fn yield_once() -> YieldOnce {
    YieldOnce { yielded: false }
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

/// Listing 9-1's checksum: it keeps a 4 KiB block across its `.await`.
pub async fn checksum_late() -> u32 {
    let block = [7u8; 4096];
    yield_once().await;
    block.iter().map(|&byte| u32::from(byte)).sum()
}

// ANCHOR: question
/// One checksum, then the other.
pub async fn in_sequence() -> u32 {
    let a = checksum_late().await;
    let b = checksum_late().await;
    a + b
}

/// Both checksums at once.
pub async fn joined() -> u32 {
    let (a, b) = futures::join!(checksum_late(), checksum_late());
    a + b
}
// ANCHOR_END: question

// ANCHOR: solution
fn main() {
    println!("one checksum: {} bytes", size_of_val(&checksum_late()));
    println!("in sequence:  {} bytes", size_of_val(&in_sequence()));
    println!("joined:       {} bytes", size_of_val(&joined()));
}
// ANCHOR_END: solution

/// Polls `future` until it is ready (every leaf here wakes its task).
pub fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_futures_are_side_by_side() {
        assert_eq!(run(in_sequence()), run(joined()));
        let one = size_of_val(&checksum_late());
        // In sequence, one child future at a time: a state holds one of them.
        assert!(size_of_val(&in_sequence()) < 2 * one);
        // Joined, both children are alive at once: the state holds both.
        assert!(size_of_val(&joined()) >= 2 * one);
    }
}
