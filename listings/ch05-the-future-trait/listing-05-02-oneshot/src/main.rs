//! A one-shot channel whose receiver is a future that stores its waker before
//! it says `Pending`.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;

// ANCHOR: channel
/// What the two ends of the channel share.
struct Shared<T> {
    /// The value, once it has been sent and until it is received.
    value: Option<T>,
    /// The waker of whoever polled the receiver last and was told `Pending`.
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
// ANCHOR_END: channel

// ANCHOR: send
impl<T> Sender<T> {
    /// Sends the value and wakes the receiver's task, if it is waiting.
    pub fn send(self, value: T) {
        let waker = {
            let mut shared = self.shared.lock().unwrap();
            shared.value = Some(value);
            shared.waker.take()
        };
        // The lock is released before we wake: the woken task may poll at once,
        // and its poll needs the lock.
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}
// ANCHOR_END: send

// ANCHOR: receive
impl<T> Future for Receiver<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut shared = self.shared.lock().unwrap();
        match shared.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                // Before saying `Pending`, leave the waker where the sender
                // will find it. Checking for the value and storing the waker
                // happen under one lock, so a `send` cannot slip in between
                // them.
                shared.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
// ANCHOR_END: receive

/// A waker that counts how many times it was woken (as in Listing 5-1).
#[derive(Default)]
struct CountingWaker {
    wakes: AtomicUsize,
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

// ANCHOR: main
fn main() {
    let counter = Arc::new(CountingWaker::default());
    let waker = Waker::from(Arc::clone(&counter));
    let mut cx = Context::from_waker(&waker);
    let wakes = || counter.wakes.load(Ordering::SeqCst);

    let (sender, mut receiver) = channel();
    let first = Pin::new(&mut receiver).poll(&mut cx);
    println!("first poll: {first:?} (wakes so far: {})", wakes());

    // Another thread sends; we wait for it to finish so that the output is
    // always the same.
    thread::spawn(move || sender.send("hello")).join().unwrap();
    println!("after the send: wakes so far: {}", wakes());

    let second = Pin::new(&mut receiver).poll(&mut cx);
    println!("second poll: {second:?}");
}
// ANCHOR_END: main
