// The state machine of Listing 8-1's `warm_room`, written by hand.
use std::cell::Cell;
use std::future::Future;
use std::mem;
use std::pin::{Pin, pin};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

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

#[derive(Debug, PartialEq)]
pub enum Warmth {
    AlreadyWarm(i32),
    Heated { from: i32, to: i32 },
}

// ANCHOR: states
/// Created, not yet polled: only the arguments exist.
pub struct Start {
    sensor: Scripted,
    heater: Scripted,
    target: i32,
}

/// Stopped at `sensor.await`. `heater` and `target` are needed later,
/// so they wait here too.
pub struct ReadingSensor {
    sensor: Scripted,
    heater: Scripted,
    target: i32,
}

/// Stopped at `heater.await`. The sensor is finished and gone; the
/// reading it gave, `start`, is still needed.
pub struct Heating {
    heater: Scripted,
    start: i32,
    target: i32,
}

/// The whole future: always in exactly one of these states.
pub enum WarmRoom {
    Start(Start),
    ReadingSensor(ReadingSensor),
    Heating(Heating),
    Done,
}

/// What calling `warm_room(sensor, heater, target)` does: store the
/// arguments. No line of the body runs yet.
pub fn warm_room_by_hand(
    sensor: Scripted,
    heater: Scripted,
    target: i32,
) -> WarmRoom {
    WarmRoom::Start(Start {
        sensor,
        heater,
        target,
    })
}
// ANCHOR_END: states

// ANCHOR: poll
impl Future for WarmRoom {
    type Output = Warmth;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Warmth> {
        // Every field is `Unpin`, so we may have a plain `&mut WarmRoom`
        // (Part IV is about futures for which that is not true).
        let state = self.get_mut();
        loop {
            // Take the current state out and leave `Done` in its place; each
            // arm puts back the state to resume from next time.
            match mem::replace(state, WarmRoom::Done) {
                WarmRoom::Start(Start {
                    sensor,
                    heater,
                    target,
                }) => {
                    // No code comes before the first `.await`: go straight to it.
                    *state = WarmRoom::ReadingSensor(ReadingSensor {
                        sensor,
                        heater,
                        target,
                    });
                }
                WarmRoom::ReadingSensor(mut s) => {
                    match Pin::new(&mut s.sensor).poll(cx) {
                        Poll::Pending => {
                            *state = WarmRoom::ReadingSensor(s);
                            return Poll::Pending;
                        }
                        Poll::Ready(start) => {
                            if start >= s.target {
                                // `s.heater` is dropped here without ever being polled.
                                return Poll::Ready(Warmth::AlreadyWarm(start));
                            }
                            let heater = s.heater;
                            let target = s.target;
                            *state = WarmRoom::Heating(Heating {
                                heater,
                                start,
                                target,
                            });
                            // Loop: poll the heater now, in this same call.
                        }
                    }
                }
                WarmRoom::Heating(mut h) => {
                    match Pin::new(&mut h.heater).poll(cx) {
                        Poll::Pending => {
                            *state = WarmRoom::Heating(h);
                            return Poll::Pending;
                        }
                        Poll::Ready(gained) => {
                            let to = h.start + gained.min(h.target - h.start);
                            return Poll::Ready(Warmth::Heated {
                                from: h.start,
                                to,
                            });
                        }
                    }
                }
                WarmRoom::Done => panic!("`WarmRoom` polled after completion"),
            }
        }
    }
}
// ANCHOR_END: poll

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

// ANCHOR: main
fn main() {
    let sensor_polls = Rc::new(Cell::new(0));
    let heater_polls = Rc::new(Cell::new(0));

    // The room is warm enough: the heater's future is never polled.
    let sensor = Scripted::new(1, 22, &sensor_polls);
    let heater = Scripted::new(0, 4, &heater_polls);
    let (warmth, polls) = run(warm_room_by_hand(sensor, heater, 20));
    println!("{warmth:?} after {polls} polls");

    // Too cold: the sensor is slow, then the heater adds 4 of the 5 degrees.
    let sensor = Scripted::new(2, 15, &sensor_polls);
    let heater = Scripted::new(1, 4, &heater_polls);
    let (warmth, polls) = run(warm_room_by_hand(sensor, heater, 20));
    println!("{warmth:?} after {polls} polls");

    println!(
        "the sensor was polled {} times, the heater {} times",
        sensor_polls.get(),
        heater_polls.get()
    );
}
// ANCHOR_END: main
