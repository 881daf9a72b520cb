//! A future that stores the waker it is polled with, cloning it only when the task changes.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

// ANCHOR: future
/// What a `Fired` future shares with whoever fires the signal.
#[derive(Default)]
struct Shared {
    fired: bool,
    waker: Option<Waker>,
}

/// A future that finishes once `fire` has been called on its shared state.
struct Fired {
    shared: Arc<Mutex<Shared>>,
}

impl Future for Fired {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut shared = self.shared.lock().unwrap();
        if shared.fired {
            return Poll::Ready(());
        }
        // Remember who to wake. Keep the stored waker if it would wake the same
        // task anyway; clone the new one only when it is different.
        match &shared.waker {
            Some(stored) if stored.will_wake(cx.waker()) => {}
            _ => shared.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

fn fire(shared: &Mutex<Shared>) {
    let waker = {
        let mut shared = shared.lock().unwrap();
        shared.fired = true;
        shared.waker.take()
    };
    // Wake after the lock is released (the woken task may lock it at once), and
    // by value: the waker was taken out, and nobody needs it any more.
    if let Some(waker) = waker {
        waker.wake();
    }
}
// ANCHOR_END: future

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

const COLUMNS: &str = " clones wakes drops";

fn report(step: &str, a: &Counts, b: &Counts) {
    let row = |c: &Counts| {
        let (clones, wakes, drops) = (
            c.clones.load(Relaxed),
            c.wakes.load(Relaxed),
            c.drops.load(Relaxed),
        );
        format!("{clones:>7}{wakes:>6}{drops:>6}")
    };
    println!("{step:<25}{}  {}", row(a), row(b));
}

// ANCHOR: main
fn main() {
    println!("{:<25}{:>13}{:>21}", "", "waker A", "waker B");
    println!("{:<25}{}  {}", "step", COLUMNS, COLUMNS);
    let shared = Arc::new(Mutex::new(Shared::default()));
    let mut fired = pin!(Fired {
        shared: Arc::clone(&shared)
    });

    let (counts_a, counts_b) =
        (Arc::new(Counts::default()), Arc::new(Counts::default()));
    let waker_a = counting_waker(Arc::clone(&counts_a));
    let waker_b = counting_waker(Arc::clone(&counts_b));

    let mut cx = Context::from_waker(&waker_a);
    for _ in 0..3 {
        assert!(fired.as_mut().poll(&mut cx).is_pending());
    }
    report("3 polls with waker A", &counts_a, &counts_b);

    // The future now belongs to another task, which polls it with its own waker.
    let mut cx = Context::from_waker(&waker_b);
    assert!(fired.as_mut().poll(&mut cx).is_pending());
    report("1 poll with waker B", &counts_a, &counts_b);

    fire(&shared);
    report("fire()", &counts_a, &counts_b);

    assert!(fired.as_mut().poll(&mut cx).is_ready());
    report("1 poll with waker B", &counts_a, &counts_b);
}
// ANCHOR_END: main
