//! Exercise 5-1: a timer future, woken by a thread that sleeps until the
//! deadline.
extern crate futures;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

/// What the future and its timer thread share.
struct TimerState {
    fired: bool,
    waker: Option<Waker>,
}

/// A future that is ready once `duration` has passed since it was made.
pub struct Delay {
    deadline: Instant,
    /// `None` until the first `Pending` starts the timer thread.
    state: Option<Arc<Mutex<TimerState>>>,
}

impl Delay {
    pub fn new(duration: Duration) -> Self {
        Delay {
            deadline: Instant::now() + duration,
            state: None,
        }
    }
}

/// Starts a thread that sleeps until `deadline`, then wakes whoever waits.
fn start_timer(deadline: Instant) -> Arc<Mutex<TimerState>> {
    let state = Arc::new(Mutex::new(TimerState {
        fired: false,
        waker: None,
    }));
    let shared = Arc::clone(&state);
    thread::spawn(move || {
        thread::sleep(deadline.saturating_duration_since(Instant::now()));
        let waker = {
            let mut state = shared.lock().unwrap();
            state.fired = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    });
    state
}

impl Future for Delay {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        let deadline = self.deadline;
        let state = self.state.get_or_insert_with(|| start_timer(deadline));
        let mut state = state.lock().unwrap();
        if state.fired {
            return Poll::Ready(());
        }
        // Store the waker of *this* poll, replacing any older one: the future
        // may be polled by a different task (with a different waker) than last
        // time.
        state.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

fn main() {
    let started = Instant::now();
    futures::executor::block_on(Delay::new(Duration::from_millis(20)));
    println!(
        "the delay is over; at least 20 ms passed: {}",
        started.elapsed() >= Duration::from_millis(20)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::task::Wake;

    /// A waker that reports its name on a channel when woken.
    struct NamedWaker {
        name: &'static str,
        woken: mpsc::Sender<&'static str>,
    }

    impl Wake for NamedWaker {
        fn wake(self: Arc<Self>) {
            let _ = self.woken.send(self.name);
        }
    }

    #[test]
    fn block_on_waits_at_least_the_delay() {
        let (done_tx, done_rx) = mpsc::channel();
        thread::spawn(move || {
            let started = Instant::now();
            futures::executor::block_on(Delay::new(Duration::from_millis(50)));
            done_tx.send(started.elapsed()).unwrap();
        });
        let waited = done_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the delay never finished");
        assert!(waited >= Duration::from_millis(50));
    }

    #[test]
    fn only_the_latest_waker_is_woken() {
        let (woken_tx, woken_rx) = mpsc::channel();
        let waker = |name| {
            Waker::from(Arc::new(NamedWaker {
                name,
                woken: woken_tx.clone(),
            }))
        };
        let (first, second) = (waker("first"), waker("second"));

        let mut delay = Delay::new(Duration::from_millis(30));
        let mut poll_with = |waker: &Waker| {
            Pin::new(&mut delay).poll(&mut Context::from_waker(waker))
        };
        assert!(poll_with(&first).is_pending());
        assert!(poll_with(&second).is_pending());

        let woken = woken_rx.recv_timeout(Duration::from_secs(10));
        assert_eq!(woken, Ok("second"));
        assert!(poll_with(&second).is_ready());
        assert!(
            woken_rx.try_recv().is_err(),
            "the first waker was woken too"
        );
    }
}
