//! The rules of "Pinning on one page", each in a few lines that compile.
extern crate futures;

use futures::executor::block_on;
use futures::future::{Either, select};
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

/// `Pending` once (after waking its task), then `Ready`.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// An `async fn` future: not `Unpin`, like every one.
async fn fetch(name: &str, waits: u32) -> String {
    for _ in 0..waits {
        YieldOnce(false).await;
    }
    format!("{name} after {waits} waits")
}

// ANCHOR: stack
/// The futures are used up in this function: `pin!` them here, for free.
/// `select` wants `Unpin` futures, and a `Pin<&mut F>` is one.
fn first_of(slow_waits: u32, fast_waits: u32) -> String {
    let slow = pin!(fetch("slow", slow_waits));
    let fast = pin!(fetch("fast", fast_waits));
    match block_on(select(slow, fast)) {
        Either::Left((winner, _)) | Either::Right((winner, _)) => winner,
    }
}
// ANCHOR_END: stack

// ANCHOR: unpolled
/// Not polled yet, so free to move: returned as it is, no `Box`. Whoever
/// polls it pins it.
fn greeting_later(name: &'static str) -> impl Future<Output = String> {
    fetch(name, 3)
}
// ANCHOR_END: unpolled

// ANCHOR: heap
/// Two different future types, and which one is decided at run time:
/// `Box::pin` gives them one type, `dyn Future`, that can be returned.
fn greeting(name: &'static str) -> Pin<Box<dyn Future<Output = String>>> {
    if name.is_empty() {
        Box::pin(async { String::from("nobody to greet") })
    } else {
        Box::pin(fetch(name, 2))
    }
}
// ANCHOR_END: heap

// ANCHOR: unpin
/// A type that is `Unpin` needs no promise: `Pin::new` wraps a plain `&mut`.
/// A `Pin<Box<F>>` is `Unpin` too, whatever `F` is.
fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    Pin::new(future).poll(&mut cx)
}
// ANCHOR_END: unpin

// ANCHOR: as_mut
/// A `Pin<&mut F>` is used up by a call that takes it by value, as `poll`
/// does; `as_mut` lends it out again for each poll.
fn polls_to_finish<F: Future>(future: F) -> u32 {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    let mut polls = 1;
    while future.as_mut().poll(&mut cx).is_pending() {
        polls += 1;
    }
    polls
}
// ANCHOR_END: as_mut

// ANCHOR: main
fn main() {
    println!("pin!:     {}", first_of(3, 2));

    // Returned, then moved into a `Vec`: fine, none of them is polled yet.
    let waiting: Vec<_> =
        ["ada", "bo"].into_iter().map(greeting_later).collect();
    let outputs: Vec<String> = waiting.into_iter().map(block_on).collect();
    println!("unpolled: {outputs:?}");

    let stored: Vec<_> = ["ada", ""].into_iter().map(greeting).collect();
    let outputs: Vec<String> = stored.into_iter().map(block_on).collect();
    println!("Box::pin: {outputs:?}");

    let mut yielding = YieldOnce(false);
    let first = poll_once(&mut yielding);
    let mut moved = yielding; // allowed: `YieldOnce` is `Unpin`
    println!("Pin::new: {first:?}, moved, {:?}", poll_once(&mut moved));
    println!("Pin::new: {:?}", poll_once(&mut greeting("")));

    println!("as_mut:   {} polls", polls_to_finish(fetch("x", 2)));
}
// ANCHOR_END: main
