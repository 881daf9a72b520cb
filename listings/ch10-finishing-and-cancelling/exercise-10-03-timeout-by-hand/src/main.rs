//! Exercise 10-3: Listing 10-4's timeout as a hand-written future.
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

/// Listing 10-4's timer: `Pending` for `ticks` polls, then ready.
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
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[derive(Debug, PartialEq)]
pub struct Elapsed;

/// Listing 10-4's `timeout`, for comparison.
pub async fn timeout<F: Future>(
    work: F,
    timer: TickTimer,
) -> Result<F::Output, Elapsed> {
    let work = pin!(work);
    match future::select(work, timer).await {
        Either::Left((output, _timer)) => Ok(output),
        Either::Right(((), _work)) => Err(Elapsed),
    }
}

// ANCHOR: solution
/// Both futures side by side, in one struct: no states to switch between,
/// since both are polled at every poll until one of them is ready.
pub struct Timeout<F> {
    work: F,
    timer: TickTimer,
}

pub fn timeout_by_hand<F: Future + Unpin>(
    work: F,
    timer: TickTimer,
) -> Timeout<F> {
    Timeout { work, timer }
}

impl<F: Future + Unpin> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // The work first, so that it wins a tie, as with `select`.
        if let Poll::Ready(output) = Pin::new(&mut this.work).poll(cx) {
            return Poll::Ready(Ok(output));
        }
        if Pin::new(&mut this.timer).poll(cx).is_ready() {
            return Poll::Ready(Err(Elapsed));
        }
        Poll::Pending
    }
}
// ANCHOR_END: solution

/// Work in `steps` steps, each one a wait.
async fn work(steps: u32) -> u32 {
    for _ in 0..steps {
        YieldOnce { yielded: false }.await;
    }
    steps
}

fn main() {
    for (steps, ticks) in [(3, 5), (5, 2)] {
        let timer = TickTimer { ticks };
        let result = block_on(timeout_by_hand(Box::pin(work(steps)), timer));
        println!("{steps} steps, {ticks} ticks: {result:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_results_as_the_select_version() {
        for steps in 0..5 {
            for ticks in 0..5 {
                let with_select =
                    block_on(timeout(work(steps), TickTimer { ticks }));
                let by_hand = block_on(timeout_by_hand(
                    Box::pin(work(steps)),
                    TickTimer { ticks },
                ));
                assert_eq!(
                    with_select, by_hand,
                    "{steps} steps, {ticks} ticks"
                );
            }
        }
    }
}
