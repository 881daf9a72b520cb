//! Listing 27-2: a task that always finds its next message ready. On the
//! book's executor it keeps the thread until it has drained the channel; on
//! tokio's current-thread runtime its budget runs out, and another task runs.
//! smol's executor has no budget.

extern crate smol;
extern crate tokio;

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Wake, Waker};
use tokio::sync::mpsc::{self, UnboundedReceiver};

const MESSAGES: u32 = 1_000;

// ANCHOR: tasks
/// Receives every message of the channel, counting them as it goes.
/// Every message is already there, so each `recv` is ready at once.
async fn drain(mut messages: UnboundedReceiver<u32>, count: Arc<AtomicU32>) {
    while messages.recv().await.is_some() {
        count.fetch_add(1, SeqCst);
    }
}

/// Spawned second: returns how many messages `drain` had received by the
/// time this task got its first turn.
async fn watch(count: Arc<AtomicU32>) -> u32 {
    count.load(SeqCst)
}

/// A channel holding `MESSAGES` messages, its sender already gone.
fn full_channel() -> UnboundedReceiver<u32> {
    let (sender, receiver) = mpsc::unbounded_channel();
    for n in 0..MESSAGES {
        sender.send(n).unwrap();
    }
    receiver
}
// ANCHOR_END: tasks

// ANCHOR: runs
/// Both tasks on the book's executor (a copy of Listing 17-1's, below).
fn on_the_books_executor() -> u32 {
    let count = Arc::new(AtomicU32::new(0));
    let seen = Arc::new(AtomicU32::new(u32::MAX));
    let mut executor = Executor::default();
    executor.spawn(drain(full_channel(), Arc::clone(&count)));
    let answer = Arc::clone(&seen);
    executor.spawn(async move { answer.store(watch(count).await, SeqCst) });
    executor.run();
    seen.load(SeqCst)
}

/// The same two tasks, spawned on tokio's current-thread runtime.
fn on_tokio_current_thread() -> u32 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let count = Arc::new(AtomicU32::new(0));
        let drainer = tokio::spawn(drain(full_channel(), Arc::clone(&count)));
        let watcher = tokio::spawn(watch(count));
        drainer.await.unwrap();
        watcher.await.unwrap()
    })
}

/// And on smol's single-threaded executor.
fn on_smol_local_executor() -> u32 {
    let executor = smol::LocalExecutor::new();
    let count = Arc::new(AtomicU32::new(0));
    let drainer = executor.spawn(drain(full_channel(), Arc::clone(&count)));
    let watcher = executor.spawn(watch(count));
    smol::block_on(executor.run(async {
        drainer.await;
        watcher.await
    }))
}

fn main() {
    let book = on_the_books_executor();
    let tokio = on_tokio_current_thread();
    let smol = on_smol_local_executor();
    println!("The other task ran after this many of {MESSAGES} messages:");
    println!("  the book's executor: {book}");
    println!("  tokio, one thread:   {tokio}");
    println!("  smol LocalExecutor:  {smol}");
}
// ANCHOR_END: runs

/// The executor of Listing 17-1, cut down to what this listing needs: task
/// ids, a ready queue, and a waker that pushes its task's id.
#[derive(Default)]
struct Executor {
    tasks: Vec<Option<Pin<Box<dyn Future<Output = ()>>>>>,
    ready: Arc<Mutex<VecDeque<usize>>>,
}

struct TaskWaker {
    id: usize,
    ready: Arc<Mutex<VecDeque<usize>>>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.ready.lock().unwrap().push_back(self.id);
    }
}

impl Executor {
    fn spawn(&mut self, future: impl Future<Output = ()> + 'static) {
        self.ready.lock().unwrap().push_back(self.tasks.len());
        self.tasks.push(Some(Box::pin(future)));
    }

    /// Polls queued tasks until none is left. Nothing outside wakes these
    /// tasks, so an empty queue with tasks left would be a bug.
    fn run(&mut self) {
        while self.tasks.iter().any(Option::is_some) {
            let next = self.ready.lock().unwrap().pop_front();
            let id = next.expect("a task waits, and nothing will wake it");
            let ready = Arc::clone(&self.ready);
            let waker = Waker::from(Arc::new(TaskWaker { id, ready }));
            let Some(task) = self.tasks[id].as_mut() else {
                continue; // a stale id: that task has finished
            };
            if task
                .as_mut()
                .poll(&mut Context::from_waker(&waker))
                .is_ready()
            {
                self.tasks[id] = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_books_executor_lets_an_always_ready_task_starve_the_others() {
        assert_eq!(on_the_books_executor(), MESSAGES);
    }

    #[test]
    fn tokios_budget_makes_an_always_ready_task_yield() {
        let seen = on_tokio_current_thread();
        assert!(seen > 0, "the drainer did not run first");
        assert!(seen < MESSAGES, "the watcher ran only after all {seen}");
    }

    #[test]
    fn smols_executor_has_no_budget() {
        assert_eq!(on_smol_local_executor(), MESSAGES);
    }
}
