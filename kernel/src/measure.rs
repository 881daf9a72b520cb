//! Measurements the kernel makes of itself: heap memory per thread against per async task, stack
//! actually used by a waiting thread, and the cost of a switch between threads against one between
//! tasks, in time-stamp-counter cycles (under QEMU's TCG, the host's own counter: see `timer`).

use crate::task::executor::Executor;
use crate::task::yield_now;
use crate::{allocator, threads, timer};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// What `run` found.
#[derive(Clone, Copy, Debug)]
pub struct Figures {
    pub threads: usize,
    pub thread_heap_bytes: usize,
    pub thread_stack_size: usize,
    pub thread_stack_used: usize,
    pub tasks: usize,
    pub task_heap_bytes: usize,
    pub task_future_bytes: usize,
    pub switches: u64,
    pub thread_switch_cycles: u64,
    pub task_switch_cycles: u64,
}

static GO: AtomicBool = AtomicBool::new(false);
static DONE: AtomicUsize = AtomicUsize::new(0);

// ANCHOR: waiting_thread
/// What each measured thread does: wait for the signal, then count itself done.
fn waiting_thread() {
    while !GO.load(Ordering::Acquire) {
        threads::yield_now();
    }
    DONE.fetch_add(1, Ordering::Relaxed);
}
// ANCHOR_END: waiting_thread

// ANCHOR: waiting_task
/// What each measured task does: the same, the async way.
async fn waiting_task() {
    while !GO.load(Ordering::Acquire) {
        yield_now().await;
    }
    DONE.fetch_add(1, Ordering::Relaxed);
}
// ANCHOR_END: waiting_task

/// Heap bytes per thread (its stack and guard page, its closure, its record in the scheduler),
/// and the most stack any of them touched while it waited.
fn thread_memory(count: usize) -> (usize, usize) {
    GO.store(false, Ordering::Release);
    DONE.store(0, Ordering::Relaxed);
    // The measurement's own list of handles is allocated before the heap is read.
    let mut handles = Vec::with_capacity(count);
    let before = allocator::used();
    handles.extend((0..count).map(|_| threads::spawn("waiting", waiting_thread)));
    let per_thread = (allocator::used() - before) / count;
    // Round robin gives every thread a turn before this one runs again: each starts, finds no
    // signal yet, and waits (so that its stack shows what waiting costs).
    threads::yield_now();
    GO.store(true, Ordering::Release);
    let deepest = handles.into_iter().map(|h| h.join().used).max();
    assert_eq!(DONE.load(Ordering::Relaxed), count);
    (per_thread, deepest.unwrap_or(0))
}

/// Heap bytes per task, the executor's ready-queue slots for it included.
fn task_memory(count: usize) -> usize {
    GO.store(false, Ordering::Release);
    DONE.store(0, Ordering::Relaxed);
    let before = allocator::used();
    let mut executor = Executor::new(count);
    for _ in 0..count {
        executor.spawn(waiting_task());
    }
    let per_task = (allocator::used() - before) / count;
    executor.run_until(|| true); // every task polled once, now waiting
    GO.store(true, Ordering::Release);
    executor.run_until_all_done();
    assert_eq!(DONE.load(Ordering::Relaxed), count);
    per_task
}

/// Cycles per switch while the boot thread and one other thread hand the CPU back and forth.
fn thread_switch_cycles(rounds: usize) -> (u64, u64) {
    let partner = threads::spawn("partner", move || {
        for _ in 0..rounds {
            threads::yield_now();
        }
    });
    threads::yield_now(); // let it start
    let switches = threads::switches();
    let started = timer::cycles();
    for _ in 0..rounds {
        threads::yield_now();
    }
    let cycles = timer::cycles() - started;
    let switches = threads::switches() - switches;
    partner.join();
    (switches, cycles / switches.max(1))
}

/// Cycles per switch while two tasks hand the executor back and forth. Each round of the
/// executor polls both tasks once, so a switch includes half a round's own work: looking for
/// spawned tasks, and deciding whether to halt.
fn task_switch_cycles(rounds: usize) -> u64 {
    let mut executor = Executor::new(2);
    for _ in 0..2 {
        executor.spawn(async move {
            for _ in 0..rounds {
                yield_now().await;
            }
        });
    }
    let started = timer::cycles();
    executor.run_until_all_done();
    (timer::cycles() - started) / (2 * rounds as u64)
}

/// Takes every measurement. Needs `crate::init` first, with the timer running.
pub fn run(threads: usize, tasks: usize, rounds: usize) -> Figures {
    let (thread_heap_bytes, thread_stack_used) = thread_memory(threads);
    let task_heap_bytes = task_memory(tasks);
    let (switches, thread_switch_cycles) = thread_switch_cycles(rounds);
    Figures {
        threads,
        thread_heap_bytes,
        thread_stack_size: threads::DEFAULT_STACK_SIZE,
        thread_stack_used,
        tasks,
        task_heap_bytes,
        task_future_bytes: size_of_val(&waiting_task()),
        switches,
        thread_switch_cycles,
        task_switch_cycles: task_switch_cycles(rounds),
    }
}
