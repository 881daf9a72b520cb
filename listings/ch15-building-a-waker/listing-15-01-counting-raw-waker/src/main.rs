//! A `Waker` built by hand from a `RawWaker` and its vtable, counting every call the vtable gets.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::task::{RawWaker, RawWakerVTable, Waker};

// ANCHOR: counts
/// What has been done to the wakers that share one `Counts`.
#[derive(Default)]
struct Counts {
    clones: AtomicUsize,
    wakes: AtomicUsize,
    wakes_by_ref: AtomicUsize,
    drops: AtomicUsize,
}
// ANCHOR_END: counts

// ANCHOR: vtable
/// The four functions behind every waker that `counting_waker` makes. A `static`
/// rather than a `const`, so that it has exactly one address (see `will_wake`).
static VTABLE: RawWakerVTable =
    RawWakerVTable::new(clone_waker, wake_waker, wake_waker_by_ref, drop_waker);

/// Makes a waker that owns one strong reference to `counts`.
fn counting_waker(counts: Arc<Counts>) -> Waker {
    let data = Arc::into_raw(counts).cast::<()>();
    // SAFETY: `data` is a pointer from `Arc::into_raw` that carries one strong reference,
    // which is what the four functions of `VTABLE` expect; they keep the contract of
    // `RawWaker` for it. `Counts` is `Send + Sync`, so the waker may go to any thread.
    unsafe { Waker::from_raw(RawWaker::new(data, &VTABLE)) }
}

// In all four functions, `data` is a pointer made by `Arc::<Counts>::into_raw`, and the
// waker it belongs to owns one strong reference through it.

unsafe fn clone_waker(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned is alive, so its reference keeps the `Counts`
    // alive; the new waker gets a reference of its own.
    unsafe { Arc::increment_strong_count(data.cast::<Counts>()) };
    // SAFETY: the allocation is alive (see above) and we only read through `&`.
    let counts = unsafe { &*data.cast::<Counts>() };
    counts.clones.fetch_add(1, Relaxed);
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake_waker(data: *const ()) {
    // SAFETY: `Waker::wake` consumes its waker without dropping it, so we take over
    // the waker's reference here...
    let counts = unsafe { Arc::from_raw(data.cast::<Counts>()) };
    counts.wakes.fetch_add(1, Relaxed);
    // ...and release it when `counts` goes out of scope.
}

unsafe fn wake_waker_by_ref(data: *const ()) {
    // SAFETY: the waker is only borrowed: it stays alive and keeps its reference.
    let counts = unsafe { &*data.cast::<Counts>() };
    counts.wakes_by_ref.fetch_add(1, Relaxed);
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: the waker is being dropped, so we release the reference it owned.
    let counts = unsafe { Arc::from_raw(data.cast::<Counts>()) };
    counts.drops.fetch_add(1, Relaxed);
}
// ANCHOR_END: vtable

/// Prints one row of the table: the counts, and how many wakers still hold a reference.
fn report(step: &str, counts: &Arc<Counts>) {
    let live = Arc::strong_count(counts) - 1; // every reference but ours is a waker's
    println!(
        "{step:<22}{:>7}{:>7}{:>14}{:>7}{:>13}",
        counts.clones.load(Relaxed),
        counts.wakes.load(Relaxed),
        counts.wakes_by_ref.load(Relaxed),
        counts.drops.load(Relaxed),
        live,
    );
}

// ANCHOR: main
fn main() {
    println!(
        "step                   clones  wakes  wakes_by_ref  drops  live wakers"
    );
    let counts = Arc::new(Counts::default());

    let waker = counting_waker(Arc::clone(&counts));
    report("counting_waker(..)", &counts);

    let clone = waker.clone();
    report("waker.clone()", &counts);
    assert!(waker.will_wake(&clone));

    clone.wake_by_ref();
    report("clone.wake_by_ref()", &counts);

    clone.wake(); // `clone` is moved into `wake`: it cannot be used again
    report("clone.wake()", &counts);

    drop(waker);
    report("drop(waker)", &counts);

    println!("size_of::<Waker>() = {} bytes", size_of::<Waker>());
}
// ANCHOR_END: main
