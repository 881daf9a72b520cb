//! Async tasks: a task is a boxed future with an id; `executor` runs them, `sleep` lets them wait
//! for timer ticks, and `yield_now` lets one step aside for the others.
//!
//! A task is only its pinned, boxed future; the executor that runs it gives it its id
//! (`Executor::add`), so there is no global counter.

pub mod executor;
pub mod sleep;

use alloc::boxed::Box;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

// ANCHOR: task
/// A spawned future: pinned on the heap, because it may hold references into itself.
pub struct Task(Pin<Box<dyn Future<Output = ()> + Send>>);

impl Task {
    pub fn new(future: impl Future<Output = ()> + Send + 'static) -> Task {
        Task(Box::pin(future))
    }

    fn poll(&mut self, cx: &mut Context) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

/// The number an executor gives a task when it takes it in: the count of tasks it took in
/// before, so no two of its tasks ever share one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TaskId(u64);
// ANCHOR_END: task

/// Gives the other ready tasks a turn: `Pending` once, after waking itself.
pub async fn yield_now() {
    let mut yielded = false;
    core::future::poll_fn(|cx| {
        if yielded {
            Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    })
    .await
}
