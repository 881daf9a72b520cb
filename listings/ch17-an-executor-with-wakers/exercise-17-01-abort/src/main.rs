//! Exercise 17-1: the executor of Listing 17-1, with join handles that
//! can abort their task.

use std::cell::RefCell;
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

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

// ANCHOR: abort
/// What a task and its join handle share.
struct JoinState<T> {
    /// The output, once the task has finished (and was not aborted).
    output: Option<T>,
    finished: bool,
    aborted: bool,
    /// The waker of the task that waits for the handle.
    waiter: Option<Waker>,
    /// The waker of the task itself, so that `abort` can wake it.
    task: Option<Waker>,
}

/// A future that resolves to the output of a spawned task, or to `None`
/// if it was aborted.
struct JoinHandle<T> {
    state: Rc<RefCell<JoinState<T>>>,
}

impl<T> JoinHandle<T> {
    /// Stops the task: its future is dropped, unfinished, the next time the
    /// executor gets to it.
    fn abort(&self) {
        let task = {
            let mut state = self.state.borrow_mut();
            state.aborted = true;
            state.task.clone()
        };
        // Wake it, so that it does not wait for whatever it was waiting for.
        if let Some(task) = task {
            task.wake();
        }
    }
}

/// Wraps `future` into a task that checks for `abort` before every poll, stores
/// the output for the handle, and wakes the waiter.
fn joinable<F: Future>(
    future: F,
) -> (impl Future<Output = ()>, JoinHandle<F::Output>) {
    let state = Rc::new(RefCell::new(JoinState {
        output: None,
        finished: false,
        aborted: false,
        waiter: None,
        task: None,
    }));
    let handle = JoinHandle {
        state: Rc::clone(&state),
    };
    let task = async move {
        let output = {
            let mut future = pin!(future);
            poll_fn(|cx| {
                let mut shared = state.borrow_mut();
                if shared.aborted {
                    return Poll::Ready(None);
                }
                // Our executor lends a task the same waker on every
                // poll: keep the first.
                shared.task.get_or_insert_with(|| cx.waker().clone());
                drop(shared); // no borrow held while arbitrary code runs
                future.as_mut().poll(cx).map(Some)
            })
            .await
        }; // an aborted `future` is dropped here
        let waiter = {
            let mut state = state.borrow_mut();
            state.output = output;
            state.finished = true;
            state.waiter.take()
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    };
    (task, handle)
}

impl<T> Future for JoinHandle<T> {
    type Output = Option<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut state = self.state.borrow_mut();
        if state.finished {
            Poll::Ready(state.output.take())
        } else {
            state.waiter = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// Says when it is dropped.
struct Noisy(&'static str);

impl Drop for Noisy {
    fn drop(&mut self) {
        println!("dropped {}", self.0);
    }
}

fn main() {
    let mut executor = Executor::new();
    let slow = executor.spawn(async {
        let _noisy = Noisy("the slow task's future");
        sleep(Duration::from_secs(10)).await;
        println!("the slow task finished"); // never printed
    });
    executor.spawn(async move {
        sleep(Duration::from_millis(20)).await;
        println!("aborting the slow task");
        slow.abort();
        println!("its handle says {:?}", slow.await);
    });
    let start = Instant::now();
    executor.run();
    println!(
        "run returned within a second: {}",
        start.elapsed() < Duration::from_secs(1)
    );
}
// ANCHOR_END: abort

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
