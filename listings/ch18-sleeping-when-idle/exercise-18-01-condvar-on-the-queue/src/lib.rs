//! Exercise 18-1: the naive executor of Listing 18-1, fixed with a condition
//! variable that uses the ready queue's own mutex.

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

// ANCHOR: fix
/// What the executor shares with the wakers of its tasks. No flag: the
/// queue is the condition.
struct Shared {
    ready: Mutex<VecDeque<TaskId>>,
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
        self.shared.wake_up.notify_one();
    }
}

impl Executor {
    /// Polls tasks until all have finished, sleeping while none is ready.
    pub fn run(&mut self) {
        while !self.tasks.is_empty() {
            let id = {
                let mut ready = self.shared.ready.lock().unwrap();
                // We hold the lock from the check until `wait` releases it, and
                // a waker needs that lock to push: no wake-up fits in between.
                loop {
                    if let Some(id) = ready.pop_front() {
                        break id;
                    }
                    preemption_point();
                    ready = self.shared.wake_up.wait(ready).unwrap();
                }
            };
            self.poll_task(id);
        }
    }
}
// ANCHOR_END: fix

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
}

/// Where losing the CPU would hurt most, if it could: test builds give it away
/// here, as in Listing 18-1, to hold the window open.
fn preemption_point() {
    #[cfg(test)]
    std::thread::sleep(std::time::Duration::from_micros(10));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
    use std::task::Poll;
    use std::thread;
    use std::time::{Duration, Instant};
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
    /// Rings the bell of a task `rounds` times, each time waiting
    /// until the task has answered. Returns the first round whose ring
    /// went unanswered for `patience`.
    fn ping_pong(rounds: u64, patience: Duration) -> Result<(), u64> {
        let bell = Arc::new(Doorbell::default());
        let answered = Arc::new(AtomicU64::new(0));
        let (task_bell, task_answered) =
            (Arc::clone(&bell), Arc::clone(&answered));
        let executor_thread = thread::spawn(move || {
            let mut executor = Executor::new();
            executor.spawn(async move {
                for _ in 0..rounds {
                    task_bell.rung().await;
                    task_answered.fetch_add(1, SeqCst);
                }
            });
            executor.run();
        });
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
                    return Err(round); // the executor thread sleeps on, forever
                }
            }
        }
        // A panic on the executor's thread is not a stuck executor: pass
        // it on as it is.
        if let Err(panic) = executor_thread.join() {
            std::panic::resume_unwind(panic);
        }
        assert_eq!(answered.load(SeqCst), rounds, "`run` returned early");
        Ok(())
    }
    #[test]
    fn the_condvar_executor_never_gets_stuck() {
        assert_eq!(ping_pong(1_000, Duration::from_secs(10)), Ok(()));
    }
}
