//! A countdown future, polled by hand with a waker that counts how often it is
//! woken.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

// ANCHOR: countdown
/// A future that is ready after it has been polled `remaining` more times.
struct Countdown {
    remaining: u32,
}

impl Future for Countdown {
    type Output = &'static str;

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Self::Output> {
        if self.remaining == 0 {
            return Poll::Ready("liftoff");
        }
        self.remaining -= 1;
        // Not done yet. No event will come from outside to wake us, so we wake
        // ourselves: "poll me again as soon as you can".
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
// ANCHOR_END: countdown

// ANCHOR: counting_waker
/// A waker that does nothing but count how many times it was woken.
#[derive(Default)]
struct CountingWaker {
    wakes: AtomicUsize,
}

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
    }
}
// ANCHOR_END: counting_waker

// ANCHOR: main
fn main() {
    let counter = Arc::new(CountingWaker::default());
    let waker = Waker::from(Arc::clone(&counter));
    let mut cx = Context::from_waker(&waker);

    let mut countdown = Countdown { remaining: 3 };
    for round in 1.. {
        // `Countdown` has no reason to stay put in memory, so `Pin::new` can
        // pin it.
        let poll = Pin::new(&mut countdown).poll(&mut cx);
        let wakes = counter.wakes.load(Ordering::SeqCst);
        println!("poll {round}: {poll:?} (wakes so far: {wakes})");
        if poll.is_ready() {
            break;
        }
    }
}
// ANCHOR_END: main
