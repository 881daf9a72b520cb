//! Exercise 27-2: Listing 27-7's tasks with tokio's `Mutex`, whose guard may
//! be held across `.await`: on one thread they finish, and their future is
//! `Send`, so a multi-thread runtime can take them too.

extern crate tokio;

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::task::yield_now;

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
/// runtime of one thread or of two. `None` if they have not finished
/// within ten seconds: since no thread is ever blocked, the runtime's own
/// timer can say so.
fn two_adders(threads: usize) -> Option<u64> {
    let runtime = match threads {
        1 => tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build(),
        n => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_time()
            .build(),
    }
    .unwrap();
    runtime.block_on(async {
        let total = Arc::new(Mutex::new(0));
        let tasks: Vec<_> = (1..=2)
            .map(|n| tokio::spawn(add_holding_the_guard(Arc::clone(&total), n)))
            .collect();
        let both = async {
            for task in tasks {
                task.await.unwrap();
            }
        };
        tokio::time::timeout(Duration::from_secs(10), both)
            .await
            .ok()?;
        Some(*total.lock().await)
    })
}

fn main() {
    println!("one thread:  {:?}", two_adders(1));
    println!("two threads: {:?}", two_adders(2));
}
// ANCHOR_END: add

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokios_guard_across_await_does_not_deadlock_one_thread() {
        assert_eq!(two_adders(1), Some(3));
    }

    #[test]
    fn the_same_tasks_run_on_two_threads() {
        assert_eq!(two_adders(2), Some(3));
    }
}
