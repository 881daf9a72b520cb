//! The state machine of Listing 8-1's `thermostat`, written by hand.
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
pub enum Change {
    Heated { from: i32, to: i32 },
    Cooled { from: i32, to: i32 },
}

// ANCHOR: states
/// Created, not yet polled: only the arguments exist.
pub struct Start {
    sensor: Scripted,
    heater: Scripted,
    fan: Scripted,
    target: i32,
}

/// Stopped at `sensor.await`. Either arm may come next, so the heater, the
/// fan and `target` all wait here too.
pub struct ReadingSensor {
    sensor: Scripted,
    heater: Scripted,
    fan: Scripted,
    target: i32,
}

/// Stopped at `heater.await`. The sensor is finished and gone, and so is
/// the fan; the reading, `start`, is still needed.
pub struct Heating {
    heater: Scripted,
    start: i32,
    target: i32,
}

/// Stopped at `fan.await`: the other arm, with the fan instead of the heater.
pub struct Cooling {
    fan: Scripted,
    start: i32,
    target: i32,
}

/// The whole future: always in exactly one of these states.
pub enum Thermostat {
    Start(Start),
    ReadingSensor(ReadingSensor),
    Heating(Heating),
    Cooling(Cooling),
    Done,
}

/// What calling `thermostat(sensor, heater, fan, target)` does: store the
/// arguments. No line of the body runs yet.
pub fn thermostat_by_hand(
    sensor: Scripted,
    heater: Scripted,
    fan: Scripted,
    target: i32,
) -> Thermostat {
    Thermostat::Start(Start {
        sensor,
        heater,
        fan,
        target,
    })
}
// ANCHOR_END: states

// ANCHOR: poll
impl Future for Thermostat {
    type Output = Change;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Change> {
        // Every field is `Unpin`, so we may have a plain `&mut Thermostat`
        // (Part IV is about futures for which that is not true).
        let state = self.get_mut();
        loop {
            // Take the current state out and leave `Done` in its place; each
            // arm puts back the state to resume from next time.
            match mem::replace(state, Thermostat::Done) {
                Thermostat::Start(Start {
                    sensor,
                    heater,
                    fan,
                    target,
                }) => {
                    // No code comes before the first `.await`: go to it.
                    *state = Thermostat::ReadingSensor(ReadingSensor {
                        sensor,
                        heater,
                        fan,
                        target,
                    });
                }
                Thermostat::ReadingSensor(mut s) => {
                    match Pin::new(&mut s.sensor).poll(cx) {
                        Poll::Pending => {
                            *state = Thermostat::ReadingSensor(s);
                            return Poll::Pending;
                        }
                        Poll::Ready(start) => {
                            let target = s.target;
                            // The branch: keep the leaf of the arm taken. The
                            // other one is dropped with `s`, never polled.
                            *state = if start < target {
                                let heater = s.heater;
                                Thermostat::Heating(Heating {
                                    heater,
                                    start,
                                    target,
                                })
                            } else {
                                let fan = s.fan;
                                Thermostat::Cooling(Cooling {
                                    fan,
                                    start,
                                    target,
                                })
                            };
                            // Loop: poll that leaf now, in this same call.
                        }
                    }
                }
                Thermostat::Heating(mut h) => {
                    match Pin::new(&mut h.heater).poll(cx) {
                        Poll::Pending => {
                            *state = Thermostat::Heating(h);
                            return Poll::Pending;
                        }
                        Poll::Ready(gained) => {
                            let to = h.start + gained.min(h.target - h.start);
                            return Poll::Ready(Change::Heated {
                                from: h.start,
                                to,
                            });
                        }
                    }
                }
                Thermostat::Cooling(mut c) => {
                    match Pin::new(&mut c.fan).poll(cx) {
                        Poll::Pending => {
                            *state = Thermostat::Cooling(c);
                            return Poll::Pending;
                        }
                        Poll::Ready(lost) => {
                            let to = c.start - lost.min(c.start - c.target);
                            return Poll::Ready(Change::Cooled {
                                from: c.start,
                                to,
                            });
                        }
                    }
                }
                Thermostat::Done => {
                    panic!("`Thermostat` polled after completion")
                }
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
    let fan_polls = Rc::new(Cell::new(0));

    // Too warm: the sensor and the fan are slow once each; the fan takes the
    // room down to 20. The heater's future is never polled.
    let sensor = Scripted::new(1, 22, &sensor_polls);
    let heater = Scripted::new(0, 4, &heater_polls);
    let fan = Scripted::new(1, 3, &fan_polls);
    let (change, polls) = run(thermostat_by_hand(sensor, heater, fan, 20));
    println!("{change:?} after {polls} polls");

    // Too cold: the sensor is slow, then the heater adds 4 of the 5 degrees.
    // This time the fan's future is never polled.
    let sensor = Scripted::new(2, 15, &sensor_polls);
    let heater = Scripted::new(1, 4, &heater_polls);
    let fan = Scripted::new(0, 3, &fan_polls);
    let (change, polls) = run(thermostat_by_hand(sensor, heater, fan, 20));
    println!("{change:?} after {polls} polls");

    println!(
        "polls of the sensor: {}, the heater: {}, the fan: {}",
        sensor_polls.get(),
        heater_polls.get(),
        fan_polls.get()
    );
}
// ANCHOR_END: main
