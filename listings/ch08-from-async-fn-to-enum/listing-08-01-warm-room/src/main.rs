// An `async fn` with two `.await` points and a decision between them, driven by
// leaf futures that follow a script.
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

// ANCHOR: warm_room
#[derive(Debug, PartialEq)]
pub enum Warmth {
    AlreadyWarm(i32),
    Heated { from: i32, to: i32 },
}

/// Reads the room's temperature. If it is below `target`, runs the heater,
/// which adds the degrees its future yields, but never goes past `target`.
pub async fn warm_room(
    sensor: Scripted,
    heater: Scripted,
    target: i32,
) -> Warmth {
    let start = sensor.await; // first await point
    if start >= target {
        return Warmth::AlreadyWarm(start);
    }
    let gained = heater.await; // second await point
    let to = start + gained.min(target - start);
    Warmth::Heated { from: start, to }
}
// ANCHOR_END: warm_room

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

    // The room is warm enough: the heater's future is never polled.
    let sensor = Scripted::new(1, 22, &sensor_polls);
    let heater = Scripted::new(0, 4, &heater_polls);
    let (warmth, polls) = run(warm_room(sensor, heater, 20));
    println!("{warmth:?} after {polls} polls");

    // Too cold: the sensor is slow, then the heater adds 4 of the 5 degrees.
    let sensor = Scripted::new(2, 15, &sensor_polls);
    let heater = Scripted::new(1, 4, &heater_polls);
    let (warmth, polls) = run(warm_room(sensor, heater, 20));
    println!("{warmth:?} after {polls} polls");

    println!(
        "the sensor was polled {} times, the heater {} times",
        sensor_polls.get(),
        heater_polls.get()
    );
}
// ANCHOR_END: main
