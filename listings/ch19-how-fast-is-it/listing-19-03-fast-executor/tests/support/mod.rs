//! What the test files share: a future that yields.

use std::future::{Future, poll_fn};
use std::task::Poll;

/// Ready after waking itself and returning `Pending` `times` times.
pub fn yield_times(times: usize) -> impl Future<Output = ()> {
    let mut left = times;
    poll_fn(move |cx| {
        if left == 0 {
            return Poll::Ready(());
        }
        left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}
