//! Exercise 5-2: the one-shot channel of Listing 5-2, where dropping the sender
//! without sending wakes the receiver with an error instead of leaving it
//! waiting forever.
extern crate futures;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;

struct Shared<T> {
    value: Option<T>,
    /// Set when the sender is gone; after that no value can arrive.
    closed: bool,
    waker: Option<Waker>,
}

pub struct Sender<T> {
    shared: Arc<Mutex<Shared<T>>>,
}

pub struct Receiver<T> {
    shared: Arc<Mutex<Shared<T>>>,
}

/// The error a receiver gets when the sender was dropped without sending.
#[derive(Debug, PartialEq)]
pub struct Canceled;

pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Mutex::new(Shared {
        value: None,
        closed: false,
        waker: None,
    }));
    let sender = Sender {
        shared: Arc::clone(&shared),
    };
    (sender, Receiver { shared })
}

impl<T> Sender<T> {
    pub fn send(self, value: T) {
        self.shared.lock().unwrap().value = Some(value);
        // `self` is dropped here, and `drop` below does the waking.
    }
}

impl<T> Drop for Sender<T> {
    /// Runs whether or not a value was sent: either way the receiver has
    /// something to learn.
    fn drop(&mut self) {
        let waker = {
            let mut shared = self.shared.lock().unwrap();
            shared.closed = true;
            shared.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, Canceled>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut shared = self.shared.lock().unwrap();
        if let Some(value) = shared.value.take() {
            Poll::Ready(Ok(value))
        } else if shared.closed {
            Poll::Ready(Err(Canceled))
        } else {
            shared.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

fn main() {
    let (sender, receiver) = channel();
    thread::spawn(move || sender.send(42));
    println!("sent: {:?}", futures::executor::block_on(receiver));

    let (sender, receiver) = channel::<u32>();
    thread::spawn(move || drop(sender));
    println!("dropped: {:?}", futures::executor::block_on(receiver));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Runs `receiver` with `block_on` on its own thread, lets `sender_does`
    /// act on the sender after the receiver's first `Pending`, and returns the
    /// result if it came within 10 s.
    fn receive_after<F>(sender_does: F) -> Option<Result<u32, Canceled>>
    where
        F: FnOnce(Sender<u32>),
    {
        let (sender, mut receiver) = channel();
        let (polled_tx, polled_rx) = mpsc::channel();
        let (done_tx, done_rx) = mpsc::channel();
        thread::spawn(move || {
            let result =
                futures::executor::block_on(std::future::poll_fn(|cx| {
                    let poll = Pin::new(&mut receiver).poll(cx);
                    let _ = polled_tx.send(());
                    poll
                }));
            let _ = done_tx.send(result);
        });
        polled_rx.recv().unwrap();
        sender_does(sender);
        done_rx.recv_timeout(Duration::from_secs(10)).ok()
    }

    #[test]
    fn a_sent_value_arrives() {
        assert_eq!(receive_after(|sender| sender.send(5)), Some(Ok(5)));
    }

    #[test]
    fn a_dropped_sender_wakes_the_receiver_with_an_error() {
        assert_eq!(receive_after(drop), Some(Err(Canceled)));
    }
}
