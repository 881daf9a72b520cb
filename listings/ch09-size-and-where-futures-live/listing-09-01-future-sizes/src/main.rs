//! Measures how big some futures are, without running them.
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A leaf future that is `Pending` once (waking its task), then ready: the
/// smallest thing worth an `.await`.
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

// ANCHOR: small
async fn nothing() {}

async fn keeps_a_number() -> u64 {
    let n: u64 = 7;
    yield_once().await;
    n
}
// ANCHOR_END: small

// ANCHOR: states
/// `a` is needed across the first `.await`, `b` across the second.
async fn two_buffers_one_block() -> u8 {
    let a = [1u8; 1000];
    yield_once().await;
    let x = a[999];
    let b = [2u8; 2000];
    yield_once().await;
    x + b[1999]
}

/// The same, but each buffer lives in a block of its own.
async fn two_buffers_two_blocks() -> u8 {
    let x = {
        let a = [1u8; 1000];
        yield_once().await;
        a[999]
    };
    let y = {
        let b = [2u8; 2000];
        yield_once().await;
        b[1999]
    };
    x + y
}
// ANCHOR_END: states

// ANCHOR: checksums
/// The buffer is still needed after the `.await`, so the future keeps it.
async fn checksum_late() -> u32 {
    let block = [7u8; 4096];
    yield_once().await;
    block.iter().map(|&byte| u32::from(byte)).sum()
}

/// Done with the buffer before the `.await`: only the sum is kept.
async fn checksum_early() -> u32 {
    let sum = {
        let block = [7u8; 4096];
        block.iter().map(|&byte| u32::from(byte)).sum()
    };
    yield_once().await;
    sum
}

/// The buffer is on the heap; the future keeps only the `Box`.
async fn checksum_boxed() -> u32 {
    let block = Box::new([7u8; 4096]);
    yield_once().await;
    block.iter().map(|&byte| u32::from(byte)).sum()
}

/// Awaiting a future stores that future, whole, inside this one.
async fn calls_checksum_late() -> u32 {
    checksum_late().await + 1
}
// ANCHOR_END: checksums

// ANCHOR: main
/// Prints a future's source and its size. `size_of_val` only looks at the
/// future: it is never polled, so none of these bodies runs.
macro_rules! show {
    ($future:expr) => {
        println!("{:<26}{:>6}", stringify!($future), size_of_val(&$future))
    };
}

fn main() {
    println!("{:<26}{:>6}", "future", "bytes");
    show!(async {});
    show!(nothing());
    show!(yield_once());
    show!(keeps_a_number());
    show!(two_buffers_one_block());
    show!(two_buffers_two_blocks());
    show!(checksum_late());
    show!(checksum_early());
    show!(checksum_boxed());
    show!(calls_checksum_late());
}
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::*;

    /// Polls a future to the end (every leaf here wakes itself).
    fn run<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
        }
    }

    #[test]
    fn the_three_checksums_agree() {
        let expected = 7 * 4096;
        assert_eq!(run(checksum_late()), expected);
        assert_eq!(run(checksum_early()), expected);
        assert_eq!(run(checksum_boxed()), expected);
        assert_eq!(run(calls_checksum_late()), expected + 1);
    }

    /// `a` is dead in the second state (it is not saved there), but its
    /// storage is still in use, from its `let` to the end of its scope: `b`
    /// cannot have its bytes.
    #[test]
    fn a_dead_variable_in_scope_keeps_its_bytes() {
        assert!(size_of_val(&two_buffers_one_block()) >= 1000 + 2000);

        // The same scopes, but `a` is done with before the first `.await`:
        // it is saved in no state, so it takes no bytes at all.
        async fn done_with_a_before_any_await() -> u8 {
            let a = [1u8; 1000];
            let x = a[999];
            yield_once().await;
            let b = [2u8; 2000];
            yield_once().await;
            x + b[1999]
        }
        assert!(size_of_val(&done_with_a_before_any_await()) < 2000 + 16);

        // Unless `a` has a destructor: it is dropped where its scope ends,
        // and that drop is a use, so `a` is kept across both `.await`s.
        struct Dropped([u8; 1000]);
        impl Drop for Dropped {
            fn drop(&mut self) {
                std::hint::black_box(&self.0);
            }
        }
        async fn a_with_a_destructor() -> u8 {
            let a = Dropped([1u8; 1000]);
            let x = a.0[999];
            yield_once().await;
            let b = [2u8; 2000];
            yield_once().await;
            x + b[1999]
        }
        assert!(size_of_val(&a_with_a_destructor()) >= 1000 + 2000);

        // Moving `a` away ends the use of its storage without a block.
        // (Passing a `Copy` array would only copy it, and change nothing.)
        struct Buffer([u8; 1000]);
        fn take(_buffer: Buffer) {}
        async fn a_moved_away() -> u8 {
            let a = Buffer([1u8; 1000]);
            yield_once().await;
            let x = a.0[999];
            take(a);
            let b = [2u8; 2000];
            yield_once().await;
            x + b[1999]
        }
        assert!(size_of_val(&a_moved_away()) < 2000 + 16);
    }

    /// A state is made for each `.await` the body can reach, not for each
    /// one written: after a `return`, the buffer is never kept.
    #[test]
    fn an_await_the_body_cannot_reach_makes_no_state() {
        #[allow(unreachable_code)]
        async fn returns_before_its_await() -> u8 {
            let a = [1u8; 1000];
            return a[999];
            yield_once().await;
            a[0]
        }
        assert!(size_of_val(&returns_before_its_await()) < 16);
    }

    #[test]
    fn the_largest_state_plus_a_tag_not_the_sum() {
        // One state holds 1000 bytes, the other 2000: not 3000 together.
        assert!(size_of_val(&two_buffers_two_blocks()) < 2000 + 16);
        assert!(size_of_val(&checksum_early()) < 16);
        assert!(size_of_val(&checksum_late()) > 4096);
    }
}
