//! Dropping a future part way: which destructors run, and which code never does.
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

/// A leaf future that is `Pending` once (waking its task), then ready.
struct YieldOnce {
    yielded: bool,
}

fn yield_once() -> YieldOnce {
    YieldOnce { yielded: false }
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

// ANCHOR: deliver
/// Says so when it is dropped.
struct Loud(&'static str);

impl Drop for Loud {
    fn drop(&mut self) {
        println!("    drop {}", self.0);
    }
}

async fn deliver(parcel: Loud) -> &'static str {
    println!("    loading the van");
    let _van = Loud("van");
    yield_once().await; // driving
    println!("    ringing the bell");
    let _pen = Loud("pen");
    yield_once().await; // waiting at the door
    println!("    handing over the {}", parcel.0);
    "delivered"
}
// ANCHOR_END: deliver

// ANCHOR: main
/// Polls a new `deliver` future `polls` times, then drops it. It needs three
/// polls to finish, since each of its two `.await`s answers `Pending` once.
fn poll_then_drop(polls: u32) {
    println!("dropped after {polls} of 3 polls:");
    let mut cx = Context::from_waker(Waker::noop());
    let mut future = pin!(deliver(Loud("parcel")));
    for _ in 0..polls {
        if let Poll::Ready(outcome) = future.as_mut().poll(&mut cx) {
            println!("    {outcome}");
            break;
        }
    }
    println!("    (dropping the future)");
} // `future` is dropped here

fn main() {
    for polls in 0..=3 {
        poll_then_drop(polls);
    }
}
// ANCHOR_END: main
