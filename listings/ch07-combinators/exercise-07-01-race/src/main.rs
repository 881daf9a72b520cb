//! Exercise 7-1: `race`, a combinator that is ready with the output of
//! whichever of two futures finishes first, and drops the other.
extern crate futures;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Runs two futures with the same output type; ready as soon as either is.
pub struct Race<A, B> {
    a: A,
    b: B,
}

pub fn race<A, B>(a: A, b: B) -> Race<A, B>
where
    A: Future,
    B: Future<Output = A::Output>,
{
    Race { a, b }
}

// No `impl Unpin` needed: `Race` holds nothing but the two futures, so the
// compiler already makes it `Unpin` exactly when both of them are.
impl<A, B> Future for Race<A, B>
where
    A: Future + Unpin,
    B: Future<Output = A::Output> + Unpin,
{
    type Output = A::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<A::Output> {
        let this = self.get_mut();
        // `a` goes first, so it wins a tie. Both are polled whenever neither is
        // ready, so both have arranged a wake-up before we return `Pending`.
        if let Poll::Ready(output) = Pin::new(&mut this.a).poll(cx) {
            return Poll::Ready(output);
        }
        Pin::new(&mut this.b).poll(cx)
    }
}

fn main() {
    use futures::channel::oneshot;
    use std::thread;

    // This sender stays alive but never sends, so its receiver is never ready.
    let (_silent_tx, silent_rx) = oneshot::channel::<&str>();
    let (fast_tx, fast_rx) = oneshot::channel::<&str>();
    thread::spawn(move || fast_tx.send("fast").unwrap());
    let winner = futures::executor::block_on(race(silent_rx, fast_rx));
    println!("winner: {winner:?}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::channel::oneshot;
    use std::future::{pending, ready};
    use std::task::Waker;

    #[test]
    fn the_first_to_finish_wins() {
        assert_eq!(futures::executor::block_on(race(pending(), ready(2))), 2);
        assert_eq!(futures::executor::block_on(race(ready(1), pending())), 1);
    }

    #[test]
    fn a_tie_goes_to_the_first() {
        assert_eq!(futures::executor::block_on(race(ready(1), ready(2))), 1);
    }

    #[test]
    fn the_loser_is_dropped_with_the_race() {
        let (a_tx, a_rx) = oneshot::channel::<u32>();
        let (b_tx, b_rx) = oneshot::channel::<u32>();
        let mut both = race(a_rx, b_rx);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(Pin::new(&mut both).poll(&mut cx).is_pending());
        b_tx.send(2).unwrap();
        assert_eq!(Pin::new(&mut both).poll(&mut cx), Poll::Ready(Ok(2)));
        drop(both);
        // The losing receiver is gone, so its sender finds nobody to send to.
        assert_eq!(a_tx.send(1), Err(1));
    }
}
