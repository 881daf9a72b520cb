//! A lost wake-up: a `block_on` whose waker notifies a condition variable that
//! nobody is waiting on yet, and the same `block_on` fixed with a flag.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

// ANCHOR: lossy
/// A waker that notifies a condition variable.
struct NotifyWaker {
    lock: Mutex<()>,
    condvar: Condvar,
}

impl Wake for NotifyWaker {
    fn wake(self: Arc<Self>) {
        // BUG: a notification reaches only a thread that is waiting *right
        // now*. If none is, it is gone.
        self.condvar.notify_one();
    }
}

/// Like Listing 6-2, but sleeps on a condition variable instead of parking.
pub fn block_on_lossy<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let signal = Arc::new(NotifyWaker {
        lock: Mutex::new(()),
        condvar: Condvar::new(),
    });
    let waker = Waker::from(Arc::clone(&signal));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // A wake-up that came during the poll, or since, was not recorded
        // anywhere: this may wait forever.
        let guard = signal.lock.lock().unwrap();
        drop(signal.condvar.wait(guard).unwrap());
    }
}
// ANCHOR_END: lossy

// ANCHOR: flag
/// A waker that leaves a mark before it notifies.
struct FlagWaker {
    woken: Mutex<bool>,
    condvar: Condvar,
}

impl Wake for FlagWaker {
    fn wake(self: Arc<Self>) {
        *self.woken.lock().unwrap() = true;
        self.condvar.notify_one();
    }
}

pub fn block_on_flag<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let signal = Arc::new(FlagWaker {
        woken: Mutex::new(false),
        condvar: Condvar::new(),
    });
    let waker = Waker::from(Arc::clone(&signal));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        let mut woken = signal.woken.lock().unwrap();
        // Sleep only if no wake-up has come since the flag was last cleared.
        // The loop also goes back to sleep after a spurious return from `wait`.
        while !*woken {
            woken = signal.condvar.wait(woken).unwrap();
        }
        *woken = false;
    }
}
// ANCHOR_END: flag

/// The countdown of Listing 5-1: it wakes itself during `poll`, before
/// returning `Pending`.
struct Countdown {
    remaining: u32,
}

impl Future for Countdown {
    type Output = &'static str;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Self::Output> {
        if self.remaining == 0 {
            return Poll::Ready("liftoff");
        }
        self.remaining -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

// ANCHOR: finishes_within
/// Runs a countdown with `block_on` on a thread of its own; reports whether it
/// finished within `limit`.
fn finishes_within(
    limit: Duration,
    block_on: fn(Countdown) -> &'static str,
) -> bool {
    let (done_tx, done_rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = done_tx.send(block_on(Countdown { remaining: 1 }));
    });
    done_rx.recv_timeout(limit).is_ok()
}
// ANCHOR_END: finishes_within

// ANCHOR: main
fn main() {
    let limit = Duration::from_millis(200);
    let finished = finishes_within(limit, block_on_lossy);
    println!(
        "block_on_lossy finished within {} ms: {finished}",
        limit.as_millis()
    );
    let finished = finishes_within(Duration::from_secs(10), block_on_flag);
    println!("block_on_flag finished: {finished}");
}
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lossy_block_on_misses_a_wake_up_during_poll() {
        assert!(!finishes_within(Duration::from_secs(1), block_on_lossy));
    }

    #[test]
    fn the_flag_block_on_keeps_it() {
        assert!(finishes_within(Duration::from_secs(10), block_on_flag));
    }
}
