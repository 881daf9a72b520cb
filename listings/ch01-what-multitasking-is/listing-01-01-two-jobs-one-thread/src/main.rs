//! Two jobs in progress at once on a single thread: concurrency without parallelism.

// ANCHOR: two_jobs
fn main() {
    // Job 1 counts to three. Its whole state is one number.
    let mut next_number = 1;
    // Job 2 spells a word. Its whole state is an iterator over the letters left.
    let mut letters_left = "core".chars();

    // One thread, taking one small step of each job in turn.
    loop {
        let mut stepped = false;
        if next_number <= 3 {
            println!("counter: {next_number}");
            next_number += 1;
            stepped = true;
        }
        if let Some(letter) = letters_left.next() {
            println!("speller: {letter}");
            stepped = true;
        }
        if !stepped {
            break; // both jobs are finished
        }
    }
    println!("both jobs done, on one thread");
}
// ANCHOR_END: two_jobs
