//! Exercise 8-2: the state machine of an `async fn` with an `.await` in a loop.
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
// ANCHOR: total
/// Adds up the readings of several sensors, one after the other.
pub async fn total(sensors: Vec<Scripted>) -> i32 {
    let mut sum = 0;
    for sensor in sensors {
        sum += sensor.await;
    }
    sum
}
// ANCHOR_END: total

// ANCHOR: solution
/// Created, not yet polled.
pub struct Start {
    sensors: Vec<Scripted>,
}

/// Stopped at `sensor.await` inside the loop. Everything alive there is
/// kept: the loop's iterator, the sum so far, and the sensor being awaited.
/// One `.await` in the source is one state, however often the loop runs.
pub struct Adding {
    rest: std::vec::IntoIter<Scripted>,
    sum: i32,
    sensor: Scripted,
}

pub enum Total {
    Start(Start),
    Adding(Adding),
    Done,
}

pub fn total_by_hand(sensors: Vec<Scripted>) -> Total {
    Total::Start(Start { sensors })
}

impl Future for Total {
    type Output = i32;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<i32> {
        let state = self.get_mut();
        loop {
            match mem::replace(state, Total::Done) {
                Total::Start(Start { sensors }) => {
                    let mut rest = sensors.into_iter();
                    let sum = 0;
                    // The loop's first test: is there a sensor at all?
                    match rest.next() {
                        Some(sensor) => {
                            *state = Total::Adding(Adding { rest, sum, sensor })
                        }
                        None => return Poll::Ready(sum),
                    }
                }
                Total::Adding(mut adding) => match Pin::new(&mut adding.sensor)
                    .poll(cx)
                {
                    Poll::Pending => {
                        *state = Total::Adding(adding);
                        return Poll::Pending;
                    }
                    Poll::Ready(reading) => {
                        let sum = adding.sum + reading;
                        let mut rest = adding.rest;
                        // Back to the top of the loop: next sensor, or the end.
                        match rest.next() {
                            Some(sensor) => {
                                *state =
                                    Total::Adding(Adding { rest, sum, sensor })
                            }
                            None => return Poll::Ready(sum),
                        }
                    }
                },
                Total::Done => panic!("`Total` polled after completion"),
            }
        }
    }
}
// ANCHOR_END: solution

/// Polls `future` until it is ready; returns its output and the number of
/// polls that took (Listing 8-1's `run`).
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
fn main() {
    let polls = Rc::new(Cell::new(0));
    let sensors = || {
        vec![
            Scripted::new(1, 20, &polls),
            Scripted::new(0, 21, &polls),
            Scripted::new(2, 19, &polls),
        ]
    };
    let (sum, task_polls) = run(total(sensors()));
    println!("async fn: sum {sum} after {task_polls} polls");
    let (sum, task_polls) = run(total_by_hand(sensors()));
    println!("by hand:  sum {sum} after {task_polls} polls");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sum, the task's polls and the leaves' polls, for one script of
    /// (pending, value) pairs.
    fn observe<F>(
        script: &[(u32, i32)],
        make: fn(Vec<Scripted>) -> F,
    ) -> (i32, u32, u32)
    where
        F: Future<Output = i32>,
    {
        let leaf_polls = Rc::new(Cell::new(0));
        let sensors = script
            .iter()
            .map(|&(pending, value)| Scripted::new(pending, value, &leaf_polls))
            .collect();
        let (sum, polls) = run(make(sensors));
        (sum, polls, leaf_polls.get())
    }

    #[test]
    fn hand_written_loop_behaves_like_the_async_fn() {
        let scripts: [&[(u32, i32)]; 5] = [
            &[],
            &[(0, 5)],
            &[(3, 5)],
            &[(1, 20), (0, 21), (2, 19)],
            &[(0, 1), (0, 2), (0, 3), (4, 4)],
        ];
        for script in scripts {
            assert_eq!(observe(script, total), observe(script, total_by_hand));
        }
    }
}
