//! An `async fn` that awaits once, then awaits again in whichever arm of a
//! branch it takes, driven by leaf futures that follow a script.
use std::cell::Cell;
use std::future::Future;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

// ANCHOR: scripted
/// A leaf future that follows a script: it answers `Pending` the first
/// `pending` times it is polled, then `Ready(value)`. It adds one to `polls`
/// on every poll, so the count can be read after the future is gone.
pub struct Scripted {
    pending: u32,
    value: i32,
    polls: Rc<Cell<u32>>,
}

impl Scripted {
    pub fn new(pending: u32, value: i32, polls: &Rc<Cell<u32>>) -> Scripted {
        let polls = Rc::clone(polls);
        Scripted {
            pending,
            value,
            polls,
        }
    }
}

impl Future for Scripted {
    type Output = i32;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<i32> {
        let this = self.get_mut(); // `Scripted` is `Unpin`, so this is allowed
        this.polls.set(this.polls.get() + 1);
        if this.pending > 0 {
            this.pending -= 1;
            // `Pending` is a promise to wake the task. Nothing else will,
            // so keep the promise at once: "poll me again".
            cx.waker().wake_by_ref();
            Poll::Pending
        } else {
            Poll::Ready(this.value)
        }
    }
}
// ANCHOR_END: scripted

// ANCHOR: thermostat
#[derive(Debug, PartialEq)]
pub enum Change {
    Heated { from: i32, to: i32 },
    Cooled { from: i32, to: i32 },
}

/// Reads the room's temperature, then runs the heater if the room is below
/// `target` and the fan if it is not. Each moves the room by the degrees its
/// future yields, but never past `target`.
pub async fn thermostat(
    sensor: Scripted,
    heater: Scripted,
    fan: Scripted,
    target: i32,
) -> Change {
    let start = sensor.await; // first await point
    if start < target {
        let gained = heater.await; // second await point
        let to = start + gained.min(target - start);
        Change::Heated { from: start, to }
    } else {
        let lost = fan.await; // third await point
        let to = start - lost.min(start - target);
        Change::Cooled { from: start, to }
    }
}
// ANCHOR_END: thermostat

// ANCHOR: run
/// Polls `future` until it is ready; returns its output and the number of
/// polls that took. Polling again at once is right here because every leaf
/// wakes its task before it answers `Pending`; chapter 6 shows a `block_on`
/// that sleeps until it is woken instead.
pub fn run<F: Future>(future: F) -> (F::Output, u32) {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    let mut polls = 0;
    loop {
        polls += 1;
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return (output, polls);
        }
    }
}
// ANCHOR_END: run

// ANCHOR: main
fn main() {
    let sensor_polls = Rc::new(Cell::new(0));
    let heater_polls = Rc::new(Cell::new(0));
    let fan_polls = Rc::new(Cell::new(0));

    // Too warm: the sensor and the fan are slow once each; the fan takes the
    // room down to 20. The heater's future is never polled.
    let sensor = Scripted::new(1, 22, &sensor_polls);
    let heater = Scripted::new(0, 4, &heater_polls);
    let fan = Scripted::new(1, 3, &fan_polls);
    let (change, polls) = run(thermostat(sensor, heater, fan, 20));
    println!("{change:?} after {polls} polls");

    // Too cold: the sensor is slow, then the heater adds 4 of the 5 degrees.
    // This time the fan's future is never polled.
    let sensor = Scripted::new(2, 15, &sensor_polls);
    let heater = Scripted::new(1, 4, &heater_polls);
    let fan = Scripted::new(0, 3, &fan_polls);
    let (change, polls) = run(thermostat(sensor, heater, fan, 20));
    println!("{change:?} after {polls} polls");

    println!(
        "polls of the sensor: {}, the heater: {}, the fan: {}",
        sensor_polls.get(),
        heater_polls.get(),
        fan_polls.get()
    );
}
// ANCHOR_END: main
