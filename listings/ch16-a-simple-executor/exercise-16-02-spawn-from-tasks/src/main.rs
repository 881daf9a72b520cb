//! Exercise 16-2: a `Spawner` that running tasks can use to start more tasks.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Waker};

type Task = Pin<Box<dyn Future<Output = ()>>>;

// ANCHOR: solution
/// The queue, shared by the executor and every spawner. One thread only, hence `Rc<RefCell>`.
type Queue = Rc<RefCell<VecDeque<Task>>>;

/// A handle that adds tasks to the queue; cheap to clone and to move into a task.
#[derive(Clone)]
struct Spawner {
    queue: Queue,
}

impl Spawner {
    fn spawn(&self, future: impl Future<Output = ()> + 'static) {
        self.queue.borrow_mut().push_back(Box::pin(future));
    }
}

#[derive(Default)]
struct Executor {
    queue: Queue,
}

impl Executor {
    fn spawner(&self) -> Spawner {
        Spawner {
            queue: Rc::clone(&self.queue),
        }
    }

    fn run(&self) -> usize {
        let mut cx = Context::from_waker(Waker::noop());
        let mut polls = 0;
        loop {
            // Take the task out in a statement of its own, so that the queue is no
            // longer borrowed while the task runs: the task may want to spawn.
            let next = self.queue.borrow_mut().pop_front();
            let Some(mut task) = next else { break };
            polls += 1;
            if task.as_mut().poll(&mut cx).is_pending() {
                self.queue.borrow_mut().push_back(task);
            }
        }
        polls
    }
}
// ANCHOR_END: solution

fn main() {
    let executor = Executor::default();
    let spawner = executor.spawner();
    executor.spawner().spawn(async move {
        println!("parent starts");
        for child in 1..=3 {
            spawner.spawn(async move { println!("child {child} runs") });
        }
        println!("parent ends");
    });
    let polls = executor.run();
    println!("{polls} polls");
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
    fn tasks_spawned_by_a_task_run_after_it() {
        with_timeout(|| {
            let log = Rc::new(RefCell::new(Vec::new()));
            let executor = Executor::default();
            let (spawner, parent_log) = (executor.spawner(), Rc::clone(&log));
            executor.spawner().spawn(async move {
                for child in 0..3 {
                    let log = Rc::clone(&parent_log);
                    spawner.spawn(async move { log.borrow_mut().push(child) });
                }
                parent_log.borrow_mut().push(99);
            });
            assert_eq!(executor.run(), 4);
            assert_eq!(*log.borrow(), [99, 0, 1, 2]);
        });
    }

    /// The trap the solution avoids: in `while let`, the `RefMut` made in the
    /// condition lives until the end of the body, so the queue is still
    /// borrowed while the task runs, and the task's `spawn` panics.
    #[test]
    #[should_panic(expected = "already borrowed")]
    fn borrowing_the_queue_in_while_let_panics_when_a_task_spawns() {
        let executor = Executor::default();
        let spawner = executor.spawner();
        executor
            .spawner()
            .spawn(async move { spawner.spawn(async {}) });
        let mut cx = Context::from_waker(Waker::noop());
        while let Some(mut task) = executor.queue.borrow_mut().pop_front() {
            let _ = task.as_mut().poll(&mut cx);
        }
    }
}
