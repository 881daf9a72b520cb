//! A fixed-size, lock-free queue from an interrupt handler to a task: the handler pushes without
//! allocating, blocking or printing, and wakes the task; the task takes the items as a `Stream`.
//! When the queue is full the handler drops the item and counts it; the task reports the count
//! once it has caught up.
//!
//! Credit: an `ArrayQueue` in a `OnceCell` and an `AtomicWaker` follow the scancode stream of
//! Philipp Oppermann's "Writing an OS in Rust" post "Async/Await" (code MIT/Apache-2.0).
//! `poll_pop` registers before it looks, once, as the `AtomicWaker` documentation does (the post
//! looks, registers and looks again). Ours: one queue type for any handler, pops with interrupts
//! off (a push into a full `ArrayQueue` waits for a half-done pop), and dropped items counted by
//! the handler and reported once per overflow by the task.

use conquer_once::spin::OnceCell;
use core::sync::atomic::{AtomicUsize, Ordering};
use core::task::{Context, Poll};
use crossbeam_queue::ArrayQueue;
use futures_util::task::AtomicWaker;
use x86_64::instructions::interrupts;

// ANCHOR: queue
/// Items from one interrupt handler, the only pusher, to one task, the only popper.
pub struct InterruptQueue<T> {
    name: &'static str,
    /// What an item is, in the task's report: one ("scancode") and many ("scancodes").
    items_are: (&'static str, &'static str),
    items: OnceCell<ArrayQueue<T>>,
    waker: AtomicWaker,
    /// Counted by the handler, for each item that did not fit.
    dropped: AtomicUsize,
    /// The count the task reported last (only the task touches it).
    reported: AtomicUsize,
}
// ANCHOR_END: queue

impl<T> InterruptQueue<T> {
    /// An empty queue with no storage yet; `init` gives it its fixed capacity.
    pub const fn new(name: &'static str, items_are: (&'static str, &'static str)) -> Self {
        InterruptQueue {
            name,
            items_are,
            items: OnceCell::uninit(),
            waker: AtomicWaker::new(),
            dropped: AtomicUsize::new(0),
            reported: AtomicUsize::new(0),
        }
    }

    /// Allocates the queue's storage, once; later calls change nothing. Not for interrupt handlers.
    pub fn init(&self, capacity: usize) {
        let _ = self.items.try_init_once(|| ArrayQueue::new(capacity));
    }

    // ANCHOR: push
    /// Called by the interrupt handler, and only by it: a handler is never interrupted half-way
    /// through a push, which `pop` relies on. It never allocates, never blocks, never prints
    /// and never panics: an item that does not fit is dropped and counted, and the task says so.
    pub fn push(&self, item: T) {
        let Ok(items) = self.items.try_get() else {
            return; // No task listens yet; nothing to keep the item for.
        };
        if items.push(item).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        self.waker.wake();
    }
    // ANCHOR_END: push

    // ANCHOR: pop
    /// Takes the oldest item, with interrupts off. `ArrayQueue` takes no lock, but a push that
    /// finds the queue full while a pop is half done waits for that pop to finish. On one
    /// core, a handler that interrupted the pop would wait forever; so no pop is interrupted.
    fn pop(&self) -> Option<T> {
        let items = self
            .items
            .try_get()
            .expect("InterruptQueue::init was called");
        interrupts::without_interrupts(|| items.pop())
    }
    // ANCHOR_END: pop

    // ANCHOR: poll_pop
    /// The next item, or `Pending` after arranging for the next `push` to wake this task.
    pub fn poll_pop(&self, cx: &mut Context) -> Poll<T> {
        // Register first: a push from here on wakes this task, so an empty queue below can't
        // hide an item pushed just after the look.
        self.waker.register(cx.waker());
        match self.pop() {
            Some(item) => Poll::Ready(item),
            None => {
                self.report_drops(); // caught up
                Poll::Pending
            }
        }
    }
    // ANCHOR_END: poll_pop

    // ANCHOR: report_drops
    /// Called by the task when it has emptied the queue: says how many items were dropped so
    /// far, if that changed since it last said so. One line per overflow, however many items.
    fn report_drops(&self) {
        let dropped = self.dropped();
        if self.reported.swap(dropped, Ordering::Relaxed) != dropped {
            crate::println!(
                "\n[{}] the queue was full: {} dropped so far",
                self.name,
                Counted(dropped, self.items_are)
            );
        }
    }
    // ANCHOR_END: report_drops

    /// The name the queue's reports start with ("keyboard").
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Items dropped so far because the queue was full.
    pub fn dropped(&self) -> usize {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Ready once at least one item has been dropped (tests use it to stop draining until then).
    pub fn poll_overflowed(&self, cx: &mut Context) -> Poll<()> {
        self.waker.register(cx.waker());
        if self.dropped() > 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// A count and what it counts, printed as "1 byte" or "2 bytes".
pub struct Counted(pub usize, pub (&'static str, &'static str));

impl core::fmt::Display for Counted {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        let Counted(n, (one, many)) = *self;
        write!(f, "{n} {}", if n == 1 { one } else { many })
    }
}
