extern crate pin_project_lite;

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

/// Pending on the first poll, ready on the second.
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

// ANCHOR: count_polls
use pin_project_lite::pin_project;

pin_project! {
    /// Wraps a future and counts how often it is polled.
    struct CountPolls<F> {
        #[pin]
        inner: F,   // structural: `project()` gives `Pin<&mut F>`
        polls: u32, // not structural: `project()` gives `&mut u32`
    }
}

impl<F> CountPolls<F> {
    fn new(inner: F) -> Self {
        CountPolls { inner, polls: 0 }
    }
}

impl<F: Future> Future for CountPolls<F> {
    type Output = (F::Output, u32);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // No `unsafe` here: the macro wrote it, and checks the rules.
        let this = self.project();
        *this.polls += 1;
        match this.inner.poll(cx) {
            Poll::Ready(output) => Poll::Ready((output, *this.polls)),
            Poll::Pending => Poll::Pending,
        }
    }
}
// ANCHOR_END: count_polls

async fn greet(name: &str) -> String {
    let greeting = format!("hello, {name}");
    let borrowed = &greeting;
    YieldOnce { yielded: false }.await;
    YieldOnce { yielded: false }.await;
    borrowed.to_uppercase()
}

fn main() {
    let mut counted = pin!(CountPolls::new(greet("pin")));
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..10 {
        if let Poll::Ready((output, polls)) = counted.as_mut().poll(&mut cx) {
            println!("{output:?} after {polls} polls");
            return;
        }
    }
    panic!("not finished after 10 polls");
}
