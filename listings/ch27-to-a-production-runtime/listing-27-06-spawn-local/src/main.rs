//! Listing 27-6: a future that holds an `Rc` across `.await` is not `Send`;
//! tokio's `LocalSet` and smol's `LocalExecutor` run it all the same.

extern crate smol;
extern crate tokio;

use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::Poll;

// ANCHOR: task
/// Appends to a log shared through an `Rc`, which stays alive across
/// every `.await`: the future is not `Send`.
async fn note_twice(log: Rc<RefCell<Vec<String>>>, name: &'static str) {
    log.borrow_mut().push(format!("{name}: first"));
    yield_now().await;
    log.borrow_mut().push(format!("{name}: second"));
}
// ANCHOR_END: task

/// Pending once, after waking its own task: gives the others a turn on
/// any executor (chapter 16's `yield_now`).
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

// ANCHOR: tokio
fn on_a_tokio_local_set() -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let a = tokio::task::spawn_local(note_twice(Rc::clone(&log), "a"));
        let b = tokio::task::spawn_local(note_twice(Rc::clone(&log), "b"));
        a.await.unwrap();
        b.await.unwrap();
    });
    log.take()
}
// ANCHOR_END: tokio

// ANCHOR: smol
fn on_a_smol_local_executor() -> Vec<String> {
    let log = Rc::new(RefCell::new(Vec::new()));
    let executor = smol::LocalExecutor::new();
    let a = executor.spawn(note_twice(Rc::clone(&log), "a"));
    let b = executor.spawn(note_twice(Rc::clone(&log), "b"));
    smol::block_on(executor.run(async {
        a.await;
        b.await;
    }));
    log.take()
}
// ANCHOR_END: smol

fn main() {
    println!("tokio LocalSet:      {}", on_a_tokio_local_set().join(", "));
    println!(
        "smol LocalExecutor:  {}",
        on_a_smol_local_executor().join(", ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{self, RecvTimeoutError};
    use std::time::Duration;
    use std::{panic, thread};

    /// Runs `run` on a thread of its own, so that a lost wake-up fails the
    /// test after ten seconds instead of hanging it. A panic on that thread
    /// is passed on, as itself.
    fn within_ten_seconds(run: fn() -> Vec<String>) -> Vec<String> {
        let (done, finished) = mpsc::channel();
        let runner = thread::spawn(move || {
            let _ = done.send(run());
        });
        match finished.recv_timeout(Duration::from_secs(10)) {
            Ok(log) => log,
            Err(RecvTimeoutError::Timeout) => {
                panic!("the tasks still run after 10 s: a lost wake-up")
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic::resume_unwind(runner.join().unwrap_err())
            }
        }
    }

    #[test]
    fn both_runtimes_interleave_the_non_send_tasks_on_one_thread() {
        let expected = ["a: first", "b: first", "a: second", "b: second"];
        assert_eq!(within_ten_seconds(on_a_tokio_local_set), expected);
        assert_eq!(within_ten_seconds(on_a_smol_local_executor), expected);
    }
}
