//! Exercise 3-1: a Collatz sequence as a task, next to the Fibonacci task.

use std::collections::VecDeque;

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

/// Runs every task, one step at a time, in turn, until all have finished.
fn run(tasks: Vec<Box<dyn Task>>) {
    let mut queue: VecDeque<Box<dyn Task>> = tasks.into();
    while let Some(mut task) = queue.pop_front() {
        if task.step() == Step::Yielded {
            queue.push_back(task);
        }
    }
}

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

// ANCHOR: collatz
/// Walks the Collatz sequence from a starting number down to 1, one number per step.
/// What it keeps: the current number and how many moves it took to get there.
struct Collatz {
    number: u64,
    moves: u32,
}

impl Task for Collatz {
    fn step(&mut self) -> Step {
        println!("collatz: {}", self.number);
        if self.number == 1 {
            println!("collatz: reached 1 after {} moves", self.moves);
            return Step::Finished;
        }
        self.number = if self.number.is_multiple_of(2) {
            self.number / 2
        } else {
            3 * self.number + 1
        };
        self.moves += 1;
        Step::Yielded
    }
}

fn main() {
    run(vec![
        Box::new(Collatz {
            number: 6,
            moves: 0,
        }),
        Box::new(Fibonacci::new(5)),
    ]);
}
// ANCHOR_END: collatz
