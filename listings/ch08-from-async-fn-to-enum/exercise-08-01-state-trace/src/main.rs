// Exercise 8-1: which state is `WarmRoom` in after each poll?
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

// ANCHOR: solution
impl WarmRoom {
    /// The name of the state the future is in right now.
    pub fn state_name(&self) -> &'static str {
        match self {
            WarmRoom::Start(_) => "Start",
            WarmRoom::ReadingSensor(_) => "ReadingSensor",
            WarmRoom::Heating(_) => "Heating",
            WarmRoom::Done => "Done",
        }
    }
}

/// Polls `future` to the end like Listing 8-1's `run`, and returns the
/// name of its state before the first poll and after every poll.
pub fn trace(future: WarmRoom) -> Vec<&'static str> {
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
    for (reading, sensor_pending, heater_pending) in
        [(22, 1, 0), (15, 2, 1), (15, 0, 0)]
    {
        let sensor = Scripted::new(sensor_pending, reading, &polls);
        let heater = Scripted::new(heater_pending, 4, &polls);
        let states = trace(warm_room_by_hand(sensor, heater, 20));
        println!("reading {reading}: {}", states.join(" -> "));
    }
}
// ANCHOR_END: solution

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cold_room_passes_through_every_state() {
        let polls = Rc::new(Cell::new(0));
        let sensor = Scripted::new(2, 15, &polls);
        let heater = Scripted::new(1, 4, &polls);
        let states = trace(warm_room_by_hand(sensor, heater, 20));
        let expected =
            ["Start", "ReadingSensor", "ReadingSensor", "Heating", "Done"];
        assert_eq!(states, expected);
    }
}
