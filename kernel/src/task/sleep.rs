//! Sleeping for a number of timer ticks. The timer interrupt only counts and wakes one task, the
//! driver; the driver wakes every sleeper whose time has come. The handler stays tiny, and the
//! sleepers' list is only ever touched by tasks.

use crate::timer;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};
use spin::Mutex;
use x86_64::instructions::interrupts;

/// Wakers of sleeping tasks by the tick they wait for.
static SLEEPERS: Mutex<BTreeMap<u64, Vec<Waker>>> = Mutex::new(BTreeMap::new());

// ANCHOR: sleep
/// A future that is ready once the tick count reaches `deadline`.
pub struct Sleep {
    deadline: u64,
}

/// Sleeps for `ticks` timer ticks (at least; the driver task must be running).
pub fn sleep(ticks: u64) -> Sleep {
    Sleep {
        deadline: timer::ticks() + ticks,
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context) -> Poll<()> {
        if timer::ticks() >= self.deadline {
            return Poll::Ready(());
        }
        // The driver runs on the same executor, never during this poll, and looks at the tick
        // count after it: a tick that comes now still finds this waker registered.
        interrupts::without_interrupts(|| {
            SLEEPERS
                .lock()
                .entry(self.deadline)
                .or_default()
                .push(cx.waker().clone());
        });
        Poll::Pending
    }
}
// ANCHOR_END: sleep

// ANCHOR: drive
/// The driver: wakes sleepers whose deadline has passed, after every tick. Spawn it once.
pub async fn drive() {
    let mut seen = timer::ticks();
    loop {
        seen = timer::tick_after(seen).await;
        let due = interrupts::without_interrupts(|| {
            let mut sleepers = SLEEPERS.lock();
            let later = sleepers.split_off(&(seen + 1));
            core::mem::replace(&mut *sleepers, later)
        });
        for waker in due.into_values().flatten() {
            waker.wake();
        }
    }
}
// ANCHOR_END: drive
