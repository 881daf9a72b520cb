//! The book's executor: task ids, a ready queue shared with the wakers, one
//! waker per task, join handles and a timer thread, as in chapter 17; and it
//! parks its thread when idle.

use std::cell::RefCell;
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct TaskId(u64);

struct Task {
    future: Pin<Box<dyn Future<Output = ()>>>,
    waker: Waker,
}

// ANCHOR: waker
/// What the executor shares with the wakers of its tasks.
struct Shared {
    ready: Mutex<VecDeque<TaskId>>,
    /// The thread that runs the executor, to unpark when a task is woken.
    executor: Thread,
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
        // First the id, then the unpark: the executor must find the id
        // once it is awake.
        self.shared.ready.lock().unwrap().push_back(self.id);
        self.shared.executor.unpark();
    }
}
// ANCHOR_END: waker

/// A single-threaded executor. It is not `Send` (its tasks need not be), so it
/// stays on the thread that created it: the thread its wakers unpark.
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
        };
        Executor {
            tasks: HashMap::new(),
            shared: Arc::new(shared),
            next_id: 0,
        }
    }

    /// Adds a task and queues it for its first poll. The handle
    /// resolves to its output.
    pub fn spawn<F>(&mut self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        let id = TaskId(self.next_id);
        self.next_id += 1;
        let (task_future, handle) = joinable(future);
        let shared = Arc::clone(&self.shared);
        let waker = Waker::from(Arc::new(TaskWaker { id, shared }));
        let task = Task {
            future: Box::pin(task_future),
            waker,
        };
        self.tasks.insert(id, task);
        self.shared.ready.lock().unwrap().push_back(id);
        handle
    }

    // ANCHOR: run
    /// Polls ready tasks until every task has finished; parks the thread
    /// while none is ready.
    pub fn run(&mut self) {
        while !self.tasks.is_empty() {
            let next = self.shared.ready.lock().unwrap().pop_front();
            match next {
                Some(id) => self.poll_task(id),
                None => {
                    preemption_point(&self.shared);
                    // A wake-up since the check above left a token: then
                    // `park` returns at once. It may also return for no
                    // reason; the loop checks again.
                    thread::park();
                }
            }
        }
    }
    // ANCHOR_END: run

    fn poll_task(&mut self, id: TaskId) {
        // A task woken twice is queued twice, and may have finished in between.
        let Some(task) = self.tasks.get_mut(&id) else {
            return;
        };
        let mut cx = Context::from_waker(&task.waker);
        if task.future.as_mut().poll(&mut cx).is_ready() {
            self.tasks.remove(&id);
        }
    }
}

/// After "no task is ready", before "sleep": test builds give the CPU away
/// here on purpose, as the naive executor's tests do, to hold the window
/// of the race open. They also count the wake-ups that land in it.
#[cfg_attr(not(test), expect(unused_variables))]
fn preemption_point(shared: &Shared) {
    #[cfg(test)]
    {
        thread::sleep(Duration::from_micros(10));
        if !shared.ready.lock().unwrap().is_empty() {
            tests::WAKE_UPS_IN_THE_GAP
                .set(tests::WAKE_UPS_IN_THE_GAP.get() + 1);
        }
    }
}

/// What a task and its join handle share: the output, once there is one, and
/// the waker of the task that waits for it.
struct JoinState<T> {
    output: Option<T>,
    waiter: Option<Waker>,
}

/// A future that resolves to the output of a spawned task.
pub struct JoinHandle<T> {
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
                due.waker.wake(); // queues an id, unparks: fine under the lock
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
pub fn sleep(duration: Duration) -> Sleep {
    Sleep {
        deadline: Instant::now() + duration,
    }
}

pub struct Sleep {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::future::poll_fn;
    use std::panic;
    use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
    use std::sync::mpsc::{self, RecvTimeoutError};

    thread_local! {
        /// How many times, on this thread, a wake-up arrived while the
        /// executor was between "no task is ready" and `park`.
        pub static WAKE_UPS_IN_THE_GAP: Cell<u64> = const { Cell::new(0) };
    }

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

    /// Rings the bell of a task `rounds` times, each time waiting until
    /// the task has answered. Returns the first round whose ring went
    /// unanswered for `patience`, or else how many wake-ups landed in
    /// the gap before `park`. (The test of the naive executor of
    /// Listing 18-1, with that count added.)
    fn ping_pong(rounds: u64, patience: Duration) -> Result<u64, u64> {
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
            WAKE_UPS_IN_THE_GAP.get()
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
        // A panic on the executor's thread is a bug, but not the one this
        // test looks for: pass it on as it is.
        let in_the_gap = executor_thread
            .join()
            .unwrap_or_else(|panic| panic::resume_unwind(panic));
        assert_eq!(answered.load(SeqCst), rounds, "`run` returned early");
        Ok(in_the_gap)
    }

    // ANCHOR: test
    #[test]
    fn the_parking_executor_never_gets_stuck() {
        let outcome = ping_pong(1_000, Duration::from_secs(10));
        let in_the_gap = outcome.expect("a ring went unanswered");
        // The race was run, again and again, and did no harm.
        assert!(in_the_gap >= 100, "only {in_the_gap} wake-ups hit the gap");
    }
    // ANCHOR_END: test

    #[test]
    fn sleeping_tasks_finish_in_deadline_order() {
        within_five_seconds(|| {
            let order = Rc::new(RefCell::new(Vec::new()));
            let mut executor = Executor::new();
            for ms in [30, 10, 20] {
                let order = Rc::clone(&order);
                executor.spawn(async move {
                    sleep(Duration::from_millis(ms)).await;
                    order.borrow_mut().push(ms);
                });
            }
            executor.run();
            assert_eq!(*order.borrow(), [10, 20, 30]);
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
                *store.borrow_mut() = Some(handle.await);
            });
            executor.run();
            assert_eq!(*result.borrow(), Some(42));
        });
    }

    #[test]
    fn a_task_that_parks_inside_poll_does_not_strand_the_executor() {
        // The park token is the thread's, and a task's poll can take it
        // (Listing 6-6): here a task wakes itself, then blocks on a channel,
        // which parks the thread. The executor is not fooled, because it
        // looks at its queue before it parks, and the task's id is there.
        within_five_seconds(|| {
            let mut executor = Executor::new();
            executor.spawn(async {
                let mut polled = false;
                poll_fn(|cx| {
                    if polled {
                        return Poll::Ready(());
                    }
                    polled = true;
                    cx.waker().wake_by_ref();
                    let (_sender, receiver) = mpsc::channel::<()>();
                    let _ = receiver.recv_timeout(Duration::from_millis(10));
                    Poll::Pending
                })
                .await
            });
            executor.run();
        });
    }

    #[test]
    fn a_task_woken_from_another_thread_is_polled_again() {
        within_five_seconds(|| {
            let bell = Arc::new(Doorbell::default());
            let ringer = Arc::clone(&bell);
            let mut executor = Executor::new();
            executor.spawn(async move { bell.rung().await });
            thread::spawn(move || {
                thread::sleep(Duration::from_millis(20));
                ringer.ring();
            });
            executor.run();
        });
    }
}
