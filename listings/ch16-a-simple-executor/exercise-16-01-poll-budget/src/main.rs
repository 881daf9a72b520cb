//! Exercise 16-1: a poll budget, so that an executor whose tasks can never finish
//! says so instead of spinning forever.

extern crate futures;

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Waker};

type Task = Pin<Box<dyn Future<Output = ()>>>;

// ANCHOR: solution
/// `run` gave up: the budget was spent while tasks were still unfinished.
#[derive(Debug, PartialEq)]
struct Stuck {
    polls: usize,
    unfinished: usize,
}

#[derive(Default)]
struct Executor {
    queue: VecDeque<Task>,
}

impl Executor {
    fn spawn(&mut self, future: impl Future<Output = ()> + 'static) {
        self.queue.push_back(Box::pin(future));
    }

    /// Polls the tasks in turn until all have finished, or until `budget` polls are spent.
    fn run(&mut self, budget: usize) -> Result<usize, Stuck> {
        let mut cx = Context::from_waker(Waker::noop());
        let mut polls = 0;
        while let Some(mut task) = self.queue.pop_front() {
            if polls == budget {
                self.queue.push_front(task); // still unfinished: keep it
                let unfinished = self.queue.len();
                return Err(Stuck { polls, unfinished });
            }
            polls += 1;
            if task.as_mut().poll(&mut cx).is_pending() {
                self.queue.push_back(task);
            }
        }
        Ok(polls)
    }
}
// ANCHOR_END: solution

fn main() {
    let mut executor = Executor::default();
    executor.spawn(async {});
    // Waits for a message that never comes: the sender lives on, but never sends.
    let (_sender, receiver) = futures::channel::oneshot::channel::<()>();
    executor.spawn(async move { receiver.await.unwrap() });
    println!("{:?}", executor.run(1000));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{self, RecvTimeoutError};
    use std::thread;
    use std::time::Duration;

    /// Runs `test` on a thread of its own and fails if it takes more than five seconds.
    fn with_timeout(test: impl FnOnce() + Send + 'static) {
        let (done, finished) = mpsc::channel();
        let thread = thread::spawn(move || {
            test();
            let _ = done.send(());
        });
        match finished.recv_timeout(Duration::from_secs(5)) {
            Ok(()) => {}
            Err(RecvTimeoutError::Disconnected) => {
                std::panic::resume_unwind(thread.join().unwrap_err())
            }
            Err(RecvTimeoutError::Timeout) => {
                panic!("the executor did not finish in 5 s")
            }
        }
    }

    #[test]
    fn finishing_tasks_stay_within_the_budget() {
        with_timeout(|| {
            let mut executor = Executor::default();
            executor.spawn(async {});
            executor.spawn(async {});
            assert_eq!(executor.run(2), Ok(2));
        });
    }

    #[test]
    fn a_task_waiting_for_ever_spends_the_whole_budget() {
        with_timeout(|| {
            let (sender, receiver) = futures::channel::oneshot::channel::<()>();
            let mut executor = Executor::default();
            executor.spawn(async move { receiver.await.unwrap() });
            executor.spawn(async {});
            let stuck = Stuck {
                polls: 100,
                unfinished: 1,
            };
            assert_eq!(executor.run(100), Err(stuck));
            drop(sender);
        });
    }
}
