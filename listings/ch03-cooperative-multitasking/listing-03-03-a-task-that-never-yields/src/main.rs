//! What a task that never yields does to the others in a cooperative scheduler.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

// ANCHOR: step
/// What a task says when it hands the CPU back.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// It stopped at a point of its own choosing and wants to run again.
    Yielded,
    /// It has nothing left to do.
    Finished,
}

/// A task that runs in steps. Between two steps, all it keeps is its own fields.
trait Task {
    /// Runs the task from where it stopped last time to its next stopping point.
    fn step(&mut self) -> Step;
}
// ANCHOR_END: step

/// Runs every task, one step at a time, in turn, until all have finished.
fn run(tasks: Vec<Box<dyn Task + Send>>) {
    let mut queue: VecDeque<_> = tasks.into();
    while let Some(mut task) = queue.pop_front() {
        if task.step() == Step::Yielded {
            queue.push_back(task);
        }
    }
}

/// Counts down from `left` to 1, one number per step.
struct Countdown {
    name: &'static str,
    left: u32,
}

impl Task for Countdown {
    fn step(&mut self) -> Step {
        println!("{}: {}", self.name, self.left);
        self.left -= 1;
        if self.left == 0 {
            Step::Finished
        } else {
            Step::Yielded
        }
    }
}

// ANCHOR: hog
/// A task that keeps the CPU for as long as it likes. It returns from `step` only when
/// `stop` is set, and nothing in a cooperative scheduler can make it return sooner.
struct Hog {
    stop: Arc<AtomicBool>,
}

impl Task for Hog {
    fn step(&mut self) -> Step {
        println!("hog: working, and not yielding");
        while !self.stop.load(Ordering::Relaxed) {
            std::hint::spin_loop(); // stands for a long computation
        }
        println!("hog: stopped from outside");
        Step::Finished
    }
}
// ANCHOR_END: hog

// ANCHOR: main
fn main() {
    let stop = Arc::new(AtomicBool::new(false));
    // Only so that this example ends: a second thread stops the hog after a while.
    // A scheduler on its own has no way to do this.
    let rescue = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(100));
            stop.store(true, Ordering::Relaxed);
        })
    };
    run(vec![
        Box::new(Countdown { name: "a", left: 3 }),
        Box::new(Hog { stop }),
        Box::new(Countdown { name: "b", left: 3 }),
    ]);
    rescue.join().unwrap();
}
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;
    use std::sync::mpsc::{self, RecvTimeoutError};

    /// Counts its steps in a shared counter that the test can read at any time.
    struct Counter {
        steps: Arc<AtomicU32>,
        total: u32,
    }

    impl Task for Counter {
        fn step(&mut self) -> Step {
            let taken = self.steps.fetch_add(1, Ordering::SeqCst) + 1;
            if taken == self.total {
                Step::Finished
            } else {
                Step::Yielded
            }
        }
    }

    fn counter(steps: &Arc<AtomicU32>) -> Box<dyn Task + Send> {
        let steps = Arc::clone(steps);
        Box::new(Counter { steps, total: 3 })
    }

    // ANCHOR: test
    #[test]
    fn a_task_that_never_yields_starves_the_others() {
        let stop = Arc::new(AtomicBool::new(false));
        let (first, last) =
            (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
        let hog: Box<dyn Task + Send> = Box::new(Hog {
            stop: Arc::clone(&stop),
        });
        let tasks = vec![counter(&first), hog, counter(&last)];

        // The scheduler runs on a thread of its own, so that the test can watch it.
        let (finished, scheduler_done) = mpsc::channel();
        let scheduler = thread::spawn(move || {
            run(tasks);
            finished.send(()).unwrap();
        });

        // Give the other tasks ample time in which they could have run.
        // Only the time running out counts: a panic would be `Disconnected`.
        let waited = scheduler_done.recv_timeout(Duration::from_millis(300));
        assert_eq!(
            waited,
            Err(RecvTimeoutError::Timeout),
            "the hog did not hold on"
        );
        assert_eq!(first.load(Ordering::SeqCst), 1); // one step, before the hog's turn
        assert_eq!(last.load(Ordering::SeqCst), 0); // not a single step

        // Let the hog go: now the others get their turns, and everything finishes.
        stop.store(true, Ordering::Relaxed);
        let waited = scheduler_done.recv_timeout(Duration::from_secs(10));
        waited.expect("the scheduler did not finish once the hog had stopped");
        scheduler.join().unwrap();
        assert_eq!(first.load(Ordering::SeqCst), 3);
        assert_eq!(last.load(Ordering::SeqCst), 3);
    }
    // ANCHOR_END: test
}
