//! Exercise 27-3: what dropping a join handle does. tokio's `JoinHandle`
//! lets the task run on; smol's `Task` cancels it, unless it is detached.

extern crate smol;
extern crate tokio;

use smol::channel::{self, Receiver, Sender};

// ANCHOR: job
/// Waits until the gate opens, then reports that it finished. If the task
/// is cancelled, its future is dropped without being polled again, and both
/// channel ends it holds go with it.
async fn job(gate: Receiver<()>, done: Sender<&'static str>) {
    let _ = gate.recv().await;
    let _ = done.send("finished").await;
}

/// Spawns `job` with `spawn`, drops its handle at once, opens the gate and
/// says what became of the task.
async fn drop_the_handle(
    spawn: impl FnOnce(Receiver<()>, Sender<&'static str>),
) -> &'static str {
    let (open, gate) = channel::bounded(1);
    let (report, reports) = channel::bounded(1);
    spawn(gate, report);
    // Succeeds in every case: the task has not run yet, and a cancelled
    // task's future (the gate with it) stays until its executor next runs it.
    open.send(()).await.expect("the gate is gone already");
    // Fails once the future, and the `done` sender in it, are dropped.
    reports.recv().await.unwrap_or("cancelled")
}

fn on_tokio() -> &'static str {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(drop_the_handle(|gate, done| {
        drop(tokio::spawn(job(gate, done)));
    }))
}

fn on_smol(detach: bool) -> &'static str {
    let executor = smol::Executor::new();
    smol::block_on(executor.run(drop_the_handle(|gate, done| {
        let task = executor.spawn(job(gate, done));
        if detach {
            task.detach();
        } else {
            drop(task);
        }
    })))
}

fn main() {
    println!("tokio, handle dropped:  {}", on_tokio());
    println!("smol, handle dropped:   {}", on_smol(false));
    println!("smol, handle detached:  {}", on_smol(true));
}
// ANCHOR_END: job

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_tokio_handle_detaches_and_a_dropped_smol_task_cancels() {
        assert_eq!(on_tokio(), "finished");
        assert_eq!(on_smol(false), "cancelled");
        assert_eq!(on_smol(true), "finished");
    }
}
