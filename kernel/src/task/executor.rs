//! The kernel's executor: it polls a task only when its waker says so (from a task, a thread or
//! an interrupt handler), builds each task's waker once and keeps it with the task, and halts
//! the CPU when nothing is ready, without ever sleeping through a wake-up.
//!
//! Credit: a waker that pushes its task's id into an `ArrayQueue`, `sleep_if_idle` with its
//! interrupts-off check before `sti; hlt`, and a `Spawner` (suggested there as an extension)
//! follow Philipp Oppermann's "Writing an OS in Rust" post "Async/Await" (code
//! MIT/Apache-2.0). Ours: ids handed out by the executor as it adds tasks, the `queued` flag
//! (each task queued at most once, so no push finds the queue full), rounds of polls, finished
//! tasks whose wakers live on, each task's waker kept in its `Entry` rather than a separate
//! cache, and yielding to threads instead of halting when they can run.

use super::{Task, TaskId};
use crate::threads;
use alloc::collections::{BTreeMap, btree_map};
use alloc::sync::Arc;
use alloc::task::Wake;
use alloc::vec::Vec;
use core::future::Future;
use core::iter;
use core::sync::atomic::{AtomicBool, Ordering};
use core::task::{Context, Waker};
use crossbeam_queue::ArrayQueue;
use spin::Mutex;
use x86_64::instructions::interrupts;

// ANCHOR: waker
/// What a task's waker does: put the task's id in the ready queue, unless it is there already.
/// It neither allocates nor locks, so interrupt handlers may call it. (A handler that drops the
/// last reference to a finished task's waker does free it; `allocator` makes that safe.)
struct TaskWaker {
    id: TaskId,
    queued: AtomicBool,
    ready: Arc<ArrayQueue<TaskId>>,
}

impl TaskWaker {
    fn schedule(&self) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            // A live task is in the queue at most once, and the queue has a slot for each one
            // plus each finished one whose id is still queued (see `Executor::new`), so this
            // push always finds a free slot. It must: a push into a full `ArrayQueue` waits for
            // any pop that is half done, which a handler must never do (see `interrupt_queue`).
            if self.ready.push(self.id).is_err() {
                panic!("the ready queue is full");
            }
        }
    }
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.schedule();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.schedule();
    }
}
// ANCHOR_END: waker

// ANCHOR: executor
/// A live task, and its waker, built once when the task is added.
struct Entry {
    task: Task,
    /// The waker's own side: the executor clears and sets its `queued` flag.
    scheduler: Arc<TaskWaker>,
    /// The same waker as a `Waker`, which each poll lends to the task.
    waker: Waker,
}

pub struct Executor {
    /// The live tasks by id, each with its waker, so polling never builds one.
    tasks: BTreeMap<TaskId, Entry>,
    /// The ids of the tasks to poll; wakers push, the executor pops.
    ready: Arc<ArrayQueue<TaskId>>,
    /// Tasks spawned through a `Spawner`, not yet moved into `tasks` (locked with interrupts off).
    spawned: Arc<Mutex<Vec<Task>>>,
    max_tasks: usize,
    /// The id the next task added gets.
    next_id: TaskId,
}
// ANCHOR_END: executor

/// A handle that tasks, or threads, use to hand new tasks to the executor.
#[derive(Clone)]
pub struct Spawner(Arc<Mutex<Vec<Task>>>);

impl Spawner {
    pub fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) {
        let task = Task::new(future);
        interrupts::without_interrupts(|| self.0.lock().push(task));
    }
}

impl Executor {
    // ANCHOR: spawn
    /// An executor for at most `max_tasks` tasks at a time. Its ready queue has twice as many
    /// slots: one for each task, and one for each task that finished since the last round
    /// with its id still queued (it is taken out, and skipped, in the next round).
    pub fn new(max_tasks: usize) -> Self {
        Executor {
            tasks: BTreeMap::new(),
            ready: Arc::new(ArrayQueue::new(2 * max_tasks)),
            spawned: Arc::new(Mutex::new(Vec::new())),
            max_tasks,
            next_id: TaskId(0),
        }
    }

    pub fn spawner(&self) -> Spawner {
        Spawner(self.spawned.clone())
    }

