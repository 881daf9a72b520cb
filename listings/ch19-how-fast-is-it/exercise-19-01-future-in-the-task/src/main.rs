//! Exercise 19-1: the future is stored inside its task, so a bigger future
//! means a bigger task.

extern crate futures;

use futures::channel::oneshot;
use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;
use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

/// The system allocator, keeping count of the bytes in use
/// (as in Listing 19-1).
struct CountingAllocator;

static BYTES_IN_USE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every request goes to the system allocator unchanged; we only count.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        BYTES_IN_USE.fetch_add(layout.size(), SeqCst);
        // SAFETY: the caller keeps the contract of
        // `GlobalAlloc::alloc`, as `System` requires.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        BYTES_IN_USE.fetch_sub(layout.size(), SeqCst);
        // SAFETY: `ptr` came from `System` with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

// ANCHOR: solution
// Under Miri, which interprets every instruction, fewer tasks do (the
// answer is per task).
const TASKS: usize = if cfg!(miri) { 20 } else { 1000 };

/// Heap bytes held by `TASKS` waiting tasks on a `LocalPool`,
/// each made by `make_task`.
fn heap_for_waiting_tasks<F>(
    make_task: impl Fn(oneshot::Receiver<()>) -> F,
) -> usize
where
    F: Future<Output = ()> + 'static,
{
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    let channels = (0..TASKS).map(|_| oneshot::channel());
    let (senders, mut receivers): (Vec<_>, Vec<_>) = channels.unzip();
    let before = BYTES_IN_USE.load(SeqCst);
    for receiver in receivers.drain(..) {
        spawner.spawn_local(make_task(receiver)).unwrap();
    }
    pool.run_until_stalled(); // every task has been polled, and waits
    let held = BYTES_IN_USE.load(SeqCst) - before;
    drop(senders);
    pool.run();
    held
}

async fn small_task(receiver: oneshot::Receiver<()>) {
    let _ = receiver.await;
}

async fn big_task(receiver: oneshot::Receiver<()>) {
    // `buffer` lives across the `.await`, so it is part of the future.
    let buffer = [1u8; 1024];
    let _ = receiver.await;
    black_box(&buffer);
}

fn main() {
    let (_, receiver) = oneshot::channel();
    let small_size = size_of_val(&small_task(receiver));
    let (_, receiver) = oneshot::channel();
    let big_size = size_of_val(&big_task(receiver));
    // A first run allocates a few bytes once (`LocalPool` sets up
    // state for the thread).
    heap_for_waiting_tasks(small_task);
    let small_heap = heap_for_waiting_tasks(small_task);
    let big_heap = heap_for_waiting_tasks(big_task);
    println!("the future grew by {} bytes", big_size - small_size);
    println!(
        "each task grew by {} bytes",
        (big_heap - small_heap) / TASKS
    );
}
// ANCHOR_END: solution
