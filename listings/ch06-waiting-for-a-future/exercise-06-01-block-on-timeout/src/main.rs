//! Exercise 6-1: a `block_on` that gives up after a time limit, with
//! `park_timeout`.

use std::future::{self, Future};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

struct ThreadWaker {
    thread: Thread,
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.thread.unpark();
    }
}

/// Runs `future` on this thread until it is ready (`Some`) or `limit` has
/// passed (`None`).
pub fn block_on_timeout<F: Future>(
    future: F,
    limit: Duration,
) -> Option<F::Output> {
    let deadline = Instant::now() + limit;
    let mut future = pin!(future);
    let waker = Waker::from(Arc::new(ThreadWaker {
        thread: thread::current(),
    }));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return Some(output);
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        // Returns when unparked, when the time is up, or (rarely) for no reason
        // at all; each case is handled by going round the loop again.
        thread::park_timeout(deadline - now);
    }
}

fn main() {
    let limit = Duration::from_millis(50);
    let never = block_on_timeout(future::pending::<u32>(), limit);
    println!("never ready, {} ms limit: {never:?}", limit.as_millis());
    let at_once = block_on_timeout(future::ready(5), limit);
    println!("ready at once: {at_once:?}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic;
    use std::sync::mpsc::{self, RecvTimeoutError};

    /// Runs `job` on its own thread and returns its result, unless it takes
    /// over 10 s. A panic on that thread is passed on as it is.
    fn within_10_s<T: Send + 'static>(
        job: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        let (done_tx, done_rx) = mpsc::channel();
        let thread = thread::spawn(move || {
            let _ = done_tx.send(job());
        });
        match done_rx.recv_timeout(Duration::from_secs(10)) {
            Ok(output) => output,
            Err(RecvTimeoutError::Disconnected) => {
                panic::resume_unwind(thread.join().unwrap_err())
            }
            Err(RecvTimeoutError::Timeout) => panic!("block_on_timeout hung"),
        }
    }

    #[test]
    fn a_future_that_never_finishes_times_out() {
        let (result, waited) = within_10_s(|| {
            let started = Instant::now();
            let result = block_on_timeout(
                future::pending::<()>(),
                Duration::from_millis(30),
            );
            (result, started.elapsed())
        });
        assert_eq!(result, None);
        assert!(waited >= Duration::from_millis(30));
    }

    #[test]
    fn a_value_from_another_thread_arrives_in_time() {
        let result = within_10_s(|| {
            let (sender, receiver) = oneshot::channel();
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(10));
                sender.send("hello");
            });
            block_on_timeout(receiver, Duration::from_secs(5))
        });
        assert_eq!(result, Some("hello"));
    }
}
#[cfg(test)]
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
