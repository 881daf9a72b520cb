//! Exercise 19-2: in which order do two yielding tasks take their steps, on a
//! `LocalPool` and on a `ThreadPool` with one thread?

extern crate futures;

use futures::executor::{LocalPool, ThreadPool};
use futures::task::LocalSpawnExt;
use std::future::{Future, poll_fn};
use std::sync::mpsc::{self, Sender};
use std::task::Poll;
use std::time::Duration;

// ANCHOR: solution
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

/// A task that reports three steps, yielding after each.
async fn steps(name: char, report: Sender<String>) {
    for step in 0..3 {
        report.send(format!("{name}{step}")).unwrap();
        yield_now().await;
    }
}

fn main() {
    let (report, reports) = mpsc::channel();
    let mut local = LocalPool::new();
    for name in ['a', 'b'] {
        let task = steps(name, report.clone());
        local.spawner().spawn_local(task).unwrap();
    }
    local.run();
    let order: Vec<String> = reports.try_iter().collect();
    println!("LocalPool:               {}", order.join(" "));

    let pool = ThreadPool::builder().pool_size(1).create().unwrap();
    for name in ['a', 'b'] {
        pool.spawn_ok(steps(name, report.clone()));
    }
    let timeout = Duration::from_secs(10);
    let order: Vec<String> = (0..6)
        .map(|_| reports.recv_timeout(timeout).unwrap())
        .collect();
    println!("ThreadPool (one thread): {}", order.join(" "));
}
// ANCHOR_END: solution
