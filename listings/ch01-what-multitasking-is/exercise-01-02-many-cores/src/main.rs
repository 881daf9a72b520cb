//! Exercise 1-2: the prime count of Listing 1-2, split among any number of threads.

use std::thread;

fn is_prime(n: u32) -> bool {
    n >= 2
        && (2..)
            .take_while(|d| d * d <= n)
            .all(|d| !n.is_multiple_of(d))
}

fn count_primes(range: std::ops::Range<u32>) -> usize {
    range.filter(|&n| is_prime(n)).count()
}

/// Counts the primes below `limit` with `threads` threads, each counting one slice.
fn count_primes_in_parallel(limit: u32, threads: u32) -> usize {
    assert!(threads > 0, "at least one thread is needed");
    let slice = limit.div_ceil(threads);
    thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|i| {
                let start = (i * slice).min(limit);
                let end = ((i + 1) * slice).min(limit);
                scope.spawn(move || count_primes(start..end))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

fn main() {
    let threads = thread::available_parallelism().map_or(2, |n| n.get() as u32);
    let primes = count_primes_in_parallel(100_000, threads);
    // The number of threads depends on the machine, so it is not printed.
    println!("primes below 100000: {primes}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_number_of_threads_gives_the_same_count() {
        let expected = count_primes(0..10_000);
        for threads in 1..=9 {
            assert_eq!(
                count_primes_in_parallel(10_000, threads),
                expected,
                "{threads} threads"
            );
        }
    }

    #[test]
    fn more_threads_than_numbers() {
        assert_eq!(count_primes_in_parallel(5, 8), 2); // 2 and 3
    }
}
