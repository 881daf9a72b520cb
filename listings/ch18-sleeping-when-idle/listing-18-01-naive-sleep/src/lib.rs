//! An executor that sleeps when no task is ready, on a condition variable and
//! a flag. It has a race: a wake-up can slip in between "the queue is empty"
//! and "go to sleep".

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Wake, Waker};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct TaskId(u64);

struct Task {
    future: Pin<Box<dyn Future<Output = ()>>>,
    waker: Waker,
}

// ANCHOR: shared
/// What the executor shares with the wakers of its tasks.
struct Shared {
    ready: Mutex<VecDeque<TaskId>>,
    /// Set by every wake-up; the executor sleeps until it is set.
    woken: Mutex<bool>,
    wake_up: Condvar,
}

struct TaskWaker {
    id: TaskId,
    shared: Arc<Shared>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.shared.ready.lock().unwrap().push_back(self.id);
        *self.shared.woken.lock().unwrap() = true;
        self.shared.wake_up.notify_one();
    }
}
// ANCHOR_END: shared

pub struct Executor {
    tasks: HashMap<TaskId, Task>,
    shared: Arc<Shared>,
    next_id: u64,
}

impl Default for Executor {
    fn default() -> Self {
        Executor::new()
    }
}

impl Executor {
    pub fn new() -> Self {
        let shared = Shared {
            ready: Mutex::new(VecDeque::new()),
            woken: Mutex::new(false),
            wake_up: Condvar::new(),
        };
        Executor {
            tasks: HashMap::new(),
            shared: Arc::new(shared),
            next_id: 0,
        }
    }

    pub fn spawn(&mut self, future: impl Future<Output = ()> + 'static) {
        let id = TaskId(self.next_id);
        self.next_id += 1;
        let shared = Arc::clone(&self.shared);
        let waker = Waker::from(Arc::new(TaskWaker { id, shared }));
        let future = Box::pin(future);
        self.tasks.insert(id, Task { future, waker });
        self.shared.ready.lock().unwrap().push_back(id);
    }

    fn poll_task(&mut self, id: TaskId) {
        let Some(task) = self.tasks.get_mut(&id) else {
            return;
        };
        let mut cx = Context::from_waker(&task.waker);
        if task.future.as_mut().poll(&mut cx).is_ready() {
            self.tasks.remove(&id);
        }
    }

    // ANCHOR: run
    /// Polls tasks until all have finished, sleeping while none is ready.
    pub fn run(&mut self) {
        while !self.tasks.is_empty() {
            let next = self.shared.ready.lock().unwrap().pop_front();
            match next {
                Some(id) => self.poll_task(id),
                None => {
                    preemption_point();
                    self.sleep_until_woken();
                }
            }
        }
    }

    /// Sleeps until a waker sets `woken`. (Broken: see the text.)
    fn sleep_until_woken(&self) {
        let mut woken = self.shared.woken.lock().unwrap();
        *woken = false;
        while !*woken {
            woken = self.shared.wake_up.wait(woken).unwrap();
        }
    }
    // ANCHOR_END: run
}

// ANCHOR: preemption_point
/// The worst moment for this thread to lose the CPU: after "no task is ready",
/// before "sleep". Test builds give the CPU away here on purpose, for a few
/// microseconds, so that the stress test meets the race in a few rounds
/// rather than once in a long while.
fn preemption_point() {
    #[cfg(test)]
    std::thread::sleep(std::time::Duration::from_micros(10));
}
// ANCHOR_END: preemption_point

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::panic;
    use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
    use std::sync::mpsc;
    use std::task::Poll;
    use std::thread;
    use std::time::{Duration, Instant};

    // ANCHOR: doorbell
    /// A signal from another thread: `ring` sets it and wakes the task
    /// that waits in `rung`.
    #[derive(Default)]
    struct Doorbell {
        state: Mutex<(bool, Option<Waker>)>,
    }

    impl Doorbell {
        fn ring(&self) {
            let waker = {
                let mut state = self.state.lock().unwrap();
                state.0 = true;
                state.1.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        }

        /// Ready once the bell has rung (and then resets it).
        async fn rung(&self) {
            poll_fn(|cx| {
                let mut state = self.state.lock().unwrap();
                if state.0 {
                    state.0 = false;
                    Poll::Ready(())
                } else {
                    state.1 = Some(cx.waker().clone());
                    Poll::Pending
                }
            })
            .await
        }
    }
    // ANCHOR_END: doorbell

    // ANCHOR: ping_pong
    /// Where the executor got stuck: the first ring it left unanswered,
    /// and what it takes to see whether one more wake-up frees it.
    struct Stuck {
        round: u64,
        waker: Waker,
        answered: Arc<AtomicU64>,
    }

    /// Rings the bell of a task `rounds` times, each time waiting
    /// until the task has answered. Returns where the executor got stuck,
    /// if a ring went unanswered for `patience`.
    fn ping_pong(rounds: u64, patience: Duration) -> Result<(), Stuck> {
        let bell = Arc::new(Doorbell::default());
        let answered = Arc::new(AtomicU64::new(0));
        let (task_bell, task_answered) =
            (Arc::clone(&bell), Arc::clone(&answered));
        let (waker_tx, waker_rx) = mpsc::channel();
        let executor_thread = thread::spawn(move || {
            let mut executor = Executor::new();
            executor.spawn(async move {
                let waker = poll_fn(|cx| Poll::Ready(cx.waker().clone())).await;
                waker_tx.send(waker).unwrap();
                for _ in 0..rounds {
                    task_bell.rung().await;
                    task_answered.fetch_add(1, SeqCst);
                }
            });
            executor.run();
        });
        let waker = waker_rx.recv().expect("the task never started");
        'rounds: for round in 0..rounds {
            bell.ring();
            // Spin rather than block: the next ring should come the
            // moment the task answers.
            let deadline = Instant::now() + patience;
            while answered.load(SeqCst) == round {
                if executor_thread.is_finished() {
                    break 'rounds; // done, or a panic: see below
                }
                if Instant::now() > deadline {
                    // The executor thread sleeps on, maybe forever.
                    return Err(Stuck {
                        round,
                        waker,
                        answered,
                    });
                }
            }
        }
        // A panic on the executor's thread is not the hang this test
        // looks for: pass it on as it is.
        if let Err(panic) = executor_thread.join() {
            panic::resume_unwind(panic);
        }
        assert_eq!(answered.load(SeqCst), rounds, "`run` returned early");
        Ok(())
    }
    // ANCHOR_END: ping_pong

    // ANCHOR: test
    #[test]
    fn the_naive_executor_gets_stuck() {
        let Err(stuck) = ping_pong(1_000, Duration::from_millis(500)) else {
            panic!("the race did not show up in 1 000 rounds");
        };
        // The lost wake-up is all that was wrong: one more, and the
        // task answers the ring it had missed.
        stuck.waker.wake();
        let deadline = Instant::now() + Duration::from_secs(10);
        while stuck.answered.load(SeqCst) == stuck.round {
            assert!(Instant::now() < deadline, "one more wake-up did not help");
            thread::yield_now();
        }
    }
    // ANCHOR_END: test
}
