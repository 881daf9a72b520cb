//! A round-robin scheduler: every task gets one step in turn, until all have finished.

use std::collections::VecDeque;

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

// ANCHOR: fibonacci
/// Prints Fibonacci numbers, one per step. What it keeps: two numbers and a count.
struct Fibonacci {
    current: u64,
    next: u64,
    left: u32,
}

impl Fibonacci {
    fn new(count: u32) -> Fibonacci {
        assert!(count > 0, "a task needs at least one step");
        Fibonacci {
            current: 0,
            next: 1,
            left: count,
        }
    }
}

impl Task for Fibonacci {
    fn step(&mut self) -> Step {
        println!("fibonacci: {}", self.current);
        (self.current, self.next) = (self.next, self.current + self.next);
        self.left -= 1;
        if self.left == 0 {
            Step::Finished
        } else {
            Step::Yielded
        }
    }
}
// ANCHOR_END: fibonacci

// ANCHOR: kettle
/// Heats water, then pours cups. Each phase keeps only what that phase needs.
enum Kettle {
    Heating { celsius: u32 },
    Pouring { cups_left: u32 },
    Done,
}

impl Task for Kettle {
    fn step(&mut self) -> Step {
        match self {
            Kettle::Heating { celsius } => {
                *celsius = (*celsius + 40).min(100);
                println!("kettle: water at {celsius} °C");
                if *celsius == 100 {
                    *self = Kettle::Pouring { cups_left: 2 };
                }
                Step::Yielded
            }
            Kettle::Pouring { cups_left } => {
                *cups_left -= 1;
                println!("kettle: poured a cup, {cups_left} left");
                if *cups_left == 0 {
                    *self = Kettle::Done;
                    Step::Finished
                } else {
                    Step::Yielded
                }
            }
            Kettle::Done => Step::Finished,
        }
    }
}
// ANCHOR_END: kettle

// ANCHOR: scheduler
/// Runs every task, one step at a time, in turn, until all have finished.
/// Returns how many steps it ran in all.
fn run(tasks: Vec<Box<dyn Task>>) -> u32 {
    let mut queue: VecDeque<Box<dyn Task>> = tasks.into();
    let mut steps = 0;
    while let Some(mut task) = queue.pop_front() {
        steps += 1;
        match task.step() {
            Step::Yielded => queue.push_back(task), // to the back of the line
            Step::Finished => drop(task),           // its state is freed here
        }
    }
    steps
}
// ANCHOR_END: scheduler

// ANCHOR: main
fn main() {
    let tasks: Vec<Box<dyn Task>> = vec![
        Box::new(Fibonacci::new(5)),
        Box::new(Kettle::Heating { celsius: 20 }),
    ];
    let steps = run(tasks);
    println!("all tasks finished after {steps} steps, on one thread");
}
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// The names and step numbers of the steps taken, in order.
    type Log = Rc<RefCell<Vec<String>>>;

    /// A task that writes "name step" into a shared log at each of its `steps` steps.
    struct Recorder {
        name: &'static str,
        taken: u32,
        steps: u32,
        log: Log,
    }

    impl Task for Recorder {
        fn step(&mut self) -> Step {
            self.taken += 1;
            self.log
                .borrow_mut()
                .push(format!("{}{}", self.name, self.taken));
            if self.taken == self.steps {
                Step::Finished
            } else {
                Step::Yielded
            }
        }
    }

    fn recorders(steps: &[(&'static str, u32)]) -> (Vec<Box<dyn Task>>, Log) {
        let log = Log::default();
        let tasks = steps
            .iter()
            .map(|&(name, steps)| {
                let task = Recorder {
                    name,
                    taken: 0,
                    steps,
                    log: Rc::clone(&log),
                };
                Box::new(task) as Box<dyn Task>
            })
            .collect();
        (tasks, log)
    }

    #[test]
    fn tasks_take_turns_until_each_has_finished() {
        let (tasks, log) = recorders(&[("a", 1), ("b", 3), ("c", 2)]);
        assert_eq!(run(tasks), 6);
        assert_eq!(*log.borrow(), ["a1", "b1", "c1", "b2", "c2", "b3"]);
    }

    #[test]
    fn no_tasks_no_steps() {
        assert_eq!(run(Vec::new()), 0);
    }

    #[test]
    fn the_example_tasks_take_the_expected_number_of_steps() {
        assert_eq!(run(vec![Box::new(Fibonacci::new(5))]), 5);
        assert_eq!(run(vec![Box::new(Kettle::Heating { celsius: 20 })]), 4);
    }
}
