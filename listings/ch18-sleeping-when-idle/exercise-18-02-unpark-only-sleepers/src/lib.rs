//! Exercise 18-2: the parking executor, unparking only when the
//! executor may be asleep.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Wake, Waker};
use std::thread::{self, Thread};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct TaskId(u64);

struct Task {
    future: Pin<Box<dyn Future<Output = ()>>>,
    waker: Waker,
}

// ANCHOR: fix
struct Shared {
    ready: Mutex<VecDeque<TaskId>>,
    executor: Thread,
    /// True while the executor is about to park, or parked.
    sleeping: AtomicBool,
    /// How many times a waker called `unpark`, for the tests.
    unparks: AtomicUsize,
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
        if self.shared.sleeping.swap(false, SeqCst) {
            self.shared.unparks.fetch_add(1, SeqCst);
            self.shared.executor.unpark();
        }
    }
}

impl Executor {
    /// Polls ready tasks until every task has finished; parks the thread
    /// while none is ready.
    pub fn run(&mut self) {
        while !self.tasks.is_empty() {
            let next = self.shared.ready.lock().unwrap().pop_front();
            match next {
                Some(id) => self.poll_task(id),
                None => {
                    self.shared.sleeping.store(true, SeqCst);
                    // Check again. A waker that pushed before it could see
                    // `sleeping` did not unpark us; one that pushes after this
                    // check will see it, and unpark.
                    if self.shared.ready.lock().unwrap().is_empty() {
                        preemption_point();
                        thread::park();
                    }
                    self.shared.sleeping.store(false, SeqCst);
                }
            }
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
            executor: thread::current(),
            sleeping: AtomicBool::new(false),
            unparks: AtomicUsize::new(0),
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

    /// How many times a waker has unparked this executor's thread.
    pub fn unparks(&self) -> usize {
        self.shared.unparks.load(SeqCst)
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

/// Test builds give the CPU away at the worst moment, as in Listing 18-1.
fn preemption_point() {
    #[cfg(test)]
    thread::sleep(std::time::Duration::from_micros(10));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::panic;
    use std::sync::atomic::AtomicU64;
    use std::sync::mpsc::{self, RecvTimeoutError};
    use std::task::Poll;
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

    /// Runs `job` on a thread of its own, and fails if it has not
    /// finished within five seconds. A panic on that thread is passed on
    /// as it is.
    fn within_five_seconds<T: Send + 'static>(
        job: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        let (done, finished) = mpsc::channel();
        let thread = thread::spawn(move || {
            let _ = done.send(job());
        });
        match finished.recv_timeout(Duration::from_secs(5)) {
            Ok(output) => output,
            Err(RecvTimeoutError::Disconnected) => {
                panic::resume_unwind(thread.join().unwrap_err())
            }
            Err(RecvTimeoutError::Timeout) => {
                panic!("the executor did not finish within five seconds")
            }
        }
    }

    /// Lets the other tasks run: the first poll wakes its own
    /// task and returns `Pending`.
    async fn yield_now() {
        let mut yielded = false;
        poll_fn(|cx| {
            if yielded {
                return Poll::Ready(());
            }
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        })
        .await
    }

    // ANCHOR: tests
    #[test]
    fn the_executor_never_gets_stuck() {
        assert_eq!(ping_pong(1_000, Duration::from_secs(10)), Ok(()));
    }

    #[test]
    fn a_busy_executor_is_never_unparked() {
        let unparks = within_five_seconds(|| {
            let mut executor = Executor::new();
            executor.spawn(async {
                for _ in 0..1000 {
                    yield_now().await;
                }
            });
            executor.run();
            executor.unparks()
        });
        assert_eq!(unparks, 0);
    }

    #[test]
    fn a_sleeping_executor_is_unparked() {
        let unparks = within_five_seconds(|| {
            let bell = Arc::new(Doorbell::default());
            let ringer = Arc::clone(&bell);
            let mut executor = Executor::new();
            executor.spawn(async move { bell.rung().await });
            let shared = Arc::clone(&executor.shared);
            thread::spawn(move || {
                // Ring only once the executor is on its way to sleep.
                while !shared.sleeping.load(SeqCst) {
                    thread::yield_now();
                }
                ringer.ring();
            });
            executor.run();
            executor.unparks()
        });
        assert!(unparks >= 1);
    }
    // ANCHOR_END: tests
}
