//! Where the book's executor loses to threads: jobs that only compute, and a
//! short job queued behind a long one (the workloads that `main.rs` measures),
//! and a call that blocks inside a task, with the fix (the tests). The executor
//! and its timer are Listing 18-3's, repeated so that this file stands alone
//! (without join handles, which nothing here needs).

extern crate futures;

use futures::channel::oneshot;
use futures::executor::{ThreadPool, block_on};
use futures::future::{join, join_all};
use futures::task::SpawnExt;
use std::cell::Cell;
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::future::Future;
use std::hint::black_box;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
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
        self.shared.ready.lock().unwrap().push_back(self.id);
        self.shared.executor.unpark();
    }
}

/// The single-threaded executor of Listing 18-3. It stays on the thread that
/// created it: the thread its wakers unpark.
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

    /// Adds a task and queues it for its first poll.
    pub fn spawn(&mut self, future: impl Future<Output = ()> + 'static) {
        let id = TaskId(self.next_id);
        self.next_id += 1;
        let shared = Arc::clone(&self.shared);
        let waker = Waker::from(Arc::new(TaskWaker { id, shared }));
        let task = Task {
            future: Box::pin(future),
            waker,
        };
        self.tasks.insert(id, task);
        self.shared.ready.lock().unwrap().push_back(id);
    }

    /// Polls ready tasks until every task has finished; parks the thread
    /// while none is ready.
    pub fn run(&mut self) {
        while !self.tasks.is_empty() {
            let next = self.shared.ready.lock().unwrap().pop_front();
            match next {
                Some(id) => self.poll_task(id),
                None => thread::park(),
            }
        }
    }

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
                due.waker.wake();
            }
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
        let deadline = Deadline {
            at: self.deadline,
            waker: cx.waker().clone(),
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

// ANCHOR: crunch
/// A job that only computes: `rounds` steps of a xorshift random number
/// generator, each step needing the one before. `black_box` keeps the
/// compiler from working out the answer ahead of time.
pub fn crunch(rounds: u64) -> u64 {
    let mut x = black_box(0x2545_f491_4f6c_dd1d_u64);
    for _ in 0..black_box(rounds) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}
// ANCHOR_END: crunch

// ANCHOR: cpu_bound
/// Runs `jobs` equal crunches as tasks of the book's executor: one thread.
pub fn cpu_bound_on_the_executor(jobs: usize, rounds: u64) -> Duration {
    let start = Instant::now();
    let mut executor = Executor::new();
    for _ in 0..jobs {
        executor.spawn(async move {
            black_box(crunch(rounds));
        });
    }
    executor.run();
    start.elapsed()
}

/// Runs the same jobs as tasks of a `ThreadPool`, whose threads poll
/// tasks in parallel. (Starting the pool's threads is not timed.)
pub fn cpu_bound_on_a_thread_pool(
    jobs: usize,
    rounds: u64,
    pool: &ThreadPool,
) -> Duration {
    let start = Instant::now();
    let handles: Vec<_> = (0..jobs)
        .map(|_| {
            let job = async move {
                black_box(crunch(rounds));
            };
            pool.spawn_with_handle(job).expect("the pool has shut down")
        })
        .collect();
    block_on(join_all(handles));
    start.elapsed()
}

/// Runs the same jobs on `threads` threads of their own, which each take
/// the next job until none is left.
pub fn cpu_bound_on_threads(
    jobs: usize,
    rounds: u64,
    threads: usize,
) -> Duration {
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while next.fetch_add(1, Relaxed) < jobs {
                    black_box(crunch(rounds));
                }
            });
        }
    });
    start.elapsed()
}
// ANCHOR_END: cpu_bound

/// When each of two jobs finished, counted from the moment the first
/// was handed over.
#[derive(Clone, Copy, Debug)]
pub struct Finished {
    pub long: Duration,
    pub short: Duration,
}

// ANCHOR: queued_behind
/// Spawns a long job, then a short one, on the book's executor.
pub fn short_behind_long_on_the_executor(long: u64, short: u64) -> Finished {
    let start = Instant::now();
    let mut executor = Executor::new();
    let long_done = Rc::new(Cell::new(Duration::ZERO));
    let short_done = Rc::new(Cell::new(Duration::ZERO));
    for (rounds, done) in [(long, &long_done), (short, &short_done)] {
        let done = Rc::clone(done);
        executor.spawn(async move {
            black_box(crunch(rounds));
            done.set(start.elapsed());
        });
    }
    executor.run();
    Finished {
        long: long_done.get(),
        short: short_done.get(),
    }
}

/// The same two jobs, spawned in the same order on a `ThreadPool`.
pub fn short_behind_long_on_a_thread_pool(
    long: u64,
    short: u64,
    pool: &ThreadPool,
) -> Finished {
    let start = Instant::now();
    let timed = |rounds| async move {
        black_box(crunch(rounds));
        start.elapsed()
    };
    let long = pool.spawn_with_handle(timed(long)).expect("pool shut down");
    let short = pool
        .spawn_with_handle(timed(short))
        .expect("pool shut down");
    let (long, short) = block_on(join(long, short));
    Finished { long, short }
}

