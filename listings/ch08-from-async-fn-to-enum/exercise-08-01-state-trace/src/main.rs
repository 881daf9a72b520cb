//! Exercise 8-1: which state is `Thermostat` in after each poll?
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

// ANCHOR: solution
impl Thermostat {
    /// The name of the state the future is in right now.
    pub fn state_name(&self) -> &'static str {
        match self {
            Thermostat::Start(_) => "Start",
            Thermostat::ReadingSensor(_) => "ReadingSensor",
            Thermostat::Heating(_) => "Heating",
            Thermostat::Cooling(_) => "Cooling",
            Thermostat::Done => "Done",
        }
    }
}

/// Polls `future` to the end like Listing 8-1's `run`, and returns the
/// name of its state before the first poll and after every poll.
pub fn trace(future: Thermostat) -> Vec<&'static str> {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    let mut states = vec![future.state_name()];
    loop {
        let poll = future.as_mut().poll(&mut cx);
        states.push(future.state_name());
        if poll.is_ready() {
            return states;
        }
    }
}

fn main() {
    let polls = Rc::new(Cell::new(0));
    // (reading, `Pending`s of the sensor, of the heater and of the fan)
    for (reading, sensor_pending, arm_pending) in
        [(22, 1, 1), (15, 2, 1), (15, 0, 0)]
    {
        let sensor = Scripted::new(sensor_pending, reading, &polls);
        let heater = Scripted::new(arm_pending, 4, &polls);
        let fan = Scripted::new(arm_pending, 3, &polls);
        let states = trace(thermostat_by_hand(sensor, heater, fan, 20));
        println!("reading {reading}: {}", states.join(" -> "));
    }
}
// ANCHOR_END: solution

#[cfg(test)]
mod tests {
    use super::*;

    /// The states of a room at `reading`, with a heater and a fan that
    /// each answer `Pending` once.
    fn states_of(reading: i32, sensor_pending: u32) -> Vec<&'static str> {
        let polls = Rc::new(Cell::new(0));
        let sensor = Scripted::new(sensor_pending, reading, &polls);
        let heater = Scripted::new(1, 4, &polls);
        let fan = Scripted::new(1, 3, &polls);
        trace(thermostat_by_hand(sensor, heater, fan, 20))
    }

    #[test]
    fn a_cold_room_passes_through_every_state_of_its_arm() {
        let expected =
            ["Start", "ReadingSensor", "ReadingSensor", "Heating", "Done"];
        assert_eq!(states_of(15, 2), expected);
    }

    #[test]
    fn a_warm_room_goes_through_cooling_instead() {
        assert_eq!(states_of(20, 0), ["Start", "Cooling", "Done"]);
    }
}
