//! Three ways to get a `Pin<&mut F>` to poll: `Box::pin`, `pin!` and `Pin::new`.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

// ANCHOR: countdown
/// A hand-written future: pending `remaining` times, then ready. Its only field is a
/// `u32`, so it is `Unpin`: moving it between polls breaks nothing.
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
        // `DerefMut` through the `Pin`: allowed because `Countdown: Unpin`.
        self.remaining -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
// ANCHOR_END: countdown

// ANCHOR: poll_to_end
/// Polls a pinned future until it is ready; returns its output and how many polls it
/// took.
fn poll_to_end<F: Future>(mut future: Pin<&mut F>) -> (F::Output, u32) {
    let mut cx = Context::from_waker(Waker::noop());
    let mut polls = 0;
    loop {
        polls += 1;
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return (output, polls);
        }
        assert!(polls < 100, "the future should have finished by now");
    }
}
// ANCHOR_END: poll_to_end

// ANCHOR: main
async fn launch() -> String {
    let name = String::from("probe");
    let label = &name; // a borrow across the await: this future is self-referential
    let word = Countdown { remaining: 2 }.await;
    format!("{label}: {word}")
}

fn main() {
    // 1. On the heap: `Box::pin` works for every future.
    let mut boxed = Box::pin(launch());
    println!("Box::pin  -> {:?}", poll_to_end(boxed.as_mut()));

    // 2. On the stack: `pin!` moves the future into a place you can no longer name.
    let stacked = pin!(launch());
    println!("pin!      -> {:?}", poll_to_end(stacked));

    // 3. In place, with no promise needed: `Pin::new` takes any `&mut` to an `Unpin`
    //    value.
    let mut countdown = Countdown { remaining: 3 };
    println!("Pin::new  -> {:?}", poll_to_end(Pin::new(&mut countdown)));
    let moved = countdown; // still usable, and movable, afterwards
    println!("afterwards, remaining = {}", moved.remaining);
}
// ANCHOR_END: main
