//! Listing 27-3: a blocking call inside a task stops every task of its
//! thread; `spawn_blocking` moves it to tokio's blocking pool instead.

extern crate tokio;

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;
use tokio::task;

/// How long the blocking receive waits before it gives up.
const PATIENCE: Duration = Duration::from_millis(200);

// ANCHOR: blocking
/// The blocking call: waits on a `std` channel for a message that another
/// task of the same runtime sends.
fn wait_for_message(inbox: mpsc::Receiver<&str>) -> String {
    match inbox.recv_timeout(PATIENCE) {
        Ok(message) => format!("got {message:?}"),
        Err(RecvTimeoutError::Timeout) => "gave up waiting".to_string(),
        Err(RecvTimeoutError::Disconnected) => "the sender is gone".into(),
    }
}

/// Runs `wait_for_message` inside a task, or on the blocking pool, while
/// a second task sends the message. One thread runs the tasks.
fn exchange(on_the_blocking_pool: bool) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (outbox, inbox) = mpsc::channel();
        let receiver = tokio::spawn(async move {
            if on_the_blocking_pool {
                task::spawn_blocking(|| wait_for_message(inbox))
                    .await
                    .unwrap()
            } else {
                wait_for_message(inbox) // blocks the runtime's one thread
            }
        });
        let sender = tokio::spawn(async move { outbox.send("hello") });
        let outcome = receiver.await.unwrap();
        let _ = sender.await.unwrap(); // the receiver may be gone: fine
        outcome
    })
}

fn main() {
    println!("blocking inside the task: {}", exchange(false));
    println!("on the blocking pool:     {}", exchange(true));
}
// ANCHOR_END: blocking

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocking_call_in_a_task_keeps_the_other_tasks_from_running() {
        assert_eq!(exchange(false), "gave up waiting");
    }

    #[test]
    fn spawn_blocking_leaves_the_runtime_thread_to_the_other_tasks() {
        assert_eq!(exchange(true), "got \"hello\"");
    }
}
