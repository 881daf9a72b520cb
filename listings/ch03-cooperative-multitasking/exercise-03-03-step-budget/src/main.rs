//! Exercise 3-3: a scheduler with a budget of steps, which hands back the unfinished tasks.

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

// ANCHOR: budget
/// Runs the tasks in turn, as `run` does, but takes at most `budget` steps in all.
/// Returns the unfinished tasks, in the order in which they would have run next.
fn run_with_budget(
    tasks: Vec<Box<dyn Task>>,
    budget: u32,
) -> Vec<Box<dyn Task>> {
    let mut queue: VecDeque<Box<dyn Task>> = tasks.into();
    for _ in 0..budget {
        let Some(mut task) = queue.pop_front() else {
            break; // everything finished within the budget
        };
        if task.step() == Step::Yielded {
            queue.push_back(task);
        }
    }
    queue.into()
}

fn main() {
    let tasks: Vec<Box<dyn Task>> = vec![
        Box::new(Countdown { name: "a", left: 2 }),
        Box::new(Countdown { name: "b", left: 4 }),
    ];
    let unfinished = run_with_budget(tasks, 4);
    println!("budget spent, {} task unfinished", unfinished.len());
    // The unfinished task kept its state: it goes on from where it stopped.
    let unfinished = run_with_budget(unfinished, 100);
    println!("second run, {} tasks unfinished", unfinished.len());
}
// ANCHOR_END: budget

#[cfg(test)]
mod tests {
    use super::*;

    fn countdowns(lengths: &[u32]) -> Vec<Box<dyn Task>> {
        lengths
            .iter()
            .map(|&left| {
                Box::new(Countdown { name: "test", left }) as Box<dyn Task>
            })
            .collect()
    }

    /// Steps a task to its end and says how many steps that took.
    fn steps_to_finish(mut task: Box<dyn Task>) -> u32 {
        let mut steps = 1;
        while task.step() == Step::Yielded {
            steps += 1;
        }
        steps
    }

    #[test]
    fn a_zero_budget_runs_nothing() {
        assert_eq!(run_with_budget(countdowns(&[1, 2]), 0).len(), 2);
    }

    #[test]
    fn a_large_budget_finishes_everything() {
        assert!(run_with_budget(countdowns(&[3, 1, 2]), 100).is_empty());
    }

    #[test]
    fn unfinished_tasks_come_back_in_order_with_their_state() {
        // Steps: 3-task, 5-task, 3-task, 5-task, 3-task, which finishes there.
        let unfinished = run_with_budget(countdowns(&[3, 5]), 5);
        assert_eq!(unfinished.len(), 1);
        let remaining: Vec<u32> =
            unfinished.into_iter().map(steps_to_finish).collect();
        assert_eq!(
            remaining,
            [3],
            "the 5-step task took 2 steps and has 3 left"
        );
    }
}
