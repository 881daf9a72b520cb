//! Exercise 2-2: the kernel counts, for every thread, how often it gave up the CPU itself
//! (voluntary switches) and how often the CPU was taken from it (involuntary switches).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

/// (voluntary, involuntary) context switches, if the system counts them.
type Switches = Option<(u64, u64)>;

/// The calling thread's context switches so far, from Linux's
/// `/proc/thread-self/status`; `None` elsewhere.
fn context_switches() -> Switches {
    let status = std::fs::read_to_string("/proc/thread-self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line[name.len()..].trim().parse().ok()
    };
    Some((
        field("voluntary_ctxt_switches:")?,
        field("nonvoluntary_ctxt_switches:")?,
    ))
}

/// The switches a thread went through while it ran `work`.
fn switches_during(work: impl FnOnce()) -> Switches {
    let before = context_switches()?;
    work();
    let after = context_switches()?;
    Some((after.0 - before.0, after.1 - before.1))
}

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
    false
}

/// Runs a spinner and a sleeper on one core; returns the switches each went through.
fn spinner_and_sleeper() -> (Switches, Switches) {
    // On several cores, the spinner would not have to share its core with the sleeper.
    let one_core = use_one_core();
    assert!(one_core || !cfg!(target_os = "linux"), "not on one core");
    let stop = Arc::new(AtomicBool::new(false));
    let spinning = Arc::new(Barrier::new(2));
    let spinner = {
        let (stop, spinning) = (Arc::clone(&stop), Arc::clone(&spinning));
        thread::spawn(move || {
            switches_during(|| {
                spinning.wait();
                while !stop.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
        })
    };
    spinning.wait(); // the spinner has started; now it must share its core with the sleeper
    let sleeper = thread::spawn(|| {
        switches_during(|| {
            for _ in 0..10 {
                thread::sleep(Duration::from_millis(2));
            }
        })
    });
    let sleeper = sleeper.join().unwrap();
    stop.store(true, Ordering::Relaxed);
    (spinner.join().unwrap(), sleeper)
}

fn main() {
    let (spinner, sleeper) = spinner_and_sleeper();
    match (spinner, sleeper) {
        (Some((_, taken)), Some((given, _))) => {
            println!(
                "the sleeper gave the CPU up itself at least 10 times: {}",
                given >= 10
            );
            println!("the spinner had the CPU taken from it: {}", taken >= 1);
        }
        _ => println!("this system does not count context switches per thread"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn the_spinner_is_preempted_and_the_sleeper_yields() {
        // The test runs on a thread of its own: pinning it to one core affects no other.
        let (spinner, sleeper) = spinner_and_sleeper();
        let (_, taken) = spinner.expect("Linux counts context switches");
        let (given, _) = sleeper.expect("Linux counts context switches");
        assert!(taken >= 1, "the spinner was never preempted");
        assert!(
            given >= 10,
            "the sleeper gave up the CPU only {given} times"
        );
    }
}
