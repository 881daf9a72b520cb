//! The park token belongs to the thread, not to `block_on`: a `poll` that
//! parks the thread itself (a nested `block_on`, a blocking channel receive)
//! can take the token a wake-up left, and the parking `block_on` of Listing
//! 6-2 then sleeps forever. The `block_on` of the `futures` crate keeps a flag
//! of its own and finishes.
extern crate futures;

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use job::Job;

// ANCHOR: blocks_in_poll
/// A future whose first poll is woken (here by the future itself, so that
/// the timing is certain; in a real program, by another thread at any
/// moment) and then waits for something else by blocking the thread.
struct BlocksInPoll {
    polled: bool,
    block: fn(),
}

impl Future for BlocksInPoll {
    type Output = &'static str;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Self::Output> {
        if self.polled {
            return Poll::Ready("done");
        }
        self.polled = true;
        cx.waker().wake_by_ref(); // poll me again
        (self.block)();
        Poll::Pending
    }
}

/// Blocks by calling a synchronous function that uses `block_on` inside.
fn nested_block_on() {
    parking::block_on(Countdown { remaining: 1 });
}

/// Blocks by waiting 10 ms for a message that does not come.
fn channel_receive() {
    let (_sender, receiver) = mpsc::channel::<()>();
    let _ = receiver.recv_timeout(Duration::from_millis(10));
}
// ANCHOR_END: blocks_in_poll

// ANCHOR: start
/// Runs a `BlocksInPoll` with the given `block_on` as a job of its own.
/// Returns the job and the waker of the future's first poll.
fn start(
    block_on: fn(PassesOnItsWaker) -> &'static str,
    block: fn(),
) -> (Job<&'static str>, Waker) {
    let (waker_tx, waker_rx) = mpsc::channel();
    let mut future = BlocksInPoll {
        polled: false,
        block,
    };
    let job = Job::start(move || {
        block_on(Box::pin(poll_fn(move |cx| {
            let _ = waker_tx.send(cx.waker().clone());
            Pin::new(&mut future).poll(cx)
        })))
    });
    let waker = waker_rx.recv().expect("the future was never polled");
    (job, waker)
}

/// The future `start` hands to `block_on`.
type PassesOnItsWaker = Pin<Box<dyn Future<Output = &'static str> + Send>>;
// ANCHOR_END: start

// ANCHOR: main
fn main() {
    let limit = Duration::from_millis(200);
    for (what, block) in [
        ("a nested block_on", nested_block_on as fn()),
        ("a channel receive", channel_receive),
    ] {
        println!("{what} in poll:");
        let (mut job, waker) = start(parking::block_on, block);
        let outcome = job.wait(limit);
        println!("  Listing 6-2's block_on, after {limit:?}: {outcome:?}");
        waker.wake();
        let outcome = job.wait(Duration::from_secs(10));
        println!("  ... after one more wake-up: {outcome:?}");

        let (mut job, _) = start(futures::executor::block_on, block);
        let outcome = job.wait(Duration::from_secs(10));
        println!("  futures::executor::block_on: {outcome:?}");
    }
}
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::*;
    use job::Outcome;

    /// Listing 6-2's `block_on` sleeps on although the future was woken, and
    /// the one wake-up whose token was taken is all it lacks.
    fn loses_the_token(block: fn()) {
        let (mut job, waker) = start(parking::block_on, block);
        assert_eq!(job.wait(Duration::from_secs(1)), Outcome::StillRunning);
        waker.wake();
        assert_eq!(
            job.wait(Duration::from_secs(10)),
            Outcome::Finished("done")
        );
    }

    fn finishes_with_futures(block: fn()) {
        let (mut job, _) = start(futures::executor::block_on, block);
        assert_eq!(
            job.wait(Duration::from_secs(10)),
            Outcome::Finished("done")
        );
    }

    #[test]
    fn a_nested_block_on_takes_the_token_of_listing_6_2() {
        loses_the_token(nested_block_on);
    }

    #[test]
    fn a_channel_receive_takes_the_token_of_listing_6_2() {
        loses_the_token(channel_receive);
    }

    #[test]
    fn futures_block_on_keeps_its_own_flag() {
        finishes_with_futures(nested_block_on);
        finishes_with_futures(channel_receive);
    }
}

/// The countdown of Listing 5-1: it wakes itself before each `Pending`.
struct Countdown {
    remaining: u32,
}

impl Future for Countdown {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.remaining == 0 {
            return Poll::Ready(());
        }
        self.remaining -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// The `block_on` of Listing 6-2: it parks the thread until the waker unparks
/// it.
mod parking {
    use std::future::Future;
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    use std::thread::{self, Thread};

    struct ThreadWaker {
        thread: Thread,
    }

    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.thread.unpark();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            self.thread.unpark();
        }
    }

    pub fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = pin!(future);
        let waker = Waker::from(Arc::new(ThreadWaker {
            thread: thread::current(),
        }));
        let mut cx = Context::from_waker(&waker);
        loop {
            match future.as_mut().poll(&mut cx) {
                Poll::Ready(output) => return output,
                Poll::Pending => thread::park(),
            }
        }
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