    pub fn spawn(&mut self, future: impl Future<Output = ()> + Send + 'static) {
        self.add(Task::new(future));
    }

    fn add(&mut self, task: Task) {
        assert!(
            self.tasks.len() < self.max_tasks,
            "more than {} tasks at once",
            self.max_tasks
        );
        let id = self.next_id;
        self.next_id = TaskId(id.0 + 1);
        let scheduler = Arc::new(TaskWaker {
            id,
            queued: AtomicBool::new(false),
            ready: self.ready.clone(),
        });
        let waker = Waker::from(scheduler.clone());
        scheduler.schedule(); // a new task is polled once to get it started
        let entry = Entry {
            task,
            scheduler,
            waker,
        };
        self.tasks.insert(id, entry);
    }
    // ANCHOR_END: spawn

    /// Tasks that have not finished yet.
    pub fn task_count(&self) -> usize {
        self.tasks.len()
    }

    // ANCHOR: run_ready_tasks
    /// Polls the tasks that are ready now, once each. A task that wakes itself while it is
    /// polled (as `yield_now` does) is polled again in the next round, not in this one.
    fn run_ready_tasks(&mut self) {
        let ready = &self.ready;
        // The ids queued when the round begins; `take` counts them before the first pop.
        for id in iter::from_fn(|| ready.pop()).take(ready.len()) {
            // An id whose task has finished is left out.
            if let btree_map::Entry::Occupied(mut live) = self.tasks.entry(id) {
                let entry = live.get_mut();
                // From here on, a wake-up queues the task again, even one during this poll.
                entry.scheduler.queued.store(false, Ordering::Release);
                if entry
                    .task
                    .poll(&mut Context::from_waker(&entry.waker))
                    .is_ready()
                {
                    // Wakers of a finished task may live on (in an `AtomicWaker`, say): marked
                    // as queued for good, they never queue its id again.
                    entry.scheduler.queued.store(true, Ordering::Release);
                    live.remove();
                }
            }
        }
    }
    // ANCHOR_END: run_ready_tasks

    fn take_spawned(&mut self) {
        let spawned = interrupts::without_interrupts(|| core::mem::take(&mut *self.spawned.lock()));
        for task in spawned {
            self.add(task);
        }
    }

    /// Whether a task is ready, or waits to be added. Like every holder of the `spawned` lock, it
    /// keeps interrupts off: a thread that the timer switched to while the lock was held here,
    /// and that called `Spawner::spawn`, would spin on the lock with interrupts off, forever.
    fn has_work(&self) -> bool {
        !self.ready.is_empty() || interrupts::without_interrupts(|| !self.spawned.lock().is_empty())
    }

    // ANCHOR: sleep_if_idle
    /// Halts the CPU until the next interrupt if no task is ready. Interrupts are off between
    /// the check and `hlt`: `sti; hlt` enables them only once `hlt` has begun, so a wake-up
    /// from an interrupt either comes before the check or ends the `hlt`.
    fn sleep_if_idle(&self) {
        interrupts::disable();
        if self.has_work() {
            interrupts::enable();
        } else if threads::others_ready() {
            interrupts::enable();
            threads::yield_now(); // let the threads have the CPU instead
        } else {
            interrupts::enable_and_hlt();
        }
    }
    // ANCHOR_END: sleep_if_idle

    // ANCHOR: run
    /// Runs the tasks forever.
    pub fn run(&mut self) -> ! {
        loop {
            self.take_spawned();
            self.run_ready_tasks();
            self.sleep_if_idle();
        }
    }
    // ANCHOR_END: run

    /// Runs the tasks until `done` says so (asked after every round).
    pub fn run_until(&mut self, done: impl Fn() -> bool) {
        self.run_rounds_until(|_| done());
    }

    /// Runs until every task has finished.
    pub fn run_until_all_done(&mut self) {
        self.run_rounds_until(|executor| executor.tasks.is_empty() && !executor.has_work());
    }

    /// The loop of `run`, asking `done` after every round.
    fn run_rounds_until(&mut self, done: impl Fn(&Self) -> bool) {
        loop {
            self.take_spawned();
            self.run_ready_tasks();
            if done(self) {
                return;
            }
            self.sleep_if_idle();
        }
    }
}
