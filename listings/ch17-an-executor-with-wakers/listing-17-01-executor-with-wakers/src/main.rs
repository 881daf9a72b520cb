//! An executor whose wakers do real work: every task has an id and one waker
//! made when it is spawned; waking a task puts its id on a ready queue. Join
//! handles and a timer thread included.

use std::cell::RefCell;
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: task
/// A task's name. Wakers carry it instead of a pointer to the task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct TaskId(u64);

/// The ids of the tasks to poll next, oldest first. The executor and
/// every waker share it.
type ReadyQueue = Arc<Mutex<VecDeque<TaskId>>>;

struct Task {
    future: Pin<Box<dyn Future<Output = ()>>>,
    /// Made once, when the task is spawned, and lent to every
    /// poll: the waker cache.
    waker: Waker,
}
// ANCHOR_END: task

// ANCHOR: waker
/// What a task's waker knows: which task it wakes, and where to put its id.
struct TaskWaker {
    id: TaskId,
    ready: ReadyQueue,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.ready.lock().unwrap().push_back(self.id);
    }
}
// ANCHOR_END: waker

// ANCHOR: executor
struct Executor {
    tasks: HashMap<TaskId, Task>,
    ready: ReadyQueue,
    next_id: u64,
}

impl Executor {
    fn new() -> Self {
        Executor {
            tasks: HashMap::new(),
            ready: Arc::new(Mutex::new(VecDeque::new())),
            next_id: 0,
        }
    }

    /// Adds a task and queues it for its first poll. The handle
    /// resolves to its output.
    fn spawn<F>(&mut self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        let id = TaskId(self.next_id);
        self.next_id += 1;
        let (task_future, handle) = joinable(future);
        let ready = Arc::clone(&self.ready);
        let waker = Waker::from(Arc::new(TaskWaker { id, ready }));
        let task = Task {
            future: Box::pin(task_future),
            waker,
        };
        self.tasks.insert(id, task);
        self.ready.lock().unwrap().push_back(id);
        handle
    }

    /// Polls ready tasks until every task has finished.
    fn run(&mut self) {
        while !self.tasks.is_empty() {
            // The lock is released at the end of this statement, before any
            // poll: a task that wakes itself while it is polled must be
            // able to take it.
            let next = self.ready.lock().unwrap().pop_front();
            let Some(id) = next else {
                // Nothing is ready, but some task waits for an event:
                // ask again. (This burns a core; chapter 18 puts the
                // thread to sleep instead.)
                thread::yield_now();
                continue;
            };
            // A task woken twice is queued twice, and may
            // have finished in between.
            let Some(task) = self.tasks.get_mut(&id) else {
                continue;
            };
            let mut cx = Context::from_waker(&task.waker);
            if task.future.as_mut().poll(&mut cx).is_ready() {
                self.tasks.remove(&id);
            }
        }
    }
}
// ANCHOR_END: executor

// ANCHOR: join
/// What a task and its join handle share: the output, once there is one, and
/// the waker of the task that waits for it.
struct JoinState<T> {
    output: Option<T>,
    waiter: Option<Waker>,
}

/// A future that resolves to the output of a spawned task.
struct JoinHandle<T> {
    state: Rc<RefCell<JoinState<T>>>,
}

