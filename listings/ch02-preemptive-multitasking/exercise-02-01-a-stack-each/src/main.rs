//! Exercise 2-1: every thread runs on a stack of its own.

use std::sync::Barrier;
use std::thread;

const STACK_SIZE: usize = 64 * 1024;

/// Starts `count` threads with 64 KiB stacks, all alive at the same time, and returns the
/// address of a local variable of each.
fn addresses_of_locals(count: usize) -> Vec<usize> {
    // Nobody finishes before everybody has looked: the stack of a thread that has
    // finished and been joined can be handed to the next new thread, and then two
    // addresses could be equal.
    let all_looked = Barrier::new(count);
    thread::scope(|scope| {
        let threads: Vec<_> = (0..count)
            .map(|_| {
                thread::Builder::new()
                    .stack_size(STACK_SIZE)
                    .spawn_scoped(scope, || {
                        let local = 0u8;
                        let address = (&raw const local).addr();
                        all_looked.wait();
                        address
                    })
                    .expect("cannot spawn a thread")
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    })
}

/// The smallest distance between any two of the addresses.
fn closest_distance(mut addresses: Vec<usize>) -> usize {
    addresses.sort_unstable();
    addresses
        .windows(2)
        .map(|w| w[1] - w[0])
        .min()
        .unwrap_or(usize::MAX)
}

/// How many different values there are among the addresses.
fn count_different(addresses: &[usize]) -> usize {
    let mut different = addresses.to_vec();
    different.sort_unstable();
    different.dedup();
    different.len()
}

fn main() {
    let addresses = addresses_of_locals(8);
    println!(
        "{} threads, {} different addresses",
        addresses.len(),
        count_different(&addresses)
    );
    // Each local sits near the top of its own stack, so two of them are a stack apart.
    let apart = closest_distance(addresses) >= STACK_SIZE;
    println!("every two locals are at least a stack size apart: {apart}");

    // Now one thread at a time, each joined before the next starts: the C library
    // hands the stack of the joined thread to the next one.
    let one_by_one: Vec<usize> =
        (0..8).map(|_| addresses_of_locals(1)[0]).collect();
    println!(
        "8 threads, one after another, all at one address: {}",
        count_different(&one_by_one) == 1
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_alive_together_have_separate_stacks() {
        for count in [2, 8, 32] {
            let addresses = addresses_of_locals(count);
            assert!(
                closest_distance(addresses) >= STACK_SIZE,
                "{count} threads"
            );
        }
    }
}
