//! `then` written by hand, as an `enum` of states: a future that runs one
//! future, then a second one that a closure makes from the first one's output.
extern crate futures;

use futures::channel::oneshot;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

// ANCHOR: then
/// A future that runs one future, hands its output to `f`, then runs the future
/// `f` returns.
pub enum Then<A, B, F> {
    /// Running the first future. The closure is in an `Option` so that it can
    /// be taken out.
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
                    let Poll::Ready(output) = Pin::new(future).poll(cx) else {
                        return Poll::Pending;
                    };
                    let f = f
                        .take()
                        .expect("the closure is there until it is called");
                    *this = Then::Second(f(output));
                    // Round the loop again: the second future must be polled
                    // *now*, so that it arranges a wake-up before we may return
                    // `Pending`.
                }
                Then::Second(future) => {
                    let Poll::Ready(output) = Pin::new(future).poll(cx) else {
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
// ANCHOR_END: then

impl<A, B, F> Then<A, B, F> {
    fn state(&self) -> &'static str {
        match self {
            Then::First { .. } => "First",
            Then::Second(_) => "Second",
            Then::Done => "Done",
        }
    }
}

// ANCHOR: main
fn main() {
    let (order_tx, order_rx) = oneshot::channel::<u32>();
    let (kitchen_tx, kitchen_rx) = oneshot::channel::<&str>();
    // Wait for an order number; then wait for the kitchen, and label the dish
    // with the number.
    let mut meal = then(order_rx, move |order| {
        let order = order.expect("no order");
        map(kitchen_rx, move |dish| {
            format!("{} for order {order}", dish.expect("kitchen closed"))
        })
    });

    let mut cx = Context::from_waker(Waker::noop());
    let mut poll = |meal: &mut Then<_, _, _>, round| {
        let result = Pin::new(&mut *meal).poll(&mut cx);
        println!("poll {round}: {result:?}, state now {}", meal.state());
    };
    println!("before polling: state {}", meal.state());
    poll(&mut meal, 1);
    println!("(order 7 comes in)");
    order_tx.send(7).unwrap();
    poll(&mut meal, 2);
    println!("(the kitchen sends soup)");
    kitchen_tx.send("soup").unwrap();
    poll(&mut meal, 3);
}
// ANCHOR_END: main

/// The `map` of Listing 7-1.
/// A future that runs `future`, then hands its output to `f`.
pub struct Map<Fut, F> {
    future: Fut,
    /// `None` once `f` has been called: an `FnOnce` closure can run only once.
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

// `poll` pins the inner future, and nothing else: the closure is never pinned.
// So a `Map` may be moved whenever its inner future may. Part IV tells the
// whole story.
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
            // The inner future got our `cx`, so it has arranged the wake-up for
            // both of us.
            Poll::Pending => Poll::Pending,
            Poll::Ready(output) => {
                let f = this.f.take().expect("Map polled after it finished");
                Poll::Ready(f(output))
            }
        }
    }
}
