//! What the simple executor costs: it polls every waiting task in every round, although
//! the futures say, through their wakers, exactly when polling them is worth it.

extern crate futures;

use futures::channel::oneshot;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::task::{Context, Poll, Wake, Waker};

type Task = Pin<Box<dyn Future<Output = ()>>>;

// ANCHOR: counting
/// A waker shared by all tasks that counts the wake-ups nobody acts on.
#[derive(Default)]
struct WakeCounter {
    wakes: AtomicUsize,
}

impl Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Relaxed);
    }
}

/// What one run of the executor did.
#[derive(Debug, PartialEq)]
struct Stats {
    polls: usize,
    wakes: usize,
}

#[derive(Default)]
struct Executor {
    queue: VecDeque<Task>,
}

impl Executor {
    fn spawn(&mut self, future: impl Future<Output = ()> + 'static) {
        self.queue.push_back(Box::pin(future));
    }

    /// The `run` of Listing 16-1, with a waker that counts instead of the no-op one.
    fn run(&mut self) -> Stats {
        let counter = Arc::new(WakeCounter::default());
        let waker = Waker::from(Arc::clone(&counter));
        let mut cx = Context::from_waker(&waker);
        let mut polls = 0;
        while let Some(mut task) = self.queue.pop_front() {
            polls += 1;
            if task.as_mut().poll(&mut cx).is_pending() {
                self.queue.push_back(task);
            }
        }
        let wakes = counter.wakes.load(Relaxed);
        Stats { polls, wakes }
    }
}
// ANCHOR_END: counting

/// Listing 16-1's future that is pending once, then ready.
struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

// ANCHOR: scenario
/// `waiters` tasks wait for a message that one ticker task sends after `rounds` turns.
fn waiting_for_a_ticker(waiters: usize, rounds: usize) -> Stats {
    let mut executor = Executor::default();
    let (senders, receivers): (Vec<_>, Vec<_>) =
        (0..waiters).map(|_| oneshot::channel::<()>()).unzip();
    executor.spawn(async move {
        for _ in 0..rounds {
            yield_now().await;
        }
        for sender in senders {
            sender.send(()).unwrap();
        }
    });
    for receiver in receivers {
        executor.spawn(async move { receiver.await.unwrap() });
    }
    executor.run()
}

fn main() {
    println!("waiters  rounds  polls  wake-ups  polls needed");
    for (waiters, rounds) in [(1, 10), (10, 10), (100, 10), (100, 100)] {
        let Stats { polls, wakes } = waiting_for_a_ticker(waiters, rounds);
        let needed = 1 + waiters + wakes; // a first poll for each task, then one per wake-up
        println!("{waiters:>7}{rounds:>8}{polls:>7}{wakes:>10}{needed:>14}");
    }
}
// ANCHOR_END: scenario

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;
    use std::time::Duration;

    #[test]
    fn every_task_is_polled_in_every_round() {
        for (waiters, rounds) in [(0, 0), (1, 0), (3, 5), (20, 7)] {
            let stats = waiting_for_a_ticker(waiters, rounds);
            assert_eq!(stats.polls, (1 + waiters) * (rounds + 1));
        }
    }

    #[test]
    fn the_futures_wake_once_per_yield_and_once_per_message() {
        let stats = waiting_for_a_ticker(20, 7);
        assert_eq!(stats.wakes, 7 + 20);
    }

    // ANCHOR: busy
    #[test]
    fn a_task_waiting_for_another_thread_is_polled_without_pause() {
        let (sender, receiver) = oneshot::channel();
        let helper = thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            sender.send(()).unwrap();
        });
        let mut executor = Executor::default();
        executor.spawn(async move { receiver.await.unwrap() });
        let stats = executor.run();
        helper.join().unwrap();
        // Two polls would do: one to start, one after the message. For 50 ms,
        // the executor polls the task as fast as it can instead.
        assert!(stats.polls > 100, "{stats:?}");
    }
    // ANCHOR_END: busy
}
