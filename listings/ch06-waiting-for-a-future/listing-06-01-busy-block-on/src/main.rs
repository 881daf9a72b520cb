//! `block_on` by busy-polling: a waker that does nothing, and a loop that polls
//! until the future is ready.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

// ANCHOR: block_on
/// Runs `future` to completion on the current thread by polling it again and
/// again.
pub fn block_on<F: Future>(future: F) -> F::Output {
    // `poll` wants a `Pin<&mut F>`. The `pin!` macro makes one by fixing the
    // future in this stack frame; Part IV explains why `poll` insists on it.
    let mut future = pin!(future);
    // This loop never sleeps, so it needs no waking: a waker that does nothing
    // will do.
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // Not ready: ask again, at once.
    }
}
// ANCHOR_END: block_on

// ANCHOR: main
fn main() {
    let (sender, receiver) = oneshot::channel();
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        sender.send(42);
    });
    println!("received {}", block_on(receiver));
}
// ANCHOR_END: main

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