/// The same two jobs, each on a thread of its own.
pub fn short_behind_long_on_threads(long: u64, short: u64) -> Finished {
    let start = Instant::now();
    let timed = move |rounds| {
        move || {
            black_box(crunch(rounds));
            start.elapsed()
        }
    };
    thread::scope(|scope| {
        let long = scope.spawn(timed(long));
        let short = scope.spawn(timed(short));
        Finished {
            short: short.join().unwrap(),
            long: long.join().unwrap(),
        }
    })
}
// ANCHOR_END: queued_behind

// ANCHOR: spawn_blocking
/// Runs a blocking `job` on one of `pool`'s threads, so that it blocks that
/// thread and not the executor's. Returns a future that a task awaits like
/// any other: it resolves to the job's result, or to the job's panic as an
/// `Err` (as Tokio's `spawn_blocking` gives a `JoinError`).
pub fn spawn_blocking<T, F>(
    pool: &ThreadPool,
    job: F,
) -> impl Future<Output = thread::Result<T>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (sender, receiver) = oneshot::channel();
    // A task with no `.await` in it: the pool's thread just runs `job`.
    // The pool does not catch a panic: the thread would end, and the pool
    // would not replace it. So the panic is caught here and sent as a value.
    pool.spawn_ok(async move {
        let result = panic::catch_unwind(AssertUnwindSafe(job));
        // An error means the receiver is gone: nobody wants the result.
        let _ = sender.send(result);
    });
    async move { receiver.await.expect("the pool dropped the job") }
}
// ANCHOR_END: spawn_blocking

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;
    use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
    use std::thread::JoinHandle;

    /// Runs `job` on a thread of its own and fails if it has not finished
    /// within five seconds. A panic on that thread is passed on as it is.
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
                panic!("the test did not finish within five seconds")
            }
        }
    }

    // ANCHOR: blocking_sleep
    #[test]
    fn a_blocking_sleep_holds_up_the_timer_of_another_task() {
        within_five_seconds(|| {
            let events = Rc::new(RefCell::new(Vec::new()));
            let start = Instant::now();
            let mut executor = Executor::new();
            let log = Rc::clone(&events);
            executor.spawn(async move {
                sleep(Duration::from_millis(10)).await;
                log.borrow_mut().push(("10 ms timer done", start.elapsed()));
            });
            let log = Rc::clone(&events);
            executor.spawn(async move {
                // Blocks the executor's thread, and so every task on it.
                thread::sleep(Duration::from_millis(100));
                log.borrow_mut()
                    .push(("blocking sleep done", start.elapsed()));
            });
            executor.run();
            let events = events.borrow();
            let order: Vec<_> = events.iter().map(|(what, _)| *what).collect();
            assert_eq!(order, ["blocking sleep done", "10 ms timer done"]);
            // `thread::sleep` sleeps at least as long as it is asked to: so
            // the 10 ms timer's task finished 100 ms or more after the start.
            assert!(events[1].1 >= Duration::from_millis(100));
        });
    }
    // ANCHOR_END: blocking_sleep

    // ANCHOR: blocking_read
    /// Reads a five-byte message from `socket`, blocking until it comes.
    fn read_message(mut socket: UnixStream) -> String {
        let mut message = [0; 5];
        socket
            .read_exact(&mut message)
            .expect("cannot read the socket");
        format!("read {:?}", String::from_utf8_lossy(&message))
    }

    /// Starts an executor on a thread of its own with two tasks: one waits
    /// 10 ms on a timer (then writes the message too, if `timer_writes`),
    /// the other reads a message from a socket, either with a blocking read
    /// in the task itself or through `spawn_blocking`. Each task reports
    /// when it is done. Returns the other end of the socket, for the test
    /// to write the message into, and the receiver of the reports.
    fn two_tasks(
        read_on_a_pool: bool,
        timer_writes: bool,
    ) -> (UnixStream, Receiver<String>, JoinHandle<()>) {
        let (writer, reader) = UnixStream::pair().expect("no socket pair");
        let mut timer_writer = writer.try_clone().expect("cannot clone");
        let (events, reports) = mpsc::channel();
        let executor_thread = thread::spawn(move || {
            let pool = ThreadPool::builder().pool_size(1).create().unwrap();
            let mut executor = Executor::new();
            let timer_events = events.clone();
            executor.spawn(async move {
                sleep(Duration::from_millis(10)).await;
                if timer_writes {
                    // Fails if the reader is gone: the test wrote first.
                    let _ = timer_writer.write_all(b"hello");
                }
                timer_events.send("10 ms timer done".to_string()).unwrap();
            });
            executor.spawn(async move {
                let message = if read_on_a_pool {
                    let job = move || read_message(reader);
                    spawn_blocking(&pool, job).await.expect("the read panicked")
                } else {
                    read_message(reader) // blocks the executor's thread
                };
                events.send(message).unwrap();
            });
            executor.run();
        });
        (writer, reports, executor_thread)
    }
    // ANCHOR_END: blocking_read

    /// The next event, or `None` if there is none within `patience`. A
    /// panic on the executor's thread (which closes the channel) is passed
    /// on as it is: it is not what these tests look for.
    fn next_event(
        reports: &Receiver<String>,
        patience: Duration,
        executor_thread: &mut Option<JoinHandle<()>>,
    ) -> Option<String> {
        match reports.recv_timeout(patience) {
            Ok(event) => Some(event),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => {
                let thread = executor_thread.take().expect("joined already");
                match thread.join() {
                    Err(panic) => panic::resume_unwind(panic),
                    Ok(()) => panic!("the executor ended with events missing"),
                }
            }
        }
    }

    // ANCHOR: read_tests
    #[test]
    fn a_blocking_read_in_a_task_holds_up_the_timer_task() {
        let (mut writer, reports, thread) = two_tasks(false, false);
        let mut thread = Some(thread);
        // The timer is due after 10 ms; half a second later, its task has
        // still not run: the executor's thread is stuck in the read.
        let patience = Duration::from_millis(500);
        assert_eq!(next_event(&reports, patience, &mut thread), None);
        // Once the message comes, the read returns, and only then does the
        // executor get to poll the timer's task.
        writer.write_all(b"hello").unwrap();
        let patience = Duration::from_secs(5);
        let read = next_event(&reports, patience, &mut thread);
        assert_eq!(read.as_deref(), Some(r#"read "hello""#));
        let timer = next_event(&reports, patience, &mut thread);
        assert_eq!(timer.as_deref(), Some("10 ms timer done"));
    }

    #[test]
    fn a_blocking_read_moved_to_a_pool_lets_the_timer_task_run() {
        let (mut writer, reports, thread) = two_tasks(true, false);
        let mut thread = Some(thread);
        // Nothing has been written yet, so the read still blocks, on the
        // pool's thread; the executor's thread runs the timer's task.
        let patience = Duration::from_secs(5);
        let timer = next_event(&reports, patience, &mut thread);
        let stuck = "no timer report within 5 s while the read was on the pool";
        assert_eq!(timer.as_deref(), Some("10 ms timer done"), "{stuck}");
        writer.write_all(b"hello").unwrap();
        let read = next_event(&reports, patience, &mut thread);
        assert_eq!(read.as_deref(), Some(r#"read "hello""#));
    }

    #[test]
    fn a_blocking_read_waiting_for_another_task_is_a_deadlock() {
        let (mut writer, reports, thread) = two_tasks(false, true);
        let mut thread = Some(thread);
        // The timer's task would write the message after 10 ms, but it
        // cannot run: the executor's thread is in the read, which waits for
        // that very message. Half a second later, neither has reported.
        let patience = Duration::from_millis(500);
        assert_eq!(next_event(&reports, patience, &mut thread), None);
        // Only a message from outside the executor breaks the cycle.
        writer.write_all(b"hello").unwrap();
        let patience = Duration::from_secs(5);
        let read = next_event(&reports, patience, &mut thread);
        assert_eq!(read.as_deref(), Some(r#"read "hello""#));
        let timer = next_event(&reports, patience, &mut thread);
        assert_eq!(timer.as_deref(), Some("10 ms timer done"));
    }
    // ANCHOR_END: read_tests

    #[test]
    fn a_panicking_job_leaves_the_pool_usable() {
        within_five_seconds(|| {
            let pool = ThreadPool::builder().pool_size(1).create().unwrap();
            let job = || panic!("the job failed");
            let failed = block_on(spawn_blocking(&pool, job));
            let panic = failed.expect_err("the job's panic was lost");
            assert_eq!(panic.downcast_ref(), Some(&"the job failed"));
            // The pool's only thread survived the panic: it runs the next job.
            let next = block_on(spawn_blocking(&pool, || 42));
            assert_eq!(next.expect("the second job panicked"), 42);
        });
    }

    #[test]
    fn every_workload_runs() {
        within_five_seconds(|| {
            let pool = ThreadPool::builder().pool_size(2).create().unwrap();
            cpu_bound_on_the_executor(3, 1_000);
            cpu_bound_on_a_thread_pool(3, 1_000, &pool);
            cpu_bound_on_threads(3, 1_000, 2);
            let on_executor = short_behind_long_on_the_executor(100_000, 10);
            // One thread: the short job can only start once the long one is done.
            assert!(on_executor.short >= on_executor.long);
            short_behind_long_on_a_thread_pool(100_000, 10, &pool);
            short_behind_long_on_threads(100_000, 10);
        });
    }
}
