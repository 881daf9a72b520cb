//! The fast executor allocates once per task, and never per poll or
//! per wake-up, counted by a global allocator. It counts the allocations
//! of each thread apart, so that the test harness's own, on its thread,
//! cannot land in the count.

mod support;

use listing_19_03_fast_executor::Executor;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use support::yield_times;

/// The system allocator, counting the allocations of each thread.
struct Counting;

thread_local! {
    /// This thread's allocations so far. (A `const` thread-local with no
    /// destructor: using it never allocates.)
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: a thread being torn down may still allocate.
    let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
}

// SAFETY: every request goes to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: the caller keeps `alloc`'s contract, as `System` requires.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` with this `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(
        &self,
        ptr: *mut u8,
        layout: Layout,
        new_size: usize,
    ) -> *mut u8 {
        count_one();
        // SAFETY: as for `dealloc`; the caller keeps `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// How many allocations `job` makes on this thread.
fn allocations_of(job: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.get();
    job();
    ALLOCATIONS.get() - before
}

#[test]
fn one_allocation_per_task_and_none_per_poll_or_wake_up() {
    let tasks = if cfg!(miri) { 10 } else { 1_000 };
    let mut executor = Executor::new();

    let spawned = allocations_of(|| {
        for _ in 0..tasks {
            drop(executor.spawn(async {}));
        }
        executor.run();
    });
    assert_eq!(spawned, tasks, "allocations for {tasks} empty tasks");

    let yielded = allocations_of(|| {
        for _ in 0..tasks {
            drop(executor.spawn(yield_times(10)));
        }
        executor.run();
    });
    assert_eq!(
        yielded, tasks,
        "allocations for {tasks} tasks that yield 10 times"
    );

    // A task that awaits another's handle: the output travels in the
    // task's own allocation.
    let joined = allocations_of(|| {
        for number in 0..tasks {
            let handle = executor.spawn(async move {
                yield_times(1).await;
                number
            });
            drop(executor.spawn(async move {
                assert_eq!(handle.await, number);
            }));
        }
        executor.run();
    });
    assert_eq!(joined, 2 * tasks, "allocations for {tasks} pairs of tasks");
}
