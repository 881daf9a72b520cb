//! The waker a leaf future receives, deep inside an `async fn`, is the
//! waker of the task at the top.
use std::cell::RefCell;
use std::future::Future;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll, Wake, Waker};

// ANCHOR: scripted
/// Listing 8-1's leaf, except that instead of counting its polls it keeps a
/// clone of the waker it was given at each poll.
pub struct Scripted {
    pending: u32,
    value: i32,
    wakers_seen: Rc<RefCell<Vec<Waker>>>,
}
// ANCHOR_END: scripted

impl Scripted {
    pub fn new(
        pending: u32,
        value: i32,
        wakers_seen: &Rc<RefCell<Vec<Waker>>>,
    ) -> Scripted {
        let wakers_seen = Rc::clone(wakers_seen);
        Scripted {
            pending,
            value,
            wakers_seen,
        }
    }
}

// ANCHOR: poll
impl Future for Scripted {
    type Output = i32;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<i32> {
        let this = self.get_mut();
        this.wakers_seen.borrow_mut().push(cx.waker().clone());
        if this.pending > 0 {
            this.pending -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            Poll::Ready(this.value)
        }
    }
}
// ANCHOR_END: poll

#[derive(Debug, PartialEq)]
pub enum Change {
    Heated { from: i32, to: i32 },
    Cooled { from: i32, to: i32 },
}

/// Listing 8-1's `async fn`, unchanged.
pub async fn thermostat(
    sensor: Scripted,
    heater: Scripted,
    fan: Scripted,
    target: i32,
) -> Change {
    let start = sensor.await;
    if start < target {
        let gained = heater.await;
        let to = start + gained.min(target - start);
        Change::Heated { from: start, to }
    } else {
        let lost = fan.await;
        let to = start - lost.min(start - target);
        Change::Cooled { from: start, to }
    }
}

// ANCHOR: task_waker
/// The waker of our one task: it counts how many times it was woken.
#[derive(Default)]
pub struct WakeCounter {
    wakes: AtomicU32,
}

impl Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}

/// Runs `future` as a task whose waker is `task_waker`, and polls it again
/// only after that waker was woken (a lost wake-up would be a panic here,
/// not a hang). Returns the output and the number of polls.
pub fn run_as_task<F: Future>(
    future: F,
    counter: &Arc<WakeCounter>,
) -> (F::Output, u32) {
    let task_waker = Waker::from(Arc::clone(counter));
    let mut cx = Context::from_waker(&task_waker);
    let mut future = pin!(future);
    let mut polls = 0;
    loop {
        let wakes_before = counter.wakes.load(Ordering::SeqCst);
        polls += 1;
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return (output, polls);
        }
        let woken = counter.wakes.load(Ordering::SeqCst) > wakes_before;
        assert!(woken, "Pending, but nobody woke the task: it would hang");
    }
}
// ANCHOR_END: task_waker

// ANCHOR: main
fn main() {
    let counter = Arc::new(WakeCounter::default());
    let task_waker = Waker::from(Arc::clone(&counter));
    let seen = Rc::new(RefCell::new(Vec::new()));

    let sensor = Scripted::new(2, 15, &seen);
    let heater = Scripted::new(1, 4, &seen);
    let fan = Scripted::new(0, 3, &seen);
    let future = thermostat(sensor, heater, fan, 20);
    let (change, polls) = run_as_task(future, &counter);
    println!("{change:?} after {polls} polls");

    let wakes = counter.wakes.load(Ordering::SeqCst);
    println!("the task's own waker was woken {wakes} times");

    // A waker made from an `Arc` carries the `Arc`'s pointer as its data.
    let seen = seen.borrow();
    let all_the_task = seen.iter().all(|w| w.data() == task_waker.data());
    println!(
        "{} wakers seen by the leaves, all the task's: {all_the_task}",
        seen.len()
    );
}
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_wake_the_top_level_task() {
        for reading in [15, 25] {
            for (sensor_pending, arm_pending) in
                [(0, 0), (3, 0), (0, 3), (2, 5)]
            {
                let counter = Arc::new(WakeCounter::default());
                let task_waker = Waker::from(Arc::clone(&counter));
                let seen = Rc::new(RefCell::new(Vec::new()));
                let sensor = Scripted::new(sensor_pending, reading, &seen);
                let heater = Scripted::new(arm_pending, 4, &seen);
                let fan = Scripted::new(arm_pending, 3, &seen);
                let future = thermostat(sensor, heater, fan, 20);
                let (_, polls) = run_as_task(future, &counter);

                // Every `Pending` of a leaf reached the task's counter...
                let wakes = counter.wakes.load(Ordering::SeqCst);
                assert_eq!(wakes, sensor_pending + arm_pending);
                assert_eq!(polls, wakes + 1);
                // ...because each leaf was handed the task's waker itself.
                assert!(
                    seen.borrow().iter().all(|w| w.data() == task_waker.data())
                );
            }
        }
    }
}
