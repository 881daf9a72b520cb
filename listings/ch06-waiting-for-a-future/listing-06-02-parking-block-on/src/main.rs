//! A `block_on` that sleeps: it parks its thread after `Pending`, and the waker
//! unparks it.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

// ANCHOR: thread_waker
/// The waker of a thread that sleeps in `block_on`: waking it unparks that
/// thread.
struct ThreadWaker {
    thread: Thread,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.thread.unpark();
    }

    // Without this, `wake_by_ref` would clone the `Arc` and call `wake`;
    // unparking needs no clone.
    fn wake_by_ref(self: &Arc<Self>) {
        self.thread.unpark();
    }
}
// ANCHOR_END: thread_waker

// ANCHOR: block_on
/// Runs `future` to completion on the current thread, sleeping while it is
/// pending.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker {
        thread: thread::current(),
    }));
    let mut cx = Context::from_waker(&waker);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            // Sleep until the waker unparks this thread. If it has done so
            // already (even during the poll), `park` returns at once: the
            // wake-up is kept, not lost. `park` may also return for no reason;
            // then we poll once more, which does no harm.
            Poll::Pending => thread::park(),
        }
    }
}
// ANCHOR_END: block_on

/// The countdown of Listing 5-1, which wakes itself before each `Pending`.
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

// ANCHOR: main
fn main() {
    let (sender, receiver) = oneshot::channel();
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        sender.send(42);
    });
    println!("received {}", block_on(receiver));
    println!("countdown: {}", block_on(Countdown { remaining: 3 }));
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
