//! Exercise 15-1: a waker by hand whose data is a `&'static AtomicBool`. Nothing is
//! owned, so cloning and dropping have no work to do.

use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{RawWaker, RawWakerVTable, Waker};
use std::thread;

// ANCHOR: solution
/// `wake` and `wake_by_ref` are the same function: a consumed waker owns nothing to release.
static FLAG_VTABLE: RawWakerVTable =
    RawWakerVTable::new(clone_flag_waker, set_flag, set_flag, drop_flag_waker);

/// Makes a waker that sets `flag` when woken.
fn flag_waker(flag: &'static AtomicBool) -> Waker {
    let data = (flag as *const AtomicBool).cast::<()>();
    // SAFETY: `data` points to an `AtomicBool` that lives for the whole program and may
    // be shared between threads; the functions of `FLAG_VTABLE` only read through it.
    unsafe { Waker::from_raw(RawWaker::new(data, &FLAG_VTABLE)) }
}

unsafe fn clone_flag_waker(data: *const ()) -> RawWaker {
    // A `&'static` reference can be copied freely: no count to raise.
    RawWaker::new(data, &FLAG_VTABLE)
}

unsafe fn set_flag(data: *const ()) {
    // SAFETY: `data` came from a `&'static AtomicBool` in `flag_waker`.
    let flag = unsafe { &*data.cast::<AtomicBool>() };
    flag.store(true, Ordering::Release);
}

unsafe fn drop_flag_waker(_data: *const ()) {
    // Nothing was owned, so nothing is released.
}
// ANCHOR_END: solution

fn main() {
    static WOKEN: AtomicBool = AtomicBool::new(false);
    let waker = flag_waker(&WOKEN);
    let clone = waker.clone();
    drop(waker);
    println!("before wake: {}", WOKEN.load(Ordering::Acquire));
    thread::spawn(move || clone.wake()).join().unwrap();
    println!("after wake:  {}", WOKEN.load(Ordering::Acquire));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wake_by_ref_sets_the_flag_and_keeps_the_waker() {
        static FLAG: AtomicBool = AtomicBool::new(false);
        let waker = flag_waker(&FLAG);
        waker.wake_by_ref();
        assert!(FLAG.load(Ordering::Acquire));
        FLAG.store(false, Ordering::Release);
        waker.wake();
        assert!(FLAG.load(Ordering::Acquire));
    }

    #[test]
    fn clones_wake_the_same_flag_and_no_other() {
        static ONE: AtomicBool = AtomicBool::new(false);
        static OTHER: AtomicBool = AtomicBool::new(false);
        let waker = flag_waker(&ONE);
        assert!(waker.will_wake(&waker.clone()));
        assert!(!waker.will_wake(&flag_waker(&OTHER)));
        let clone = waker.clone();
        clone.wake();
        assert!(ONE.load(Ordering::Acquire));
        assert!(!OTHER.load(Ordering::Acquire));
    }
}
