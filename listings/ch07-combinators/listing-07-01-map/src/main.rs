//! `map` written by hand: a future that runs another future, then passes its
//! output through a closure.
extern crate futures;

use futures::channel::oneshot;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

// ANCHOR: map
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
// ANCHOR_END: map

// ANCHOR: main
fn main() {
    let (sender, receiver) = oneshot::channel::<u32>();
    // `futures`' receiver outputs a `Result`: it is `Err` if the sender was
    // dropped.
    let mut doubled =
        map(receiver, |received| received.expect("sender dropped") * 2);

    // We poll by hand, as in chapter 5. Nobody needs waking, so a no-op waker
    // will do.
    let mut cx = Context::from_waker(Waker::noop());
    println!("first poll: {:?}", Pin::new(&mut doubled).poll(&mut cx));
    sender.send(21).unwrap();
    println!("second poll: {:?}", Pin::new(&mut doubled).poll(&mut cx));
}
// ANCHOR_END: main
