//! The one-shot channel of Listing 5-2 next to a receiver that forgets to store
//! its waker, and a check, with a time limit, of which of the two ever
//! finishes.
extern crate futures;

use futures::executor::block_on;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex, mpsc};
use std::task::{Context, Poll, Waker};
use std::thread;
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

// ANCHOR: finishes_within
/// Runs a receiver to completion with `block_on` on a thread of its own, sends
/// it a value once it has been polled, and reports whether it finished within
/// `limit`.
fn finishes_within<R>(
    limit: Duration,
    make_channel: fn() -> (Sender<u32>, R),
) -> bool
where
    R: Future<Output = u32> + Unpin + Send + 'static,
{
    let (sender, mut receiver) = make_channel();
    let (polled_tx, polled_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    thread::spawn(move || {
        // `poll_fn` makes a future from a closure; this one polls the receiver
        // and then reports that it did, so that the value is surely sent
        // *after* a `Pending`.
        let value = block_on(poll_fn(|cx| {
            let poll = Pin::new(&mut receiver).poll(cx);
            let _ = polled_tx.send(());
            poll
        }));
        let _ = done_tx.send(value);
    });
    polled_rx.recv().unwrap();
    sender.send(7);
    // A receiver that is never woken never finishes: this thread stops waiting
    // at `limit`, and the other one stays asleep until the process ends.
    done_rx.recv_timeout(limit).is_ok()
}
// ANCHOR_END: finishes_within

// ANCHOR: main
fn main() {
    // The correct receiver finishes within microseconds; ten seconds only
    // guards against a machine that is very busy.
    let finished = finishes_within(Duration::from_secs(10), channel);
    println!("remembering receiver finished: {finished}");

    let limit = Duration::from_millis(200);
    let finished = finishes_within(limit, forgetful_channel);
    println!(
        "forgetful receiver finished within {} ms: {finished}",
        limit.as_millis()
    );
}
// ANCHOR_END: main

// ANCHOR: tests
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remembering_receiver_finishes() {
        assert!(finishes_within(Duration::from_secs(10), channel));
    }

    #[test]
    fn the_forgetful_receiver_never_finishes() {
        assert!(!finishes_within(Duration::from_secs(1), forgetful_channel));
    }
}
// ANCHOR_END: tests