/// Wraps `future` into a task that stores its output for the handle,
/// and wakes the waiter.
fn joinable<F: Future>(
    future: F,
) -> (impl Future<Output = ()>, JoinHandle<F::Output>) {
    let state = Rc::new(RefCell::new(JoinState {
        output: None,
        waiter: None,
    }));
    let handle = JoinHandle {
        state: Rc::clone(&state),
    };
    let task = async move {
        let output = future.await;
        let waiter = {
            let mut state = state.borrow_mut();
            state.output = Some(output);
            state.waiter.take()
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    };
    (task, handle)
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = self.state.borrow_mut();
        match state.output.take() {
            Some(output) => Poll::Ready(output),
            None => {
                state.waiter = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
// ANCHOR_END: join

// ANCHOR: timer
/// The timer: a heap of deadlines, earliest on top, and a thread that wakes
/// each sleeping task when its deadline has passed.
struct Timer {
    deadlines: Mutex<BinaryHeap<Reverse<Deadline>>>,
    changed: Condvar,
}

struct Deadline {
    at: Instant,
    waker: Waker,
}

/// The one timer of the program, started on first use.
fn timer() -> &'static Timer {
    static TIMER: OnceLock<Timer> = OnceLock::new();
    TIMER.get_or_init(|| {
        // The thread's own call to `timer()` waits until
        // this initialisation has finished.
        thread::spawn(|| timer().run());
        Timer {
            deadlines: Mutex::new(BinaryHeap::new()),
            changed: Condvar::new(),
        }
    })
}

impl Timer {
    fn run(&self) {
        let mut deadlines = self.deadlines.lock().unwrap();
        loop {
            let now = Instant::now();
            while let Some(Reverse(first)) = deadlines.peek()
                && first.at <= now
            {
                let Reverse(due) = deadlines.pop().unwrap();
                due.waker.wake(); // only queues an id: fine to do under the lock
            }
            // Sleep until the next deadline, or until `Sleep::poll`
            // adds an earlier one.
            let next = deadlines.peek().map(|Reverse(d)| d.at - now);
            deadlines = match next {
                Some(wait) => {
                    self.changed.wait_timeout(deadlines, wait).unwrap().0
                }
                None => self.changed.wait(deadlines).unwrap(),
            };
        }
    }
}

/// A future that is ready once `duration` has passed since `sleep` was called.
fn sleep(duration: Duration) -> Sleep {
    Sleep {
        deadline: Instant::now() + duration,
    }
}

struct Sleep {
    deadline: Instant,
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        let timer = timer();
        let waker = cx.waker().clone();
        let deadline = Deadline {
            at: self.deadline,
            waker,
        };
        timer.deadlines.lock().unwrap().push(Reverse(deadline));
        timer.changed.notify_one();
        Poll::Pending
    }
}
// ANCHOR_END: timer

// Deadlines are ordered by time alone.
impl PartialEq for Deadline {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for Deadline {}

impl PartialOrd for Deadline {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Deadline {
    fn cmp(&self, other: &Self) -> Ordering {
        self.at.cmp(&other.at)
    }
}

// ANCHOR: main
fn main() {
    let mut executor = Executor::new();
    let tea = executor.spawn(async {
        sleep(Duration::from_millis(150)).await;
        println!("the tea has steeped");
        "tea"
    });
    let toast = executor.spawn(async {
        sleep(Duration::from_millis(50)).await;
        println!("the toast has popped");
        "toast"
    });
    let eggs = executor.spawn(async {
        sleep(Duration::from_millis(100)).await;
        println!("the eggs are boiled");
        "eggs"
    });
    executor.spawn(async {
        let breakfast = [tea.await, toast.await, eggs.await];
        println!("breakfast is {}", breakfast.join(", "));
    });
    executor.run();
}
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::panic;
    use std::sync::mpsc::{self, RecvTimeoutError};

    /// Runs `job` on a thread of its own and fails if it has not
    /// finished within five seconds. A panic on that thread (a failed
    /// assertion, say) is passed on as it is.
    fn within_five_seconds(job: impl FnOnce() + Send + 'static) {
        let (done, finished) = mpsc::channel();
        let thread = thread::spawn(move || {
            job();
            let _ = done.send(());
        });
        match finished.recv_timeout(Duration::from_secs(5)) {
            Ok(()) => {}
            Err(RecvTimeoutError::Disconnected) => {
                panic::resume_unwind(thread.join().unwrap_err())
            }
            Err(RecvTimeoutError::Timeout) => {
                panic!("the executor did not finish within five seconds")
            }
        }
    }

    // ANCHOR: test
    #[test]
    fn a_task_gets_the_same_waker_on_every_poll() {
        within_five_seconds(|| {
            let seen = Rc::new(RefCell::new(Vec::<Waker>::new()));
            let mut executor = Executor::new();
            let record = Rc::clone(&seen);
            executor.spawn(async move {
                for _ in 0..3 {
                    poll_fn(|cx| {
                        record.borrow_mut().push(cx.waker().clone());
                        Poll::Ready(())
                    })
                    .await;
                    sleep(Duration::from_millis(1)).await;
                }
            });
            executor.run();
            let seen = seen.borrow();
            assert_eq!(seen.len(), 3);
            assert!(seen.iter().all(|waker| waker.will_wake(&seen[0])));
        });
    }
    // ANCHOR_END: test

    #[test]
    fn sleep_waits_at_least_its_duration() {
        within_five_seconds(|| {
            let mut executor = Executor::new();
            let start = Instant::now();
            executor.spawn(sleep(Duration::from_millis(30)));
            executor.run();
            assert!(start.elapsed() >= Duration::from_millis(30));
        });
    }

    #[test]
    fn a_join_handle_wakes_the_task_that_waits_for_it() {
        within_five_seconds(|| {
            let mut executor = Executor::new();
            let handle = executor.spawn(async {
                sleep(Duration::from_millis(5)).await;
                42
            });
            let result = Rc::new(RefCell::new(None));
            let store = Rc::clone(&result);
            executor.spawn(async move {
                // Polled while the first task sleeps: the handle is pending
                // and keeps our waker.
                *store.borrow_mut() = Some(handle.await);
            });
            executor.run();
            assert_eq!(*result.borrow(), Some(42));
        });
    }
}
