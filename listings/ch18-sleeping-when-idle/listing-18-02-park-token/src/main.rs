//! What `thread::park` and `Thread::unpark` promise: an unpark that comes
//! first is not lost.

use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: main
fn main() {
    // An unpark from another thread, finished before we park,
    // leaves a token behind.
    let me = thread::current();
    thread::spawn(move || me.unpark()).join().unwrap();
    let start = Instant::now();
    // (With a timeout, so that this listing cannot hang if
    // the claim were wrong.)
    thread::park_timeout(Duration::from_secs(10));
    println!(
        "unpark, then park: returned at once: {}",
        start.elapsed() < Duration::from_secs(1)
    );

    // Tokens do not add up: two unparks leave one token, so the second
    // park has to wait.
    thread::current().unpark();
    thread::current().unpark();
    thread::park(); // takes the token
    let start = Instant::now();
    thread::park_timeout(Duration::from_millis(50));
    println!(
        "unpark twice, park twice: the second waited: {}",
        start.elapsed() >= Duration::from_millis(50)
    );
}
// ANCHOR_END: main
