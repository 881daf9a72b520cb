//! Why executors keep one waker per task: a fresh waker for every poll costs an
//! allocation each time, and makes the future replace the waker it stored.

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

/// Counts the heap allocations of the whole program.
struct CountingAllocator;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every request is passed on unchanged to the system allocator.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        // SAFETY: the caller keeps `GlobalAlloc::alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with this `layout` (see `alloc`).
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// The `Fired` future of Listing 15-3, counting how often it stores a new waker.
#[derive(Default)]
struct Shared {
    waker: Option<Waker>,
    wakers_stored: usize,
}

struct Fired {
    shared: Arc<Mutex<Shared>>,
}

impl Future for Fired {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut shared = self.shared.lock().unwrap();
        // Never fired in this listing: we only care about the wakers.
        match &shared.waker {
            Some(stored) if stored.will_wake(cx.waker()) => {}
            _ => {
                shared.waker = Some(cx.waker().clone());
                shared.wakers_stored += 1;
            }
        }
        Poll::Pending
    }
}

// ANCHOR: wakers
/// The waker of one task. (It would put the task back in a queue; here it does nothing.)
struct TaskWaker;

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {}
}

/// Polls `future` `polls` times, building a new waker for every poll.
fn poll_with_fresh_wakers(mut future: Pin<&mut Fired>, polls: usize) {
    for _ in 0..polls {
        let waker = Waker::from(Arc::new(TaskWaker)); // one allocation per poll
        let _ = future.as_mut().poll(&mut Context::from_waker(&waker));
    }
}

/// Polls `future` `polls` times with the waker the task got when it was spawned.
fn poll_with_cached_waker(
    mut future: Pin<&mut Fired>,
    waker: &Waker,
    polls: usize,
) {
    for _ in 0..polls {
        let _ = future.as_mut().poll(&mut Context::from_waker(waker));
    }
}
// ANCHOR_END: wakers

// ANCHOR: main
fn main() {
    const POLLS: usize = 1000;
    println!("{POLLS} polls of one task          allocations  wakers stored");

    let shared = Arc::new(Mutex::new(Shared::default()));
    let fired = pin!(Fired {
        shared: Arc::clone(&shared)
    });
    let before = ALLOCATIONS.load(Relaxed);
    poll_with_fresh_wakers(fired, POLLS);
    let allocations = ALLOCATIONS.load(Relaxed) - before;
    let stored = shared.lock().unwrap().wakers_stored;
    println!(
        "{:<30}{:>13}{:>15}",
        "a fresh waker for every poll", allocations, stored
    );

    let shared = Arc::new(Mutex::new(Shared::default()));
    let fired = pin!(Fired {
        shared: Arc::clone(&shared)
    });
    let before = ALLOCATIONS.load(Relaxed);
    let waker = Waker::from(Arc::new(TaskWaker)); // once, when the task is spawned
    poll_with_cached_waker(fired, &waker, POLLS);
    let allocations = ALLOCATIONS.load(Relaxed) - before;
    let stored = shared.lock().unwrap().wakers_stored;
    println!(
        "{:<30}{:>13}{:>15}",
        "one waker, made at spawn", allocations, stored
    );
}
// ANCHOR_END: main
