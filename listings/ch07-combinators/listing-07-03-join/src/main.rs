//! `join` written by hand: a future that polls two futures and is ready when
//! both are.
extern crate futures;

use futures::channel::oneshot;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

// ANCHOR: maybe_done
/// One side of a `Join`: still running, or finished with its output put aside.
enum MaybeDone<F: Future> {
    Running(F),
    Done(F::Output),
    Taken,
}

impl<F: Future + Unpin> MaybeDone<F> {
    /// Polls the future if it is still running. Returns whether its output is
    /// in hand.
    fn poll_done(&mut self, cx: &mut Context<'_>) -> bool {
        if let MaybeDone::Running(future) = self {
            match Pin::new(future).poll(cx) {
                Poll::Ready(output) => *self = MaybeDone::Done(output),
                Poll::Pending => return false,
            }
        }
        true
    }

    fn take_output(&mut self) -> F::Output {
        match mem::replace(self, MaybeDone::Taken) {
            MaybeDone::Done(output) => output,
            _ => panic!("Join polled after it finished"),
        }
    }
}
// ANCHOR_END: maybe_done

// ANCHOR: join
/// A future that runs two futures at once, and is ready when both are.
pub struct Join<A: Future, B: Future> {
    a: MaybeDone<A>,
    b: MaybeDone<B>,
}

pub fn join<A: Future, B: Future>(a: A, b: B) -> Join<A, B> {
    Join {
        a: MaybeDone::Running(a),
        b: MaybeDone::Running(b),
    }
}

// Only the running futures are ever pinned, never the outputs put aside.
impl<A: Future + Unpin, B: Future + Unpin> Unpin for Join<A, B> {}

impl<A, B> Future for Join<A, B>
where
    A: Future + Unpin,
    B: Future + Unpin,
{
    type Output = (A::Output, B::Output);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // Both futures were given the same waker, so we cannot tell which one
        // woke us: poll both. Not `a && b`: that would skip `b` whenever `a` is
        // pending.
        let a_done = this.a.poll_done(cx);
        let b_done = this.b.poll_done(cx);
        if a_done && b_done {
            Poll::Ready((this.a.take_output(), this.b.take_output()))
        } else {
            Poll::Pending
        }
    }
}
// ANCHOR_END: join

// ANCHOR: main
fn main() {
    let (left_tx, left_rx) = oneshot::channel::<&str>();
    let (right_tx, right_rx) = oneshot::channel::<&str>();
    let mut both = join(left_rx, right_rx);

    let mut cx = Context::from_waker(Waker::noop());
    println!("poll 1: {:?}", Pin::new(&mut both).poll(&mut cx));
    right_tx.send("right").unwrap();
    println!(
        "(right sent) poll 2: {:?}",
        Pin::new(&mut both).poll(&mut cx)
    );
    left_tx.send("left").unwrap();
    println!(
        "(left sent) poll 3: {:?}",
        Pin::new(&mut both).poll(&mut cx)
    );
}
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::*;
    use futures::channel::oneshot::Receiver;
    use futures::executor::block_on;
    use std::future::poll_fn;
    use std::panic;
    use std::sync::mpsc::{self, RecvTimeoutError};
    use std::thread;
    use std::time::Duration;

    /// `join` written with `&&`: it polls `b` only once `a` is done.
    fn short_circuit_join<A, B>(
        a: A,
        b: B,
    ) -> impl Future<Output = (A::Output, B::Output)>
    where
        A: Future + Unpin,
        B: Future + Unpin,
    {
        let (mut a, mut b) = (MaybeDone::Running(a), MaybeDone::Running(b));
        poll_fn(move |cx| {
            if a.poll_done(cx) && b.poll_done(cx) {
                Poll::Ready((a.take_output(), b.take_output()))
            } else {
                Poll::Pending
            }
        })
    }

    /// A pair whose first future waits for the second: a receiver, and a
    /// future that sends to it the first time it is polled.
    fn waiting_pair() -> (Receiver<u32>, impl Future<Output = ()> + Unpin + Send)
    {
        let (sender, receiver) = oneshot::channel();
        let mut sender = Some(sender);
        let sends_when_polled = poll_fn(move |_| {
            if let Some(sender) = sender.take() {
                sender.send(1).unwrap();
            }
            Poll::Ready(())
        });
        (receiver, sends_when_polled)
    }

    /// Runs `future` with `block_on` on a thread of its own, and reports
    /// whether it finished within `limit`. Only the time running out counts
    /// as a hang: a panic in `block_on` is passed on as it is.
    fn finishes_within<F>(limit: Duration, future: F) -> bool
    where
        F: Future + Send + 'static,
        F::Output: Send,
    {
        let (done_tx, done_rx) = mpsc::channel();
        let thread = thread::spawn(move || {
            let _ = done_tx.send(block_on(future));
        });
        match done_rx.recv_timeout(limit) {
            Ok(_) => true,
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => {
                panic::resume_unwind(thread.join().unwrap_err())
            }
        }
    }

    #[test]
    fn join_polls_both_sides_so_the_pair_finishes() {
        let (receiver, sender) = waiting_pair();
        let both = join(receiver, sender);
        assert!(finishes_within(Duration::from_secs(10), both));
    }

    #[test]
    fn a_short_circuit_join_never_finishes() {
        let (receiver, sender) = waiting_pair();
        let both = short_circuit_join(receiver, sender);
        assert!(!finishes_within(Duration::from_secs(1), both));
    }
}
