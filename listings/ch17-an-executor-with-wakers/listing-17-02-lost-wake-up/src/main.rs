//! The executor of Listing 17-1, stripped down, with a ready queue that
//! never holds an id twice, in two versions: `run_losing_wake_ups` loses a
//! wake-up; `run` does not.

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct TaskId(u64);

struct Task {
    future: Pin<Box<dyn Future<Output = ()>>>,
    waker: Waker,
}

// ANCHOR: queue
/// The ready queue, now without duplicates: `queued` holds exactly
/// the ids in `order`.
#[derive(Default)]
struct ReadyQueue {
    order: VecDeque<TaskId>,
    queued: HashSet<TaskId>,
}

impl ReadyQueue {
    /// Queues `id`, unless it is queued already.
    fn push(&mut self, id: TaskId) {
        if self.queued.insert(id) {
            self.order.push_back(id);
        }
    }

    /// Takes the oldest id off the queue. From now on, a wake-up
    /// queues that task again.
    fn pop(&mut self) -> Option<TaskId> {
        let id = self.order.pop_front()?;
        self.queued.remove(&id);
        Some(id)
    }
}

struct TaskWaker {
    id: TaskId,
    ready: Arc<Mutex<ReadyQueue>>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.ready.lock().unwrap().push(self.id);
    }
}
// ANCHOR_END: queue

struct Executor {
    tasks: HashMap<TaskId, Task>,
    ready: Arc<Mutex<ReadyQueue>>,
    next_id: u64,
}

impl Executor {
    fn new() -> Self {
        Executor {
            tasks: HashMap::new(),
            ready: Arc::new(Mutex::new(ReadyQueue::default())),
            next_id: 0,
        }
    }

    fn spawn(&mut self, future: impl Future<Output = ()> + 'static) {
        let id = TaskId(self.next_id);
        self.next_id += 1;
        let ready = Arc::clone(&self.ready);
        let waker = Waker::from(Arc::new(TaskWaker { id, ready }));
        let future = Box::pin(future);
        self.tasks.insert(id, Task { future, waker });
        self.ready.lock().unwrap().push(id);
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

    // ANCHOR: broken
    /// Polls tasks until all have finished. Broken: loses wake-ups.
    fn run_losing_wake_ups(&mut self) {
        while !self.tasks.is_empty() {
            let next = self.ready.lock().unwrap().order.pop_front();
            match next {
                Some(id) => {
                    self.poll_task(id);
                    // The task may be queued again from now on. Too late: a
                    // wake-up that came during the poll found `id` in
                    // `queued` and did nothing.
                    self.ready.lock().unwrap().queued.remove(&id);
                }
                None => thread::yield_now(),
            }
        }
    }
    // ANCHOR_END: broken

    // ANCHOR: fixed
    /// Polls tasks until all have finished.
    fn run(&mut self) {
        while !self.tasks.is_empty() {
            // `pop` forgets the id before the poll: a wake-up during the
            // poll queues it again.
            let next = self.ready.lock().unwrap().pop();
            match next {
                Some(id) => self.poll_task(id),
                None => thread::yield_now(),
            }
        }
    }
    // ANCHOR_END: fixed
}

// ANCHOR: yield_now
/// Lets the other tasks run: the first poll wakes its own
/// task and returns `Pending`.
fn yield_now() -> impl Future<Output = ()> {
    let mut yielded = false;
    poll_fn(move |cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}
// ANCHOR_END: yield_now

// ANCHOR: start
/// Starts, on a thread of its own, an executor running one task that
/// yields once. Returns a channel that says when `run` has returned, and
/// the task's waker, once the task's first poll is over.
fn start(run: fn(&mut Executor)) -> (Receiver<()>, Waker) {
    let (finished, finished_rx) = mpsc::channel();
    let (waker_tx, waker_rx) = mpsc::channel();
    thread::spawn(move || {
        let mut executor = Executor::new();
        let ready = Arc::clone(&executor.ready);
        executor.spawn(async move {
            let waker = poll_fn(|cx| Poll::Ready(cx.waker().clone())).await;
            waker_tx.send((waker, ready)).unwrap();
            yield_now().await;
        });
        run(&mut executor);
        finished.send(()).unwrap();
    });
    let (waker, ready) = waker_rx.recv().unwrap();
    // The broken `run` lets the task count as queued until its poll is
    // over, and would swallow a wake-up from outside too. Wait for that.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ready.lock().unwrap().queued.is_empty() {
        assert!(Instant::now() < deadline, "the first poll did not end");
        thread::yield_now();
    }
    (finished_rx, waker)
}
// ANCHOR_END: start

// ANCHOR: main
const PATIENCE: Duration = Duration::from_millis(200);

fn main() {
    let (finished, waker) = start(Executor::run_losing_wake_ups);
    // Only the time running out counts: a panic would say `Disconnected`.
    if let Err(RecvTimeoutError::Timeout) = finished.recv_timeout(PATIENCE) {
        println!("run_losing_wake_ups: not finished after {PATIENCE:?}");
    }
    waker.wake();
    finished.recv_timeout(Duration::from_secs(10)).unwrap();
    println!("run_losing_wake_ups: finished after one more wake-up");

    let (finished, _) = start(Executor::run);
    finished.recv_timeout(Duration::from_secs(10)).unwrap();
    println!("run: finished");
}
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::*;

    // ANCHOR: tests
    #[test]
    fn run_losing_wake_ups_gets_stuck_on_a_yield() {
        let (finished, waker) = start(Executor::run_losing_wake_ups);
        // A hang, not a panic: a panicking executor thread would drop its
        // sender, and this would be `Disconnected`.
        assert_eq!(
            finished.recv_timeout(PATIENCE),
            Err(RecvTimeoutError::Timeout),
            "the broken executor was expected to hang"
        );
        // Nothing else was wrong: one more wake-up, and the task finishes.
        waker.wake();
        assert!(finished.recv_timeout(Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn run_finishes_a_task_that_yields() {
        let (finished, _) = start(Executor::run);
        assert!(finished.recv_timeout(Duration::from_secs(10)).is_ok());
    }
    // ANCHOR_END: tests
}
