//! Benchmark: N waiters, each waiting for one event, served three ways: busy-waiting, blocked
//! threads, and cooperative tasks on one thread. Measures CPU time and memory per waiter.
//!
//! Usage: `listing-04-01-waiting-costs [--quick] [WAITERS…]`; prints a Markdown table.
//! Each measurement runs in a fresh child process, so that no run reuses memory another freed.

use std::collections::VecDeque;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

// ANCHOR: events
/// The events, one per waiter. Slot `i` is 0 until event `i` arrives with its value.
struct Events {
    slots: Vec<AtomicU64>,
}

impl Events {
    fn new(count: usize) -> Events {
        Events {
            slots: (0..count).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// The value of event `id`, if it has arrived.
    fn arrived(&self, id: usize) -> Option<u64> {
        match self.slots[id].load(Ordering::Acquire) {
            0 => None,
            value => Some(value),
        }
    }
}

/// The outside world: delivers every event (event `i` carries `i + 1`) in small batches
/// spread over `duration`, and calls `notify(i)` after delivering event `i`.
fn produce(events: &Events, duration: Duration, notify: impl Fn(usize)) {
    let ids: Vec<usize> = (0..events.slots.len()).collect();
    let batches = ids.len().clamp(1, 50);
    for batch in ids.chunks(ids.len().div_ceil(batches)) {
        thread::sleep(duration / batches as u32);
        for &id in batch {
            events.slots[id].store(id as u64 + 1, Ordering::Release);
            notify(id);
        }
    }
}
// ANCHOR_END: events

// ANCHOR: waiter
/// A waiting task: all it keeps between steps is which event it waits for.
struct Waiter {
    event: usize,
}

impl Waiter {
    /// Looks for the event once. `Some(value)` means the task has finished.
    fn step(&mut self, events: &Events) -> Option<u64> {
        events.arrived(self.event)
    }
}
// ANCHOR_END: waiter

// ANCHOR: busy
/// Busy-waiting: one thread steps every unfinished task, over and over, until none is left.
fn busy_waiting(waiters: usize, duration: Duration, meter: &mut Meter) -> u64 {
    let events = Arc::new(Events::new(waiters));
    let mut tasks: Vec<Waiter> =
        (0..waiters).map(|event| Waiter { event }).collect();
    meter.waiters_ready();

    let producer = {
        let events = Arc::clone(&events);
        thread::spawn(move || produce(&events, duration, |_| {}))
    };
    let mut total = 0;
    while !tasks.is_empty() {
        tasks.retain_mut(|task| match task.step(&events) {
            Some(value) => {
                total += value;
                false // finished: drop the task
            }
            None => true, // not yet: look again on the next sweep
        });
    }
    producer.join().unwrap();
    total
}
// ANCHOR_END: busy

// ANCHOR: blocking
/// Blocking: one thread per waiter, parked in the kernel until the producer unparks it.
fn blocking(waiters: usize, duration: Duration, meter: &mut Meter) -> u64 {
    let events = Arc::new(Events::new(waiters));
    let all_started = Arc::new(Barrier::new(waiters + 1));
    let threads: Vec<JoinHandle<u64>> = (0..waiters)
        .map(|event| {
            let (events, all_started) =
                (Arc::clone(&events), Arc::clone(&all_started));
            thread::spawn(move || {
                all_started.wait();
                loop {
                    if let Some(value) = events.arrived(event) {
                        return value;
                    }
                    thread::park(); // sleep until unparked (or woken spuriously)
                }
            })
        })
        .collect();
    all_started.wait();
    meter.waiters_ready();

    let to_wake: Vec<thread::Thread> =
        threads.iter().map(|t| t.thread().clone()).collect();
    let producer = {
        let events = Arc::clone(&events);
        thread::spawn(move || {
            produce(&events, duration, |id| to_wake[id].unpark())
        })
    };
    let total = threads.into_iter().map(|t| t.join().unwrap()).sum();
    producer.join().unwrap();
    total
}
// ANCHOR_END: blocking

// ANCHOR: cooperative
/// The ids of tasks whose event has arrived, and a condition variable to sleep on until
/// there are some.
#[derive(Default)]
struct ReadyQueue {
    ids: Mutex<VecDeque<usize>>,
    not_empty: Condvar,
}

/// Cooperative: one thread, which steps only the tasks whose event arrived, and sleeps when
/// there are none.
fn cooperative(waiters: usize, duration: Duration, meter: &mut Meter) -> u64 {
    let events = Arc::new(Events::new(waiters));
    let ready = Arc::new(ReadyQueue::default());
    // A task's place becomes `None` once it has finished.
    let mut tasks: Vec<_> =
        (0..waiters).map(|event| Some(Waiter { event })).collect();
    meter.waiters_ready();

    let producer = {
        let (events, ready) = (Arc::clone(&events), Arc::clone(&ready));
        thread::spawn(move || {
            produce(&events, duration, |id| {
                ready.ids.lock().unwrap().push_back(id);
                ready.not_empty.notify_one();
            })
        })
    };
    let (mut total, mut unfinished) = (0, waiters);
    while unfinished > 0 {
        let woken = {
            let mut ids = ready.ids.lock().unwrap();
            while ids.is_empty() {
                ids = ready.not_empty.wait(ids).unwrap();
            }
            std::mem::take(&mut *ids)
        };
        for id in woken {
            if let Some(task) = &mut tasks[id]
                && let Some(value) = task.step(&events)
            {
                total += value;
                tasks[id] = None; // finished
                unfinished -= 1;
            }
        }
    }
    producer.join().unwrap();
    total
}
// ANCHOR_END: cooperative

/// CPU time used by the whole process so far (every thread, user and kernel time), from the
/// C library's `clock_gettime`, declared here for 64-bit Linux. `None` elsewhere.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn process_cpu_time() -> Option<Duration> {
    #[repr(C)]
    struct Timespec {
        seconds: i64,
        nanoseconds: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, now: *mut Timespec) -> i32;
    }
    const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
    let mut now = Timespec {
        seconds: 0,
        nanoseconds: 0,
    };
    // SAFETY: `now` is a valid `struct timespec` for the call to write into.
    let status = unsafe { clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &mut now) };
    (status == 0)
        .then(|| Duration::new(now.seconds as u64, now.nanoseconds as u32))
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
fn process_cpu_time() -> Option<Duration> {
    None
}

