//! Listing 27-7: a `std::sync::MutexGuard` held across `.await` deadlocks a
//! single-threaded executor; dropped before the `.await`, it does not.

extern crate tokio;

use std::future::poll_fn;
use std::panic;
use std::rc::Rc;
use std::sync::Mutex;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::task::Poll;
use std::thread;
use std::time::Duration;

// ANCHOR: tasks
/// Holds the guard while it yields: the next task runs meanwhile.
#[expect(clippy::await_holding_lock, reason = "the point of the listing")]
async fn add_holding_the_guard(total: Rc<Mutex<u64>>, amount: u64) {
    let mut guard = total.lock().unwrap();
    yield_now().await;
    *guard += amount;
}

/// Lets go of the guard before it yields.
async fn add_then_yield(total: Rc<Mutex<u64>>, amount: u64) {
    *total.lock().unwrap() += amount;
    yield_now().await;
}

/// Two tasks add to one total, on tokio's current-thread runtime (its
/// `LocalSet` runs futures that are not `Send`, like these).
fn two_adders(hold_the_guard: bool) -> u64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let total = Rc::new(Mutex::new(0));
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let tasks: Vec<_> = (1..=2)
            .map(|amount| {
                let total = Rc::clone(&total);
                tokio::task::spawn_local(async move {
                    if hold_the_guard {
                        add_holding_the_guard(total, amount).await
                    } else {
                        add_then_yield(total, amount).await
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    *total.lock().unwrap()
}
// ANCHOR_END: tasks

// ANCHOR: within
/// How a run of `two_adders` ended.
#[derive(Debug, PartialEq)]
enum Outcome {
    Finished(u64),
    /// Still running after the patience ran out: its thread is stuck.
    Stuck,
}

/// Runs `two_adders` on a thread of its own and waits at most `patience`.
/// A panic on that thread is passed on: a panic is not a deadlock.
fn within(patience: Duration, hold_the_guard: bool) -> Outcome {
    let (done, finished) = mpsc::channel();
    let runner = thread::spawn(move || {
        let total = two_adders(hold_the_guard);
        let _ = done.send(total);
    });
    match finished.recv_timeout(patience) {
        Ok(total) => Outcome::Finished(total),
        // The thread stays blocked in `lock()` until the process ends.
        Err(RecvTimeoutError::Timeout) => Outcome::Stuck,
        Err(RecvTimeoutError::Disconnected) => {
            panic::resume_unwind(runner.join().unwrap_err())
        }
    }
}

fn main() {
    let stuck = within(Duration::from_millis(300), true);
    println!("guard held across .await:   {stuck:?}");
    let done = within(Duration::from_secs(10), false);
    println!("guard dropped before:       {done:?}");
}
// ANCHOR_END: within

/// Pending once, after waking its own task: the next task gets a turn
/// (chapter 16's `yield_now`).
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

#[cfg(test)]
mod tests {
    use super::*;

    // ANCHOR: tests
    #[test]
    fn a_guard_held_across_await_deadlocks_a_single_thread() {
        // The second task blocks the thread in `lock()`; the first, which
        // holds the guard, can only go on on that same thread.
        assert_eq!(within(Duration::from_secs(2), true), Outcome::Stuck);
    }

    #[test]
    fn a_guard_dropped_before_await_lets_both_tasks_finish() {
        let outcome = within(Duration::from_secs(10), false);
        assert_eq!(outcome, Outcome::Finished(3));
    }
    // ANCHOR_END: tests
}
