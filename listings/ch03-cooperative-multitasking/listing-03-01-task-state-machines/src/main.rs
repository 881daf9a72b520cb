//! Tasks written by hand as state machines: each `step` runs to the next stopping point.

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

// ANCHOR: main
/// Runs one task on its own: steps it until it says it has finished.
fn run_alone(task: &mut dyn Task) -> u32 {
    let mut steps = 1;
    while task.step() == Step::Yielded {
        steps += 1;
    }
    steps
}

fn main() {
    let steps = run_alone(&mut Kettle::Heating { celsius: 20 });
    println!("the kettle finished in {steps} steps");
    let steps = run_alone(&mut Fibonacci::new(4));
    println!("the Fibonacci task finished in {steps} steps");

    // Everything a task keeps between two steps is in the task value itself.
    println!("a Kettle keeps {} bytes between steps", size_of::<Kettle>());
    println!(
        "a Fibonacci keeps {} bytes between steps",
        size_of::<Fibonacci>()
    );
}
// ANCHOR_END: main
