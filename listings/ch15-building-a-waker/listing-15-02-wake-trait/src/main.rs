//! The counting waker again, this time through the `Wake` trait: no `unsafe`, no vtable.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::task::{Wake, Waker};
use std::thread;

// ANCHOR: wake
/// Counts the two kinds of wake-up; `Arc` does the counting of clones and drops.
#[derive(Default)]
struct WakeCounts {
    wakes: AtomicUsize,
    wakes_by_ref: AtomicUsize,
}

impl Wake for WakeCounts {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, Relaxed);
        // `self` is dropped here, releasing the reference of the consumed waker.
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes_by_ref.fetch_add(1, Relaxed);
    }
}
// ANCHOR_END: wake

fn report(step: &str, counts: &Arc<WakeCounts>) {
    let live = Arc::strong_count(counts) - 1; // every reference but ours is a waker's
    println!(
        "{step:<30}{:>7}{:>14}{:>13}",
        counts.wakes.load(Relaxed),
        counts.wakes_by_ref.load(Relaxed),
        live,
    );
}

// ANCHOR: main
fn main() {
    println!(
        "step                            wakes  wakes_by_ref  live wakers"
    );
    let counts = Arc::new(WakeCounts::default());

    let waker = Waker::from(Arc::clone(&counts));
    report("Waker::from(arc)", &counts);

    let clone = waker.clone();
    report("waker.clone()", &counts);

    clone.wake_by_ref();
    report("clone.wake_by_ref()", &counts);

    // A `Waker` is `Send`: the clone can be moved to another thread and woken there.
    thread::spawn(move || clone.wake()).join().unwrap();
    report("clone.wake() on a thread", &counts);

    drop(waker);
    report("drop(waker)", &counts);
}
// ANCHOR_END: main
