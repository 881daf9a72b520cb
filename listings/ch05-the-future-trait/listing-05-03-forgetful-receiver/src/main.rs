//! The one-shot channel of Listing 5-2 next to a receiver that forgets to store
//! its waker, and a check, with a time limit, of which of the two ever
//! finishes, and whether one more wake-up is all the other one lacks.
extern crate futures;

use futures::executor::block_on;
use std::future::{Future, poll_fn};
use std::panic;
use std::pin::Pin;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread::{self, JoinHandle};
use std::time::Duration;

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

fn new_shared<T>() -> Arc<Mutex<Shared<T>>> {
    Arc::new(Mutex::new(Shared {
        value: None,
        waker: None,
    }))
}

pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = new_shared();
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

// ANCHOR: forgetful
/// The same channel's receiving end, with a bug.
pub struct ForgetfulReceiver<T> {
    shared: Arc<Mutex<Shared<T>>>,
}

impl<T> Future for ForgetfulReceiver<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<T> {
        let mut shared = self.shared.lock().unwrap();
        match shared.value.take() {
            Some(value) => Poll::Ready(value),
            // BUG: `Pending`, but nobody was told whom to wake when the value
            // arrives.
            None => Poll::Pending,
        }
    }
}
// ANCHOR_END: forgetful

pub fn forgetful_channel<T>() -> (Sender<T>, ForgetfulReceiver<T>) {
    let shared = new_shared();
    let sender = Sender {
        shared: Arc::clone(&shared),
    };
    (sender, ForgetfulReceiver { shared })
}

// ANCHOR: job
/// What became of a job on another thread when we stopped waiting for it.
#[derive(Debug, PartialEq)]
enum Outcome<T> {
    Finished(T),
    StillRunning,
}

/// A job on a thread of its own, which may never finish.
struct Job<T> {
    done: mpsc::Receiver<T>,
    thread: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> Job<T> {
    fn start(job: impl FnOnce() -> T + Send + 'static) -> Self {
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
    fn wait(&mut self, limit: Duration) -> Outcome<T> {
        match self.done.recv_timeout(limit) {
            Ok(output) => Outcome::Finished(output),
            Err(RecvTimeoutError::Timeout) => Outcome::StillRunning,
            Err(RecvTimeoutError::Disconnected) => {
                let thread = self.thread.take().expect("waited after a panic");
                let panic =
                    thread.join().expect_err("it ended without a result");
                panic::resume_unwind(panic)
            }
        }
    }
}
// ANCHOR_END: job

// ANCHOR: start_receiving
/// Runs a receiver to completion with `block_on` as a job of its own, and
/// sends it a value once it has been polled. Returns the job and the waker
/// its first poll was given.
fn start_receiving<R>(
    make_channel: fn() -> (Sender<u32>, R),
) -> (Job<u32>, Waker)
where
    R: Future<Output = u32> + Unpin + Send + 'static,
{
    let (sender, mut receiver) = make_channel();
    let (polled_tx, polled_rx) = mpsc::channel();
    let job = Job::start(move || {
        // `poll_fn` makes a future from a closure; this one polls the receiver
        // and then passes on its waker, so that the value is surely sent
        // *after* a `Pending`.
        block_on(poll_fn(|cx| {
            let poll = Pin::new(&mut receiver).poll(cx);
            let _ = polled_tx.send(cx.waker().clone());
            poll
        }))
    });
    let waker = polled_rx.recv().expect("the receiver was never polled");
    sender.send(7);
    (job, waker)
}
// ANCHOR_END: start_receiving

// ANCHOR: main
fn main() {
    // The correct receiver finishes within microseconds; ten seconds only
    // guards against a machine that is very busy.
    let (mut job, _) = start_receiving(channel);
    let outcome = job.wait(Duration::from_secs(10));
    println!("remembering receiver: {outcome:?}");

    let limit = Duration::from_millis(200);
    let (mut job, waker) = start_receiving(forgetful_channel);
    let outcome = job.wait(limit);
    println!("forgetful receiver, after {limit:?}: {outcome:?}");
    // The value is there; only a wake-up is missing. Give it one.
    waker.wake();
    let outcome = job.wait(Duration::from_secs(10));
    println!("forgetful receiver, after one more wake-up: {outcome:?}");
}
// ANCHOR_END: main

// ANCHOR: tests
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remembering_receiver_finishes() {
        let (mut job, _) = start_receiving(channel);
        assert_eq!(job.wait(Duration::from_secs(10)), Outcome::Finished(7));
    }

    #[test]
    fn the_forgetful_receiver_waits_for_a_wake_up_that_never_comes() {
        let (mut job, waker) = start_receiving(forgetful_channel);
        assert_eq!(job.wait(Duration::from_secs(1)), Outcome::StillRunning);
        // Nothing else was wrong: one more wake-up, and it finishes.
        waker.wake();
        assert_eq!(job.wait(Duration::from_secs(10)), Outcome::Finished(7));
    }
}
// ANCHOR_END: tests
