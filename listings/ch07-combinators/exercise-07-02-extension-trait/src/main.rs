//! Exercise 7-2: an extension trait, so that the hand-written combinators of
//! Listings 7-1 to 7-3 read left to right, as `futures::FutureExt` does.
extern crate futures;

use by_hand::{Join, Map, Then, join, map, then};
use std::future::Future;

/// Adds `my_map`, `my_then` and `my_join` to every future.
pub trait MyFutureExt: Future + Sized {
    fn my_map<F, T>(self, f: F) -> Map<Self, F>
    where
        F: FnOnce(Self::Output) -> T,
    {
        map(self, f)
    }

    fn my_then<B, F>(self, f: F) -> Then<Self, B, F>
    where
        F: FnOnce(Self::Output) -> B,
    {
        then(self, f)
    }

    fn my_join<B: Future>(self, other: B) -> Join<Self, B> {
        join(self, other)
    }
}

/// The blanket implementation: every type that is a future gets the methods.
impl<Fut: Future> MyFutureExt for Fut {}

fn main() {
    use std::future::ready;

    let total = ready(20)
        .my_map(|n| n + 1)
        .my_then(|n| ready(n * 2))
        .my_join(ready("done"));
    println!("{:?}", futures::executor::block_on(total));
}

/// The combinators of Listings 7-1 to 7-3, unchanged.
mod by_hand {
    use std::future::Future;
    use std::mem;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// A future that runs `future`, then hands its output to `f`.
    pub struct Map<Fut, F> {
        future: Fut,
        /// `None` once `f` has been called: an `FnOnce` closure can run only
        /// once.
        f: Option<F>,
    }

    // These bounds let the compiler infer the type of the closure's argument.
    pub fn map<Fut, F, T>(future: Fut, f: F) -> Map<Fut, F>
    where
        Fut: Future,
        F: FnOnce(Fut::Output) -> T,
    {
        Map { future, f: Some(f) }
    }

    // `poll` pins the inner future, and nothing else: the closure is never
    // pinned. So a `Map` may be moved whenever its inner future may. Part IV
    // tells the whole story.
    impl<Fut: Unpin, F> Unpin for Map<Fut, F> {}

    impl<Fut, F, T> Future for Map<Fut, F>
    where
        Fut: Future + Unpin,
        F: FnOnce(Fut::Output) -> T,
    {
        type Output = T;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
            // `Map` is `Unpin`, so the pin may give us a plain `&mut Map`.
            let this = self.get_mut();
            match Pin::new(&mut this.future).poll(cx) {
                // The inner future got our `cx`, so it has arranged the wake-up
                // for both of us.
                Poll::Pending => Poll::Pending,
                Poll::Ready(output) => {
                    let f =
                        this.f.take().expect("Map polled after it finished");
                    Poll::Ready(f(output))
                }
            }
        }
    }

    /// A future that runs one future, hands its output to `f`, then runs the
    /// future `f` returns.
    pub enum Then<A, B, F> {
        /// Running the first future. The closure is in an `Option` so that it
        /// can be taken out.
        First { future: A, f: Option<F> },
        /// Running the future that the closure returned.
        Second(B),
        /// Finished.
        Done,
    }

    pub fn then<A, B, F>(future: A, f: F) -> Then<A, B, F>
    where
        A: Future,
        F: FnOnce(A::Output) -> B,
    {
        Then::First { future, f: Some(f) }
    }

    // As with `Map`: only the futures inside are ever pinned.
    impl<A: Unpin, B: Unpin, F> Unpin for Then<A, B, F> {}

    impl<A, B, F> Future for Then<A, B, F>
    where
        A: Future + Unpin,
        B: Future + Unpin,
        F: FnOnce(A::Output) -> B,
    {
        type Output = B::Output;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<B::Output> {
            let this = self.get_mut();
            loop {
                match this {
                    Then::First { future, f } => {
                        let Poll::Ready(output) = Pin::new(future).poll(cx)
                        else {
                            return Poll::Pending;
                        };
                        let f = f
                            .take()
                            .expect("the closure is there until it is called");
                        *this = Then::Second(f(output));
                        // Round the loop again: the second future must be
                        // polled *now*, so that it arranges a wake-up before we
                        // may return `Pending`.
                    }
                    Then::Second(future) => {
                        let Poll::Ready(output) = Pin::new(future).poll(cx)
                        else {
                            return Poll::Pending;
                        };
                        *this = Then::Done;
                        return Poll::Ready(output);
                    }
                    Then::Done => panic!("Then polled after it finished"),
                }
            }
        }
    }

    /// One side of a `Join`: still running, or finished with its output put
    /// aside.
    enum MaybeDone<F: Future> {
        Running(F),
        Done(F::Output),
        Taken,
    }

    impl<F: Future + Unpin> MaybeDone<F> {
        /// Polls the future if it is still running. Returns whether its output
        /// is in hand.
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

        fn poll(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Self::Output> {
            let this = self.get_mut();
            // Both futures were given the same waker, so we cannot tell which
            // one woke us: poll both. Not `a && b`: that would skip `b`
            // whenever `a` is pending.
            let a_done = this.a.poll_done(cx);
            let b_done = this.b.poll_done(cx);
            if a_done && b_done {
                Poll::Ready((this.a.take_output(), this.b.take_output()))
            } else {
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::channel::oneshot;
    use std::any::type_name_of_val;
    use std::future::ready;

    #[test]
    fn a_chain_reads_left_to_right_and_nests_right_to_left() {
        let chain = ready(1).my_map(|n| n + 1).my_then(|n| ready(n * 10));
        let name = type_name_of_val(&chain);
        let then_at = name.find("Then<").unwrap();
        let map_at = name.find("Map<").unwrap();
        assert!(
            then_at < map_at,
            "the last step is the outermost type: {name}"
        );
        assert_eq!(futures::executor::block_on(chain), 20);
    }

    #[test]
    fn it_works_with_futures_that_wait() {
        let (tx, rx) = oneshot::channel::<u32>();
        std::thread::spawn(move || tx.send(4).unwrap());
        let doubled = rx.my_map(|n| n.unwrap() * 2).my_join(ready('x'));
        assert_eq!(futures::executor::block_on(doubled), (8, 'x'));
    }
}
