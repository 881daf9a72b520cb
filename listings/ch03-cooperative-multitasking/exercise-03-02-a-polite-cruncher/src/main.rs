//! Exercise 3-2: a long computation that yields every so often, so that it shares the CPU.

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

/// Counts down from `left` to 1, one number per step.
struct Countdown {
    left: u32,
}

impl Task for Countdown {
    fn step(&mut self) -> Step {
        println!("countdown: {}", self.left);
        self.left -= 1;
        if self.left == 0 {
            Step::Finished
        } else {
            Step::Yielded
        }
    }
}

// ANCHOR: cruncher
/// How many numbers the cruncher adds up before it yields.
const CHUNK: u64 = 1000;

/// Adds up the squares of 1 to `last`, `CHUNK` numbers per step. What it keeps between
/// steps is exactly what the loop needs to go on: the next number and the sum so far.
struct SumOfSquares {
    next: u64,
    last: u64,
    sum: u64,
    steps: u32,
}

impl SumOfSquares {
    fn new(last: u64) -> SumOfSquares {
        SumOfSquares {
            next: 1,
            last,
            sum: 0,
            steps: 0,
        }
    }
}

impl Task for SumOfSquares {
    fn step(&mut self) -> Step {
        self.steps += 1;
        let end = (self.next + CHUNK).min(self.last + 1);
        for n in self.next..end {
            self.sum += n * n;
        }
        self.next = end;
        println!("cruncher: added up the squares to {}", self.next - 1);
        if self.next > self.last {
            println!(
                "cruncher: the squares of 1 to {} add up to {}",
                self.last, self.sum
            );
            println!("cruncher: that took {} steps", self.steps);
            Step::Finished
        } else {
            Step::Yielded
        }
    }
}

fn main() {
    run(vec![
        Box::new(SumOfSquares::new(10_000)),
        Box::new(Countdown { left: 3 }),
    ]);
}
// ANCHOR_END: cruncher

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sum_is_right_for_any_length() {
        for last in [1, 999, 1000, 1001, 12_345] {
            let mut task = SumOfSquares::new(last);
            while task.step() == Step::Yielded {}
            assert_eq!(
                task.sum,
                last * (last + 1) * (2 * last + 1) / 6,
                "last = {last}"
            );
            assert_eq!(
                u64::from(task.steps),
                last.div_ceil(CHUNK),
                "last = {last}"
            );
        }
    }
}
