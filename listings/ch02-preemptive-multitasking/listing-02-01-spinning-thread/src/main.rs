use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

// ANCHOR: spin
fn main() {
    let stop = Arc::new(AtomicBool::new(false));

    // A thread that never gives up the CPU of its own accord.
    let spinner = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            let mut turns = 0u64;
            while !stop.load(Ordering::Relaxed) {
                turns = turns.wrapping_add(1);
            }
            turns
        })
    };

    // Two well-behaved threads that count steps and sleep between them.
    let steps = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let steps = Arc::clone(&steps);
            thread::spawn(move || {
                for _ in 0..5 {
                    steps.fetch_add(1, Ordering::Relaxed);
                    thread::sleep(Duration::from_millis(10));
                }
            })
        })
        .collect();

    for worker in workers {
        worker.join().unwrap();
    }
    println!("the workers took {} steps", steps.load(Ordering::Relaxed));

    stop.store(true, Ordering::Relaxed);
    let turns = spinner.join().unwrap();
    println!("the spinner was stopped, having spun {}", if turns > 0 { "many times" } else { "never" });
}
// ANCHOR_END: spin
