//! Listing 27-4: two tasks spawned by one task of tokio's multi-thread
//! runtime run at the same time, on two threads: an idle worker stole one.

extern crate tokio;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

/// How long a task waits for its partner before it gives up.
const PATIENCE: Duration = Duration::from_secs(10);

// ANCHOR: meet
/// Marks this task as arrived, then keeps its thread busy until `partners`
/// tasks have arrived. Only a task on another thread can arrive meanwhile.
/// Returns the thread it ran on, or `None` if the partner never came.
fn meet(arrived: &AtomicUsize, partners: usize) -> Option<ThreadId> {
    arrived.fetch_add(1, SeqCst);
    let deadline = Instant::now() + PATIENCE;
    while arrived.load(SeqCst) < partners {
        if Instant::now() > deadline {
            return None;
        }
        thread::yield_now(); // deliberately not `.await`: hold the worker
    }
    Some(thread::current().id())
}

/// On a runtime with two workers, one task spawns two tasks that must
/// meet. Returns the threads they ran on, if they met.
fn spawned_from_one_worker() -> Option<Vec<ThreadId>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let threads = Arc::new(Mutex::new(Vec::new()));
    let spawner_threads = Arc::clone(&threads);
    runtime.block_on(async move {
        // Spawned from block_on, this task goes to the shared queue; the
        // two it spawns go to the local queue of the worker that runs it.
        tokio::spawn(async move {
            let arrived = Arc::new(AtomicUsize::new(0));
            let pair: Vec<_> = (0..2)
                .map(|_| {
                    let arrived = Arc::clone(&arrived);
                    tokio::spawn(async move { meet(&arrived, 2) })
                })
                .collect();
            for handle in pair {
                let thread = handle.await.unwrap();
                spawner_threads.lock().unwrap().push(thread);
            }
        })
        .await
        .unwrap();
    });
    let threads = threads.lock().unwrap();
    threads.iter().copied().collect()
}
// ANCHOR_END: meet

// ANCHOR: main
fn main() {
    match spawned_from_one_worker() {
        Some(threads) if threads[0] != threads[1] => {
            println!("the two tasks met, on two different threads")
        }
        Some(_) => println!("the two tasks met on one thread?!"),
        None => println!("a task waited in vain: nobody stole its partner"),
    }
}
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_worker_steals_a_task_spawned_on_a_busy_one() {
        for _ in 0..20 {
            let threads = spawned_from_one_worker()
                .expect("a task waited in vain: nobody stole its partner");
            assert_ne!(threads[0], threads[1]);
        }
    }
}
