//! Exercise 27-2: Listing 27-7's tasks with tokio's `Mutex`, whose guard may
//! be held across `.await`: on one thread they finish, and their future is
//! `Send`, so a multi-thread runtime can take them too.

extern crate tokio;

use std::future::poll_fn;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::task::Poll;
use std::thread;
use std::time::Duration;
use tokio::sync::Mutex;

// ANCHOR: add
/// Holds tokio's guard while it yields. A second task that wants the lock
/// meets `lock().await`, which returns `Pending` instead of blocking the
/// thread; the guard's drop wakes it.
async fn add_holding_the_guard(total: Arc<Mutex<u64>>, amount: u64) {
    let mut guard = total.lock().await;
    yield_now().await;
    *guard += amount;
}

/// Two such tasks, spawned with `tokio::spawn` (the future is `Send`) on a
/// runtime of one thread or of two.
fn two_adders(threads: usize) -> u64 {
    let runtime = match threads {
        1 => tokio::runtime::Builder::new_current_thread().build(),
        n => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .build(),
    }
    .unwrap();
    runtime.block_on(async {
        let total = Arc::new(Mutex::new(0));
        let tasks: Vec<_> = (1..=2)
            .map(|n| tokio::spawn(add_holding_the_guard(Arc::clone(&total), n)))
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        *total.lock().await
    })
}
// ANCHOR_END: add

/// Runs `two_adders` on a thread and gives up after ten seconds, so that a
/// deadlock would fail instead of hanging.
fn within_ten_seconds(threads: usize) -> Option<u64> {
    let (done, finished) = mpsc::channel();
    let runner = thread::spawn(move || {
        let _ = done.send(two_adders(threads));
    });
    match finished.recv_timeout(Duration::from_secs(10)) {
        Ok(total) => Some(total),
        Err(RecvTimeoutError::Timeout) => None,
        Err(RecvTimeoutError::Disconnected) => {
            std::panic::resume_unwind(runner.join().unwrap_err())
        }
    }
}

fn main() {
    println!("one thread:  {:?}", within_ten_seconds(1));
    println!("two threads: {:?}", within_ten_seconds(2));
}

/// Pending once, after waking its own task (chapter 16's `yield_now`).
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

    #[test]
    fn tokios_guard_across_await_does_not_deadlock_one_thread() {
        assert_eq!(within_ten_seconds(1), Some(3));
    }

    #[test]
    fn the_same_tasks_run_on_two_threads() {
        assert_eq!(within_ten_seconds(2), Some(3));
    }
}
