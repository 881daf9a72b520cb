//! Exercise 15-2: storing the waker with `Waker::clone_from`, and without any check.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

// ANCHOR: solution
/// How a `Fired` future updates the waker it stored.
#[derive(Clone, Copy, Debug)]
enum Store {
    /// `Waker::clone_from`, which checks `will_wake` before it clones.
    CloneFrom,
    /// A fresh clone at every poll.
    AlwaysClone,
}

struct Fired {
    shared: Arc<Mutex<Option<Waker>>>,
    store: Store,
}

impl Future for Fired {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut stored = self.shared.lock().unwrap();
        match (self.store, &mut *stored) {
            (Store::CloneFrom, Some(waker)) => waker.clone_from(cx.waker()),
            _ => *stored = Some(cx.waker().clone()),
        }
        Poll::Pending // never fired: we only count wakers here
    }
}
// ANCHOR_END: solution

// The counting waker of Listing 15-1, reduced to clones, wakes and drops.
#[derive(Default)]
struct Counts {
    clones: AtomicUsize,
    wakes: AtomicUsize,
    drops: AtomicUsize,
}

static VTABLE: RawWakerVTable =
    RawWakerVTable::new(clone_waker, wake_waker, wake_waker_by_ref, drop_waker);

fn counting_waker(counts: Arc<Counts>) -> Waker {
    // SAFETY: as in Listing 15-1: `data` carries one strong reference from `Arc::into_raw`.
    unsafe {
        Waker::from_raw(RawWaker::new(Arc::into_raw(counts).cast(), &VTABLE))
    }
}

unsafe fn clone_waker(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned keeps the allocation alive; the clone gets a reference.
    unsafe { Arc::increment_strong_count(data.cast::<Counts>()) };
    // SAFETY: the allocation is alive, and we only read through `&`.
    unsafe { &*data.cast::<Counts>() }
        .clones
        .fetch_add(1, Relaxed);
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake_waker(data: *const ()) {
    // SAFETY: the consumed waker's reference is taken over and released at the end.
    let counts = unsafe { Arc::from_raw(data.cast::<Counts>()) };
    counts.wakes.fetch_add(1, Relaxed);
}

unsafe fn wake_waker_by_ref(data: *const ()) {
    // SAFETY: the borrowed waker keeps the allocation alive.
    unsafe { &*data.cast::<Counts>() }
        .wakes
        .fetch_add(1, Relaxed);
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: the dropped waker's reference is released here.
    let counts = unsafe { Arc::from_raw(data.cast::<Counts>()) };
    counts.drops.fetch_add(1, Relaxed);
}

// ANCHOR: main
fn main() {
    println!("3 polls with waker A, then 1 with waker B");
    println!("store with     A clones  A drops  B clones  B drops");
    for store in [Store::CloneFrom, Store::AlwaysClone] {
        let (a, b) = (Arc::new(Counts::default()), Arc::new(Counts::default()));
        let (waker_a, waker_b) = (
            counting_waker(Arc::clone(&a)),
            counting_waker(Arc::clone(&b)),
        );
        let shared = Arc::new(Mutex::new(None));
        let mut fired = pin!(Fired { shared, store });
        for _ in 0..3 {
            let _ = fired.as_mut().poll(&mut Context::from_waker(&waker_a));
        }
        let _ = fired.as_mut().poll(&mut Context::from_waker(&waker_b));
        let [a_clones, a_drops, b_clones, b_drops] =
            [&a.clones, &a.drops, &b.clones, &b.drops]
                .map(|count| count.load(Relaxed));
        println!(
            "{:<13}{a_clones:>10}{a_drops:>9}{b_clones:>10}{b_drops:>9}",
            format!("{store:?}")
        );
    }
}
// ANCHOR_END: main
