//! One job split in two halves that two threads compute at the same time: parallelism.

use std::thread;

// ANCHOR: is_prime
/// Trial division: slow on purpose, so that there is real work to share.
fn is_prime(n: u32) -> bool {
    n >= 2
        && (2..)
            .take_while(|d| d * d <= n)
            .all(|d| !n.is_multiple_of(d))
}

fn count_primes(range: std::ops::Range<u32>) -> usize {
    range.filter(|&n| is_prime(n)).count()
}
// ANCHOR_END: is_prime

// ANCHOR: two_halves
fn main() {
    const LIMIT: u32 = 100_000;
    let middle = LIMIT / 2;

    // `thread::scope` waits for both threads before it returns, so they may borrow.
    let (low, high) = thread::scope(|scope| {
        let low = scope.spawn(|| count_primes(0..middle));
        let high = scope.spawn(|| count_primes(middle..LIMIT));
        (low.join().unwrap(), high.join().unwrap())
    });

    println!("primes below {middle}: {low}");
    println!("primes from {middle} to {LIMIT}: {high}");
    println!("primes below {LIMIT}: {}", low + high);
}
// ANCHOR_END: two_halves
