//! Exercise 1-1: any number of jobs interleaved on one thread, each job a closure.

/// One job: each call takes one step and says whether the job did anything.
type Job<'a> = Box<dyn FnMut() -> bool + 'a>;

/// Takes one step of every job in turn until a whole round finds nothing left to do.
fn run_interleaved(mut jobs: Vec<Job>) {
    loop {
        let mut stepped = false;
        for job in &mut jobs {
            // Every job gets its step: no short-circuiting `||` here.
            stepped |= job();
        }
        if !stepped {
            break;
        }
    }
}

fn main() {
    // Each closure owns its job's state, as the local variables of Listing 1-1 did.
    let mut next_number = 1;
    let counter = move || {
        if next_number > 3 {
            return false;
        }
        println!("counter: {next_number}");
        next_number += 1;
        true
    };

    let mut letters_left = "core".chars();
    let speller = move || match letters_left.next() {
        Some(letter) => {
            println!("speller: {letter}");
            true
        }
        None => false,
    };

    let mut next_square = 1;
    let squarer = move || {
        if next_square > 6 {
            return false;
        }
        println!("squarer: {}", next_square * next_square);
        next_square += 1;
        true
    };

    run_interleaved(vec![
        Box::new(counter),
        Box::new(speller),
        Box::new(squarer),
    ]);
    println!("all three jobs done, on one thread");
}
