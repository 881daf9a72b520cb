//! Benchmark: what one OS thread costs, in memory and in the time to create and join it.
//!
//! Usage: `listing-02-02-thread-cost [--quick] [THREADS]` (200 threads unless told otherwise).
//! Prints a Markdown table. Memory is read from `/proc/self/status`, so it is Linux only.

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

// ANCHOR: stacks
/// How much of its stack each thread of the "partly used" kind writes to.
const USED_STACK: usize = 256 * 1024;

#[derive(Clone, Copy)]
enum Stack {
    /// Whatever `thread::spawn` gives a thread.
    Default,
    /// The default stack, of which each thread writes `USED_STACK` bytes.
    DefaultPartlyUsed,
    /// A stack of 64 KiB, asked for with `thread::Builder::stack_size`.
    Small,
}

impl Stack {
    fn builder(self) -> thread::Builder {
        match self {
            Stack::Default | Stack::DefaultPartlyUsed => thread::Builder::new(),
            Stack::Small => thread::Builder::new().stack_size(64 * 1024),
        }
    }

    /// What a thread of this kind does with its stack before it waits.
    fn touch(self) {
        if let Stack::DefaultPartlyUsed = self {
            write_to_stack();
        }
    }
}

#[inline(never)]
fn write_to_stack() {
    let buffer = [1u8; USED_STACK];
    black_box(&buffer); // the buffer must really be there, written
}
// ANCHOR_END: stacks

// ANCHOR: memory
/// The process's reserved (virtual) and resident memory, in KiB.
fn memory_kib() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some((field("VmSize:")?, field("VmRSS:")?))
}

/// A group of threads that are all alive and waiting to be released.
struct Waiting {
    release: Arc<Barrier>,
    threads: Vec<JoinHandle<()>>,
}

impl Waiting {
    /// Returns once every thread exists and has touched its stack.
    fn spawn(count: usize, stack: Stack) -> Waiting {
        let ready = Arc::new(Barrier::new(count + 1));
        let release = Arc::new(Barrier::new(count + 1));
        let threads = (0..count)
            .map(|_| {
                let (ready, release) =
                    (Arc::clone(&ready), Arc::clone(&release));
                let body = move || {
                    stack.touch();
                    ready.wait();
                    release.wait();
                };
                stack.builder().spawn(body).expect("cannot spawn a thread")
            })
            .collect();
        ready.wait();
        Waiting { release, threads }
    }

    fn finish(self) {
        self.release.wait();
        for thread in self.threads {
            thread.join().unwrap();
        }
    }
}
// ANCHOR_END: memory

// ANCHOR: time
/// Spawns and joins `count` threads one after another; returns the time per thread.
fn spawn_and_join_time(count: usize, stack: Stack) -> Duration {
    let start = Instant::now();
    for _ in 0..count {
        let thread = stack
            .builder()
            .spawn(move || stack.touch())
            .expect("cannot spawn a thread");
        thread.join().unwrap();
    }
    start.elapsed() / count as u32
}
// ANCHOR_END: time

/// glibc's malloc hands threads arenas of their own, each reserving 64 MiB of address space
/// the first time a thread allocates. That is the allocator's cost, not the thread's, and it
/// would swamp the first measurement, so this benchmark keeps to one arena.
fn one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        const M_ARENA_MAX: i32 = -8; // from glibc's <malloc.h>
        // SAFETY: mallopt only changes a setting of the allocator; no other thread is running yet.
        unsafe { mallopt(M_ARENA_MAX, 1) };
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let mut quick = false;
    let mut threads = 200;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--quick" => quick = true,
            n => threads = n.parse().expect("usage: [--quick] [THREADS]"),
        }
    }
    if quick {
        threads = threads.min(20);
    }
    let rounds = if quick { 1 } else { 3 };
    one_malloc_arena();

    let cases = [
        ("`thread::spawn`'s default", Stack::Default),
        ("the default, 256 KiB of it used", Stack::DefaultPartlyUsed),
        ("64 KiB (`Builder::stack_size`)", Stack::Small),
    ];

    // Memory first. No thread finishes until every group is measured: the C library keeps the
    // stacks of finished threads for reuse, which would hide the cost of the next group.
    let mut groups = Vec::new();
    let mut memory = Vec::new();
    for (_, stack) in cases {
        let before = memory_kib();
        groups.push(Waiting::spawn(threads, stack));
        let after = memory_kib();
        memory.push(before.zip(after).map(|((vb, rb), (va, ra))| {
            let per_thread = |after: u64, before: u64| {
                (after - before) as f64 / threads as f64
            };
            (per_thread(va, vb), per_thread(ra, rb))
        }));
    }
    for group in groups {
        group.finish();
    }

    println!(
        "| stack | threads | reserved per thread (KiB) | resident per thread (KiB) | spawn + join per thread (µs) |"
    );
    println!("|---|--:|--:|--:|--:|");
    for ((label, stack), memory) in cases.into_iter().zip(memory) {
        let time = median(
            (0..rounds)
                .map(|_| spawn_and_join_time(threads, stack))
                .collect(),
        );
        let (reserved, resident) = match memory {
            Some((reserved, resident)) => {
                (format!("{reserved:.0}"), format!("{resident:.0}"))
            }
            None => ("n/a".into(), "n/a".into()),
        };
        let micros = time.as_secs_f64() * 1e6;
        println!(
            "| {label} | {threads} | {reserved} | {resident} | {micros:.1} |"
        );
    }
}
