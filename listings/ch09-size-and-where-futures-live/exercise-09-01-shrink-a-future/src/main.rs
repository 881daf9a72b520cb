//! Exercise 9-1: make a future small by finishing with a buffer before `.await`.
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

/// A leaf future that is `Pending` once (waking its task), then ready.
pub struct YieldOnce {
    yielded: bool,
}

pub fn yield_once() -> YieldOnce {
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

/// A day of temperature samples, one a minute.
fn samples() -> [u16; 1440] {
    std::array::from_fn(|minute| 150 + (minute % 97) as u16)
}

// ANCHOR: before
/// The samples are used after the `.await`, so the future carries them.
pub async fn report_before() -> String {
    let day = samples();
    yield_once().await; // wait until the display is ready
    let low = day.iter().min().unwrap();
    let high = day.iter().max().unwrap();
    format!("low {low}, high {high}")
}
// ANCHOR_END: before

// ANCHOR: solution
/// Only the two numbers cross the `.await`; the samples are gone by then.
pub async fn report_after() -> String {
    let (low, high) = {
        let day = samples();
        (*day.iter().min().unwrap(), *day.iter().max().unwrap())
    };
    yield_once().await;
    format!("low {low}, high {high}")
}

fn main() {
    println!("before: {} bytes", size_of_val(&report_before()));
    println!("after:  {} bytes", size_of_val(&report_after()));
    println!("both report: {}", run(report_after()));
}
// ANCHOR_END: solution

/// Polls `future` until it is ready (every leaf here wakes its task).
pub fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_report_far_smaller_future() {
        assert_eq!(run(report_before()), run(report_after()));
        assert!(size_of_val(&report_before()) > 2 * 1440);
        assert!(size_of_val(&report_after()) < 64);
    }
}
