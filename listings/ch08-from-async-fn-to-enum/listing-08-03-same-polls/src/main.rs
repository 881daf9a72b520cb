//! Listing 8-1's `async fn` and Listing 8-2's hand-written state machine, driven
//! side by side with the same scripts.
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

// ANCHOR: observe
/// A script for one run: how many times each leaf answers `Pending`, and
/// what it yields in the end.
#[derive(Clone, Copy, Debug)]
pub struct Script {
    sensor_pending: u32,
    reading: i32,
    heater_pending: u32,
    gain: i32,
    fan_pending: u32,
    loss: i32,
}

/// What the first two tests compare: the result, and how many times the
/// future and each of its leaves was polled.
#[derive(Debug, PartialEq)]
pub struct Observed {
    change: Change,
    polls: u32,
    sensor_polls: u32,
    heater_polls: u32,
    fan_polls: u32,
}

/// Builds the leaves of `script`, hands them to `make` (either version of
/// `thermostat`), runs the future it returns and reports what happened.
pub fn observe<F>(
    script: Script,
    make: fn(Scripted, Scripted, Scripted, i32) -> F,
) -> Observed
where
    F: Future<Output = Change>,
{
    let sensor_polls = Rc::new(Cell::new(0));
    let heater_polls = Rc::new(Cell::new(0));
    let fan_polls = Rc::new(Cell::new(0));
    let sensor =
        Scripted::new(script.sensor_pending, script.reading, &sensor_polls);
    let heater =
        Scripted::new(script.heater_pending, script.gain, &heater_polls);
    let fan = Scripted::new(script.fan_pending, script.loss, &fan_polls);
    let (change, polls) = run(make(sensor, heater, fan, 20));
    Observed {
        change,
        polls,
        sensor_polls: sensor_polls.get(),
        heater_polls: heater_polls.get(),
        fan_polls: fan_polls.get(),
    }
}
// ANCHOR_END: observe

/// Every combination of a few slow and fast leaves, cold, warm and hot rooms.
pub fn all_scripts() -> Vec<Script> {
    let mut scripts = Vec::new();
    for sensor_pending in 0..3 {
        for reading in [15, 19, 20, 25] {
            for heater_pending in 0..3 {
                for fan_pending in 0..3 {
                    for (gain, loss) in [(2, 2), (9, 9), (2, 9)] {
                        scripts.push(Script {
                            sensor_pending,
                            reading,
                            heater_pending,
                            gain,
                            fan_pending,
                            loss,
                        });
                    }
                }
            }
        }
    }
    scripts
}

// ANCHOR: main
fn main() {
    let scripts = all_scripts();
    let mut same = 0;
    for &script in &scripts {
        if observe(script, thermostat) == observe(script, thermostat_by_hand) {
            same += 1;
        }
    }
    println!("{same} of {} scripts behave the same", scripts.len());

    let script = Script {
        sensor_pending: 2,
        reading: 15,
        heater_pending: 1,
        gain: 4,
        fan_pending: 0,
        loss: 3,
    };
    println!("async fn: {:?}", observe(script, thermostat));
    println!("by hand:  {:?}", observe(script, thermostat_by_hand));

    // Chapter 9 comes back to these two numbers.
    let polls = Rc::new(Cell::new(0));
    let leaf = || Scripted::new(0, 0, &polls);
    let by_compiler = size_of_val(&thermostat(leaf(), leaf(), leaf(), 20));
    let by_hand = size_of_val(&thermostat_by_hand(leaf(), leaf(), leaf(), 20));
    println!("size of the async fn's future: {by_compiler} bytes");
    println!("size of the hand-written Thermostat: {by_hand} bytes");
}
// ANCHOR_END: main

// ANCHOR: tests
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_written_machine_behaves_like_the_async_fn() {
        for script in all_scripts() {
            let by_compiler = observe(script, thermostat);
            let by_hand = observe(script, thermostat_by_hand);
            assert_eq!(by_compiler, by_hand, "{script:?}");
        }
    }

    #[test]
    fn one_poll_per_pending_plus_one() {
        for script in all_scripts() {
            let seen = observe(script, thermostat_by_hand);
            let heated = script.reading < 20;
            // Each `Pending` of a leaf costs the task one more poll; going
            // from one state to the next never does (that is the `loop`).
            let arm_pending = if heated {
                script.heater_pending
            } else {
                script.fan_pending
            };
            let expected = script.sensor_pending + arm_pending + 1;
            assert_eq!(seen.polls, expected, "{script:?}");
            assert_eq!(seen.sensor_polls, script.sensor_pending + 1);
            // The leaf of the arm not taken is never polled.
            let (heater_polls, fan_polls) = if heated {
                (script.heater_pending + 1, 0)
            } else {
                (0, script.fan_pending + 1)
            };
            assert_eq!(seen.heater_polls, heater_polls, "{script:?}");
            assert_eq!(seen.fan_polls, fan_polls, "{script:?}");
        }
    }

    /// Which leaves (sensor, heater, fan) still exist after each poll, in a
    /// cold room whose sensor is ready at once and whose heater waits once.
    /// Each leaf holds a clone of its counter's `Rc`: while it exists, the
    /// count is 2.
    fn alive_after_each_poll<F: Future<Output = Change>>(
        make: fn(Scripted, Scripted, Scripted, i32) -> F,
    ) -> Vec<[bool; 3]> {
        let counters = [(); 3].map(|()| Rc::new(Cell::new(0)));
        let [sensor, heater, fan] = &counters;
        let mut future = pin!(make(
            Scripted::new(0, 15, sensor),
            Scripted::new(1, 4, heater),
            Scripted::new(0, 3, fan),
            20,
        ));
        let mut cx = Context::from_waker(Waker::noop());
        let mut alive = Vec::new();
        loop {
            let poll = future.as_mut().poll(&mut cx);
            alive.push(counters.each_ref().map(|c| Rc::strong_count(c) == 2));
            if poll.is_ready() {
                return alive;
            }
        }
    }

    /// `thermostat` with the leaf of the arm not taken dropped by hand.
    async fn thermostat_dropping_early(
        sensor: Scripted,
        heater: Scripted,
        fan: Scripted,
        target: i32,
    ) -> Change {
        let start = sensor.await;
        if start < target {
            drop(fan);
            let gained = heater.await;
            let to = start + gained.min(target - start);
            Change::Heated { from: start, to }
        } else {
            drop(heater);
            let lost = fan.await;
            let to = start - lost.min(start - target);
            Change::Cooled { from: start, to }
        }
    }

    #[test]
    fn the_async_fn_drops_the_leaf_not_taken_only_at_its_end() {
        // Stopped at `heater.await` (first poll), then returned.
        let keeps_the_fan = [[false, true, true], [false, false, false]];
        let drops_the_fan = [[false, true, false], [false, false, false]];
        // An argument is dropped where the body ends, so the compiler's
        // future still holds the fan while it waits for the heater.
        assert_eq!(alive_after_each_poll(thermostat), keeps_the_fan);
        // The hand-written machine drops it at the branch...
        assert_eq!(alive_after_each_poll(thermostat_by_hand), drops_the_fan);
        // ...and so does the `async fn` told to, with `drop(fan)`.
        let dropping_early = alive_after_each_poll(thermostat_dropping_early);
        assert_eq!(dropping_early, drops_the_fan);
    }
}
// ANCHOR_END: tests
