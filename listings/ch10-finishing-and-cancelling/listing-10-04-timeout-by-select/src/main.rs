//! A timeout: race the work against a timer, keep the winner, drop the loser.
extern crate futures;

use futures::executor::block_on;
use futures::future::{self, Either};
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

/// A leaf future that is `Pending` once (waking its task), then ready.
struct YieldOnce {
    yielded: bool,
}

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            Poll::Ready(())
        } else {
            self.yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

// ANCHOR: timer
/// A stand-in for a clock that counts polls instead of milliseconds, so that
/// every run prints the same: `Pending` for `ticks` polls, then ready.
pub struct TickTimer {
    ticks: u32,
}

impl Future for TickTimer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.ticks == 0 {
            return Poll::Ready(());
        }
        self.ticks -= 1;
        cx.waker().wake_by_ref(); // a real timer would wake when it is time
        Poll::Pending
    }
}
// ANCHOR_END: timer

// ANCHOR: timeout
#[derive(Debug, PartialEq)]
pub struct Elapsed;

/// Runs `work` until it finishes or `timer` fires, whichever comes first.
pub async fn timeout<F: Future>(
    work: F,
    timer: TickTimer,
) -> Result<F::Output, Elapsed> {
    // `select` wants futures it can move: pin the work here, and hand it a
    // pinned reference (`TickTimer` may move freely).
    let work = pin!(work);
    match future::select(work, timer).await {
        Either::Left((output, _timer)) => Ok(output),
        Either::Right(((), _work)) => Err(Elapsed),
    }
    // Returning drops `work`, finished or not: that is the cancellation.
}
// ANCHOR_END: timeout

// ANCHOR: work
/// Counts finished steps, and says how far the work got if it is dropped
/// before the end.
struct Progress {
    done: u32,
    steps: u32,
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.done < self.steps {
            println!("  cancelled after {} of {} steps", self.done, self.steps);
        }
    }
}

/// Work in `steps` steps, each one a wait.
async fn work(steps: u32) -> u32 {
    let mut progress = Progress { done: 0, steps };
    while progress.done < steps {
        YieldOnce { yielded: false }.await;
        progress.done += 1;
        println!("  step {} done", progress.done);
    }
    progress.done
}
// ANCHOR_END: work

// ANCHOR: main
fn main() {
    for (steps, ticks) in [(3, 5), (5, 2)] {
        println!("{steps} steps of work, a timer of {ticks} ticks:");
        let result = block_on(timeout(work(steps), TickTimer { ticks }));
        println!("  {result:?}");
    }
}
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_wins_when_it_needs_no_more_polls_than_the_timer() {
        for steps in 0..5 {
            for ticks in 0..5 {
                let result =
                    block_on(timeout(work(steps), TickTimer { ticks }));
                // `select` polls the work first, so on a tie the work wins.
                let expected = if steps <= ticks {
                    Ok(steps)
                } else {
                    Err(Elapsed)
                };
                assert_eq!(result, expected, "{steps} steps, {ticks} ticks");
            }
        }
    }
}
