//! Listing 27-3: a blocking call inside a task stops every task of its
//! thread; `spawn_blocking` moves it to tokio's blocking pool instead.

extern crate tokio;

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;
use tokio::task;

/// How long the blocking receive waits inside the task: it is meant to give
/// up, and this is how long the listing watches it fail.
const PATIENCE_IN_THE_TASK: Duration = Duration::from_millis(200);
/// How long it waits on the blocking pool: it returns as soon as the message
/// arrives, so a long patience costs nothing when all goes well.
const PATIENCE_ON_THE_POOL: Duration = Duration::from_secs(10);

// ANCHOR: blocking
/// The blocking call: waits on a `std` channel for a message that another
/// task of the same runtime sends.
fn wait_for_message(inbox: mpsc::Receiver<&str>, patience: Duration) -> String {
    match inbox.recv_timeout(patience) {
        Ok(message) => format!("got {message:?}"),
        Err(RecvTimeoutError::Timeout) => "gave up waiting".to_string(),
        Err(RecvTimeoutError::Disconnected) => "the sender is gone".into(),
    }
}

/// Runs `wait_for_message` inside a task, or on the blocking pool, while
/// a second task sends the message. One thread runs the tasks. Returns
/// what the receiver got, and what the sender found when it sent.
fn exchange(on_the_blocking_pool: bool) -> (String, &'static str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (outbox, inbox) = mpsc::channel();
        let receiver = tokio::spawn(async move {
            if on_the_blocking_pool {
                let wait = || wait_for_message(inbox, PATIENCE_ON_THE_POOL);
                task::spawn_blocking(wait).await.unwrap()
            } else {
                // Blocks the runtime's one thread.
                wait_for_message(inbox, PATIENCE_IN_THE_TASK)
            }
        });
        let sender = tokio::spawn(async move {
            match outbox.send("hello") {
                Ok(()) => "sent it",
                // The receiver is dropped when its wait ends.
                Err(_) => "found the receiver gone",
            }
        });
        (receiver.await.unwrap(), sender.await.unwrap())
    })
}

fn main() {
    let (got, sender) = exchange(false);
    println!("blocking inside the task: {got}; the sender then {sender}");
    let (got, sender) = exchange(true);
    println!("on the blocking pool:     {got}; the sender {sender}");
}
// ANCHOR_END: blocking

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocking_call_in_a_task_keeps_the_other_tasks_from_running() {
        // The sender did run, but only once the wait had ended and dropped
        // the receiver: it could not run while the wait held the thread.
        let (got, sender) = exchange(false);
        assert_eq!(got, "gave up waiting");
        assert_eq!(sender, "found the receiver gone");
    }

    #[test]
    fn spawn_blocking_leaves_the_runtime_thread_to_the_other_tasks() {
        let (got, sender) = exchange(true);
        assert_eq!(got, "got \"hello\"");
        assert_eq!(sender, "sent it");
    }
}
