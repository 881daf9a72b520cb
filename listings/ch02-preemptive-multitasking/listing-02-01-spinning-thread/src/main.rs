//! A thread that spins forever cannot stop the others: the OS takes the CPU away from it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

// ANCHOR: spin
fn main() {
    // All threads of this program will share a single core (see below), so that the
    // spinner and the workers must take turns on it. Without that, this proves nothing.
    println!("all threads share one core: {}", use_one_core());
    let stop = Arc::new(AtomicBool::new(false));
    let spinning = Arc::new(AtomicBool::new(false));

    // A thread that never gives up the CPU of its own accord.
    let spinner = {
        let (stop, spinning) = (Arc::clone(&stop), Arc::clone(&spinning));
        thread::spawn(move || {
            spinning.store(true, Ordering::Relaxed);
            let mut turns = 0u64;
            while !stop.load(Ordering::Relaxed) {
                turns = turns.wrapping_add(1);
            }
            turns
        })
    };
    // The workers start only once the spinner is spinning.
    while !spinning.load(Ordering::Relaxed) {
        thread::yield_now();
    }

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
    println!("the spinner is still spinning: {}", !spinner.is_finished());

    stop.store(true, Ordering::Relaxed);
    let turns = spinner.join().unwrap();
    println!(
        "the spinner was stopped, having spun {}",
        if turns > 0 { "many times" } else { "never" }
    );
}
// ANCHOR_END: spin

// ANCHOR: one_core
/// Restricts the calling thread, and every thread it spawns later, to one CPU core.
/// Returns whether it is now allowed on exactly one.
#[cfg(target_os = "linux")]
fn use_one_core() -> bool {
    // Two functions of the C library, declared here. A CPU set is a mask of 1024 bits, one
    // per CPU, as Linux's C libraries define `cpu_set_t`; pid 0 means the calling thread.
    unsafe extern "C" {
        fn sched_getaffinity(pid: i32, size: usize, set: *mut [u64; 16])
        -> i32;
        fn sched_setaffinity(
            pid: i32,
            size: usize,
            set: *const [u64; 16],
        ) -> i32;
    }
    let mut allowed = [0u64; 16];
    // SAFETY: the function writes at most `size` bytes, the size of `allowed`.
    if unsafe { sched_getaffinity(0, size_of_val(&allowed), &mut allowed) } != 0
    {
        return false; // leave things as they are
    }
    let is_allowed = |cpu: usize| allowed[cpu / 64] & (1 << (cpu % 64)) != 0;
    let Some(first) = (0..1024).find(|&cpu| is_allowed(cpu)) else {
        return false;
    };
    let mut one = [0u64; 16];
    one[first / 64] = 1 << (first % 64);
    // SAFETY: the function reads `size` bytes, the size of `one`.
    unsafe { sched_setaffinity(0, size_of_val(&one), &one) == 0 }
}

#[cfg(not(target_os = "linux"))]
fn use_one_core() -> bool {
    // Elsewhere the threads may run on several cores, and the first line says so.
    false
}
// ANCHOR_END: one_core
