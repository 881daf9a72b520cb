//! Exercise 27-1: a cooperative budget for the book's executor. The executor
//! refills it before every poll; `consume_budget` spends it, and once it is
//! spent, makes the task yield.

extern crate tokio;

use std::cell::Cell;
use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use tokio::sync::mpsc::{self, UnboundedReceiver};

const MESSAGES: u32 = 1_000;

// ANCHOR: budget
/// Operations a task may do in one poll before it must yield.
const BUDGET_PER_POLL: u32 = 128;

thread_local! {
    /// What is left of the budget of the task being polled on this thread;
    /// `None` outside a poll of this executor (no limit).
    static BUDGET: Cell<Option<u32>> = const { Cell::new(None) };
}

/// Spends one unit of the current task's budget. With none left, wakes
/// the task and returns `Pending` once: the task goes to the back of the
/// ready queue, and the executor refills the budget when it polls it again.
async fn consume_budget() {
    poll_fn(|cx| match BUDGET.get() {
        Some(0) => {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Some(left) => {
            BUDGET.set(Some(left - 1));
            Poll::Ready(())
        }
        None => Poll::Ready(()),
    })
    .await
}

/// Listing 27-2's `drain`, spending one unit per message.
async fn drain(mut messages: UnboundedReceiver<u32>, count: Arc<AtomicU32>) {
    while messages.recv().await.is_some() {
        consume_budget().await;
        count.fetch_add(1, SeqCst);
    }
}
// ANCHOR_END: budget

/// Spawned second: how many messages `drain` had received by the time this
/// task got its first turn.
async fn watch(count: Arc<AtomicU32>) -> u32 {
    count.load(SeqCst)
}

fn full_channel() -> UnboundedReceiver<u32> {
    let (sender, receiver) = mpsc::unbounded_channel();
    for n in 0..MESSAGES {
        sender.send(n).unwrap();
    }
    receiver
}

fn watcher_saw() -> u32 {
    let count = Arc::new(AtomicU32::new(0));
    let seen = Arc::new(AtomicU32::new(u32::MAX));
    let mut executor = Executor::default();
    executor.spawn(drain(full_channel(), Arc::clone(&count)));
    let answer = Arc::clone(&seen);
    executor.spawn(async move { answer.store(watch(count).await, SeqCst) });
    executor.run();
    seen.load(SeqCst)
}

fn main() {
    let seen = watcher_saw();
    println!("the other task ran after {seen} of {MESSAGES} messages");
}

/// Listing 27-2's executor, with the budget refilled around every poll.
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

    fn run(&mut self) {
        while self.tasks.iter().any(Option::is_some) {
            let next = self.ready.lock().unwrap().pop_front();
            let id = next.expect("a task waits, and nothing will wake it");
            let ready = Arc::clone(&self.ready);
            let waker = Waker::from(Arc::new(TaskWaker { id, ready }));
            let Some(task) = self.tasks[id].as_mut() else {
                continue;
            };
            // ANCHOR: refill
            BUDGET.set(Some(BUDGET_PER_POLL));
            let poll = task.as_mut().poll(&mut Context::from_waker(&waker));
            BUDGET.set(None);
            // ANCHOR_END: refill
            if poll.is_ready() {
                self.tasks[id] = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_lets_the_other_task_run_after_one_polls_worth() {
        assert_eq!(watcher_saw(), BUDGET_PER_POLL);
    }
}