/// The process's reserved (virtual) and resident memory in bytes, from /proc (Linux only).
fn memory_bytes() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kib: u64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib * 1024)
    };
    Some((field("VmSize:")?, field("VmRSS:")?))
}

// ANCHOR: meter
/// Measures one run: memory from before the waiters exist until all of them are waiting,
/// then CPU and wall-clock time from then until the last waiter has its event.
struct Meter {
    memory_before: Option<(u64, u64)>,
    memory_waiting: Option<(u64, u64)>,
    cpu_start: Option<Duration>,
    wall_start: Instant,
}

impl Meter {
    fn start() -> Meter {
        Meter {
            memory_before: memory_bytes(),
            memory_waiting: None,
            cpu_start: process_cpu_time(),
            wall_start: Instant::now(),
        }
    }

    fn waiters_ready(&mut self) {
        self.memory_waiting = memory_bytes();
        self.cpu_start = process_cpu_time();
        self.wall_start = Instant::now();
    }
}
// ANCHOR_END: meter

/// One way of waiting: takes the number of waiters and how long the events take to come,
/// and returns the sum of the event values the waiters received.
type Way = fn(usize, Duration, &mut Meter) -> u64;

const WAYS: [(&str, Way); 3] = [
    ("busy-waiting", busy_waiting),
    ("blocking", blocking),
    ("cooperative", cooperative),
];

/// Runs one way of waiting in this process and prints one table row.
fn measure_here(way: usize, waiters: usize, duration: Duration) {
    one_malloc_arena();
    let (label, run) = WAYS[way];
    let mut meter = Meter::start();
    let total = run(waiters, duration, &mut meter);
    let cpu = process_cpu_time()
        .zip(meter.cpu_start)
        .map_or("n/a".to_string(), |(end, start)| {
            format!("{:.1}", (end - start).as_secs_f64() * 1e3)
        });
    let wall = meter.wall_start.elapsed();
    assert_eq!(
        total,
        (1..=waiters as u64).sum::<u64>(),
        "an event was lost"
    );

    let per_waiter = |pick: fn((u64, u64)) -> u64| match (
        meter.memory_before,
        meter.memory_waiting,
    ) {
        (Some(before), Some(waiting)) => {
            let grown = pick(waiting).saturating_sub(pick(before));
            grouped(grown / waiters as u64)
        }
        _ => "n/a".to_string(),
    };
    println!(
        "| {label} | {waiters} | {cpu} | {:.1} | {} | {} |",
        wall.as_secs_f64() * 1e3,
        per_waiter(|m| m.0),
        per_waiter(|m| m.1),
    );
}

/// glibc's malloc gives threads arenas of their own, each reserving 64 MiB of address space;
/// that is the allocator's cost rather than the threads', so the measurements keep to one arena.
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

/// 2114560 → "2,114,560"
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Runs `measure_here` in a child process (this same program) and returns its row.
fn measure_in_child(way: usize, waiters: usize, duration: Duration) -> String {
    let mut child =
        Command::new(std::env::current_exe().expect("no path to this program"))
            .args(["--one", &way.to_string(), &waiters.to_string()])
            .arg(duration.as_millis().to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("cannot start a child process");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) =
            child.try_wait().expect("cannot wait for the child")
        {
            let mut row = String::new();
            std::io::Read::read_to_string(
                &mut child.stdout.take().unwrap(),
                &mut row,
            )
            .unwrap();
            assert!(status.success(), "the measurement failed: {status}");
            return row;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("a measurement took more than two minutes");
        }
        thread::sleep(Duration::from_millis(5));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--one") {
        let number = |i: usize| -> usize {
            args[i].parse().expect("--one WAY WAITERS MILLIS")
        };
        measure_here(
            number(1),
            number(2),
            Duration::from_millis(number(3) as u64),
        );
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let mut counts: Vec<usize> = args
        .iter()
        .filter(|a| *a != "--quick")
        .map(|a| a.parse().expect("usage: [--quick] [WAITERS…]"))
        .collect();
    if counts.is_empty() {
        counts = if quick {
            vec![100]
        } else {
            vec![1_000, 10_000]
        };
    }
    let duration = Duration::from_millis(if quick { 20 } else { 200 });

    println!(
        "| way of waiting | waiters | CPU time (ms) | wall time (ms) | reserved per waiter (bytes) | resident per waiter (bytes) |"
    );
    println!("|---|--:|--:|--:|--:|--:|");
    for &waiters in &counts {
        for way in 0..WAYS.len() {
            print!("{}", measure_in_child(way, waiters, duration));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_way_receives_every_event() {
        for (label, run) in WAYS {
            let mut meter = Meter::start();
            let total = run(200, Duration::from_millis(10), &mut meter);
            assert_eq!(total, (1..=200).sum::<u64>(), "{label}");
        }
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(2114560), "2,114,560");
    }
}
