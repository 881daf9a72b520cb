//! A chain of relays, each a future that passes a number on. With `block_on`,
//! every relay needs a thread of its own; on one thread the chain stalls.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use job::Job;
use oneshot::{Receiver, Sender};
use parking::block_on;

// ANCHOR: relay
/// A stage of a pipeline: waits for a number, then passes on that number plus
/// one. Like every future, it does nothing unless somebody polls it.
struct Relay {
    input: Receiver<u32>,
    output: Option<Sender<u32>>,
}

impl Future for Relay {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match Pin::new(&mut self.input).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(number) => {
                let output =
                    self.output.take().expect("relay polled after it finished");
                output.send(number + 1);
                Poll::Ready(())
            }
        }
    }
}
// ANCHOR_END: relay

/// Builds `n` relays in a row: the sender into the first, the relays, and the
/// receiver out of the last.
fn chain(n: usize) -> (Sender<u32>, Vec<Relay>, Receiver<u32>) {
    let (first, mut input) = oneshot::channel();
    let mut relays = Vec::with_capacity(n);
    for _ in 0..n {
        let (output, next_input) = oneshot::channel();
        relays.push(Relay {
            input,
            output: Some(output),
        });
        input = next_input;
    }
    (first, relays, input)
}

// ANCHOR: thread_each
/// Runs every relay with `block_on` on a thread of its own, and waits for the
/// end of the chain on the current thread.
fn run_with_a_thread_each(n: usize) -> u32 {
    let (first, relays, last) = chain(n);
    for relay in relays {
        thread::spawn(move || block_on(relay));
    }
    first.send(0);
    block_on(last)
}
// ANCHOR_END: thread_each

// ANCHOR: one_thread
/// Runs the chain on a single thread, as a job that waits for the end of the
/// chain.
fn run_on_one_thread(n: usize) -> Job<u32> {
    let (first, relays, last) = chain(n);
    Job::start(move || {
        first.send(0);
        // The thread is now inside `block_on(last)` until `last` is ready. The
        // relays are right here, but no one is left to poll them.
        let result = block_on(last);
        drop(relays);
        result
    })
}
// ANCHOR_END: one_thread

// ANCHOR: main
fn main() {
    let n = 1000;
    let number = run_with_a_thread_each(n);
    println!("{n} relays, a thread each: the number came out as {number}");

    let limit = Duration::from_millis(200);
    let outcome = run_on_one_thread(n).wait(limit);
    println!("{n} relays, one thread, after {limit:?}: {outcome:?}");
}
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::*;
    use job::Outcome;

    #[test]
    fn a_thread_per_relay_gets_the_number_through() {
        let outcome = Job::start(|| run_with_a_thread_each(100))
            .wait(Duration::from_secs(10));
        assert_eq!(outcome, Outcome::Finished(100));
    }

    #[test]
    fn one_thread_for_the_whole_chain_stalls() {
        let outcome = run_on_one_thread(2).wait(Duration::from_secs(1));
        assert_eq!(outcome, Outcome::StillRunning);
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

/// The one-shot channel of Listing 5-2.
mod oneshot {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Waker};

    struct Shared<T> {
        value: Option<T>,
        waker: Option<Waker>,
    }

    pub struct Sender<T> {
        shared: Arc<Mutex<Shared<T>>>,
    }

    pub struct Receiver<T> {
        shared: Arc<Mutex<Shared<T>>>,
    }

    pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
        let shared = Arc::new(Mutex::new(Shared {
            value: None,
            waker: None,
        }));
        let sender = Sender {
            shared: Arc::clone(&shared),
        };
        (sender, Receiver { shared })
    }

    impl<T> Sender<T> {
        pub fn send(self, value: T) {
            let waker = {
                let mut shared = self.shared.lock().unwrap();
                shared.value = Some(value);
                shared.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    impl<T> Future for Receiver<T> {
        type Output = T;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
            let mut shared = self.shared.lock().unwrap();
            match shared.value.take() {
                Some(value) => Poll::Ready(value),
                None => {
                    shared.waker = Some(cx.waker().clone());
                    Poll::Pending
                }
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
