//! Exercise 6-2: a parking `block_on` that makes its waker once per thread and
//! reuses it.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::Duration;

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

thread_local! {
    /// This thread's waker: made on first use, then shared by every `block_on`
    /// on the thread.
    static WAKER: Waker = Waker::from(Arc::new(ThreadWaker {
        thread: thread::current(),
    }));
}

/// Like Listing 6-2, without an allocation per call.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    WAKER.with(|waker| {
        let mut cx = Context::from_waker(waker);
        loop {
            match future.as_mut().poll(&mut cx) {
                Poll::Ready(output) => return output,
                // A wake-up left over from an earlier call (a waker woken after
                // its future was done) makes this return at once: one extra
                // poll, which does no harm.
                Poll::Pending => thread::park(),
            }
        }
    })
}

/// A future that is ready at once with a clone of the waker it was polled with.
fn current_waker() -> impl Future<Output = Waker> {
    poll_fn(|cx| Poll::Ready(cx.waker().clone()))
}

fn main() {
    let first = block_on(current_waker());
    let second = block_on(current_waker());
    println!("two calls, one waker: {}", first.will_wake(&second));

    let (sender, receiver) = oneshot::channel();
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(10));
        sender.send(42);
    });
    println!("received {}", block_on(receiver));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn every_call_on_a_thread_gets_the_same_waker() {
        let wakers: Vec<Waker> =
            (0..3).map(|_| block_on(current_waker())).collect();
        assert!(wakers.iter().all(|waker| waker.will_wake(&wakers[0])));
    }

    #[test]
    fn another_thread_gets_another_waker() {
        let here = block_on(current_waker());
        let there = thread::spawn(|| block_on(current_waker())).join().unwrap();
        assert!(!here.will_wake(&there));
    }

    #[test]
    fn the_cached_waker_still_wakes() {
        let (done_tx, done_rx) = mpsc::channel();
        thread::spawn(move || {
            for round in 0..3 {
                let (sender, receiver) = oneshot::channel();
                thread::spawn(move || {
                    thread::sleep(Duration::from_millis(5));
                    sender.send(round);
                });
                done_tx.send(block_on(receiver)).unwrap();
            }
        });
        for round in 0..3 {
            assert_eq!(
                done_rx.recv_timeout(Duration::from_secs(10)),
                Ok(round)
            );
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
