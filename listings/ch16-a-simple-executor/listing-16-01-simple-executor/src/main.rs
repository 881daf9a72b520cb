//! The simplest executor there is: a queue of boxed futures, polled in turn until every one
//! has finished, with a waker that does nothing.

extern crate futures;

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

// ANCHOR: task
/// A spawned future. Boxed, so that futures of different types fit in one queue;
/// pinned, because `poll` wants `Pin<&mut Self>`, and a box never moves what it holds.
type Task = Pin<Box<dyn Future<Output = ()>>>;
// ANCHOR_END: task

// ANCHOR: executor
#[derive(Default)]
struct Executor {
    queue: VecDeque<Task>,
}

impl Executor {
    /// Adds a future to the end of the queue; it runs when `run` is called.
    fn spawn(&mut self, future: impl Future<Output = ()> + 'static) {
        self.queue.push_back(Box::pin(future));
    }

    /// Polls the tasks in turn until all have finished, and returns how many polls it took.
    fn run(&mut self) -> usize {
        // Nobody listens to this waker: every unfinished task is polled again anyway.
        let mut cx = Context::from_waker(Waker::noop());
        let mut polls = 0;
        while let Some(mut task) = self.queue.pop_front() {
            polls += 1;
            match task.as_mut().poll(&mut cx) {
                Poll::Ready(()) => {} // finished: the task is dropped here
                Poll::Pending => self.queue.push_back(task),
            }
        }
        polls
    }
}
// ANCHOR_END: executor

// ANCHOR: yield_now
/// A future that is pending once, then ready: it lets the other tasks take a turn.
struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref(); // ready to go on at once: ask to be polled again
        Poll::Pending
    }
}

fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}
// ANCHOR_END: yield_now

// ANCHOR: main
fn main() {
    let mut executor = Executor::default();
    for name in ["ping", "pong"] {
        executor.spawn(async move {
            for round in 1..=3 {
                println!("{name} {round}");
                yield_now().await;
            }
        });
    }
    let polls = executor.run();
    println!("all tasks finished after {polls} polls");
}
// ANCHOR_END: main

// ANCHOR: tests
#[cfg(test)]
mod tests {
    use super::*;
    use futures::channel::oneshot;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::sync::mpsc::{self, RecvTimeoutError};
    use std::thread;
    use std::time::Duration;

    /// Runs `test` on a thread of its own and fails if it takes more than five
    /// seconds: a broken executor spins forever instead of failing.
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
    fn runs_every_task_to_completion() {
        with_timeout(|| {
            let finished = Rc::new(RefCell::new(Vec::new()));
            let mut executor = Executor::default();
            for task in 0..3 {
                let finished = Rc::clone(&finished);
                executor.spawn(async move {
                    for _ in 0..task {
                        yield_now().await;
                    }
                    finished.borrow_mut().push(task);
                });
            }
            executor.run();
            assert_eq!(*finished.borrow(), [0, 1, 2]);
        });
    }

    #[test]
    fn tasks_take_turns_in_the_order_they_were_spawned() {
        with_timeout(|| {
            let log = Rc::new(RefCell::new(Vec::new()));
            let mut executor = Executor::default();
            for name in ["a", "b"] {
                let log = Rc::clone(&log);
                executor.spawn(async move {
                    for step in 1..=2 {
                        log.borrow_mut().push(format!("{name}{step}"));
                        yield_now().await;
                    }
                });
            }
            executor.run();
            assert_eq!(*log.borrow(), ["a1", "b1", "a2", "b2"]);
        });
    }

    #[test]
    fn a_task_that_never_waits_is_polled_once() {
        with_timeout(|| {
            let mut executor = Executor::default();
            executor.spawn(async {});
            assert_eq!(executor.run(), 1);
        });
    }

    #[test]
    fn a_value_goes_from_one_task_to_another() {
        with_timeout(|| {
            let (sender, receiver) = oneshot::channel();
            let received = Rc::new(RefCell::new(None));
            let mut executor = Executor::default();
            let slot = Rc::clone(&received);
            executor.spawn(async move {
                *slot.borrow_mut() = Some(receiver.await.unwrap()); // waits for the sender
            });
            executor.spawn(async move {
                yield_now().await;
                sender.send(42).unwrap();
            });
            executor.run();
            assert_eq!(*received.borrow(), Some(42));
        });
    }
}
// ANCHOR_END: tests
