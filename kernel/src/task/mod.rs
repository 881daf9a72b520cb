//! Async tasks: a task is a boxed future with an id; `executor` runs them, `sleep` lets them wait
//! for timer ticks, and `yield_now` lets one step aside for the others.
//!
//! A task with an id from a counter, pinned and boxed, is the design of Philipp Oppermann's
//! "Writing an OS in Rust" post "Async/Await" (code MIT/Apache-2.0); see the credit in `lib.rs`.

pub mod executor;
pub mod sleep;

use alloc::boxed::Box;
use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicU64, Ordering};
use core::task::{Context, Poll};

// ANCHOR: task
/// A number that names a task for as long as it lives (and is never reused).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TaskId(u64);

impl TaskId {
    fn new() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        TaskId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// A spawned future: pinned on the heap, because it may hold references into itself.
pub struct Task {
    id: TaskId,
    future: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl Task {
    pub fn new(future: impl Future<Output = ()> + Send + 'static) -> Task {
        Task {
            id: TaskId::new(),
            future: Box::pin(future),
        }
    }

    fn poll(&mut self, cx: &mut Context) -> Poll<()> {
        self.future.as_mut().poll(cx)
    }
}
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
