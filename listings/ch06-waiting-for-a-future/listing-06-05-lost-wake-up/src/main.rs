//! A lost wake-up: a `block_on` whose waker notifies a condition variable that
//! nobody is waiting on yet, and the same `block_on` fixed with a flag.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use job::{Job, Outcome};

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
/// returning `Pending`. It also passes on the waker it was polled with, so
/// that the caller can wake it again.
struct Countdown {
    remaining: u32,
    waker_out: mpsc::Sender<Waker>,
}

impl Future for Countdown {
    type Output = &'static str;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Self::Output> {
        let _ = self.waker_out.send(cx.waker().clone());
        if self.remaining == 0 {
            return Poll::Ready("liftoff");
        }
        self.remaining -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

// ANCHOR: start_countdown
/// Runs a countdown with `block_on` as a job on a thread of its own. Returns
/// the job and the waker of the countdown's first poll.
fn start_countdown(
    block_on: fn(Countdown) -> &'static str,
) -> (Job<&'static str>, Waker) {
    let (waker_out, waker) = mpsc::channel();
    let job = Job::start(move || {
        block_on(Countdown {
            remaining: 1,
            waker_out,
        })
    });
    let waker = waker.recv().expect("the countdown was never polled");
    (job, waker)
}

/// Wakes a stuck job's future again. A notification helps only if it comes
/// while `block_on_lossy` waits, which a job still running after its time
/// limit surely does by now; so the first wake-up should do. The loop is
/// only there so that a very busy machine cannot make a liar of this.
fn wake_again(
    job: &mut Job<&'static str>,
    waker: &Waker,
) -> Outcome<&'static str> {
    for _ in 0..100 {
        waker.wake_by_ref();
        if let Outcome::Finished(output) = job.wait(Duration::from_millis(100))
        {
            return Outcome::Finished(output);
        }
    }
    Outcome::StillRunning
}
// ANCHOR_END: start_countdown

// ANCHOR: main
fn main() {
    let limit = Duration::from_millis(200);
    let (mut job, waker) = start_countdown(block_on_lossy);
    println!("block_on_lossy, after {limit:?}: {:?}", job.wait(limit));
    let outcome = wake_again(&mut job, &waker);
    println!("block_on_lossy, woken again while it waits: {outcome:?}");
    let (mut job, _) = start_countdown(block_on_flag);
    let outcome = job.wait(Duration::from_secs(10));
    println!("block_on_flag: {outcome:?}");
}
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lossy_block_on_misses_a_wake_up_during_poll() {
        let (mut job, waker) = start_countdown(block_on_lossy);
        assert_eq!(job.wait(Duration::from_secs(1)), Outcome::StillRunning);
        // The lost wake-up was all that was wrong: one that comes while
        // `block_on_lossy` waits, and the countdown finishes.
        assert_eq!(wake_again(&mut job, &waker), Outcome::Finished("liftoff"));
    }

    #[test]
    fn the_flag_block_on_keeps_it() {
        let (mut job, _) = start_countdown(block_on_flag);
        let outcome = job.wait(Duration::from_secs(10));
        assert_eq!(outcome, Outcome::Finished("liftoff"));
    }
}

/// The `Job` of Listing 5-3: a job on a thread of its own, waited for with a
/// time limit, which tells a hang from a panic.
mod job {
    use std::panic;
    use std::sync::mpsc::{self, RecvTimeoutError};
    use std::thread::{self, JoinHandle};
    use std::time::Duration;

    /// What became of a job on another thread when we stopped waiting for it.
    #[derive(Debug, PartialEq)]
    pub enum Outcome<T> {
        Finished(T),
        StillRunning,
    }

    /// A job on a thread of its own, which may never finish.
    pub struct Job<T> {
        done: mpsc::Receiver<T>,
        thread: Option<JoinHandle<()>>,
    }

    impl<T: Send + 'static> Job<T> {
        pub fn start(job: impl FnOnce() -> T + Send + 'static) -> Self {
            let (done_tx, done) = mpsc::channel();
            let thread = thread::spawn(move || {
                let _ = done_tx.send(job());
            });
            Job {
                done,
                thread: Some(thread),
            }
        }

        /// Waits at most `limit`. Only the time running out means "still
        /// running". A job that panicked passes its panic on to us instead: a
        /// panic is not a hang.
        pub fn wait(&mut self, limit: Duration) -> Outcome<T> {
            match self.done.recv_timeout(limit) {
                Ok(output) => Outcome::Finished(output),
                Err(RecvTimeoutError::Timeout) => Outcome::StillRunning,
                Err(RecvTimeoutError::Disconnected) => {
                    let thread =
                        self.thread.take().expect("waited after a panic");
                    let panic =
                        thread.join().expect_err("it ended without a result");
                    panic::resume_unwind(panic)
                }
            }
        }
    }
}
