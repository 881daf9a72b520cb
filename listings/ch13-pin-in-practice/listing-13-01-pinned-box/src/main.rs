//! A self-referential value kept safe in a `Pin<Box<_>>`.

use std::marker::PhantomPinned;
use std::pin::Pin;

// ANCHOR: waiting
/// The waiting state of Listing 11-2, made safe to use: it can only be made pinned.
struct Waiting {
    numbers: [u32; 4],
    tail: *const u32,
    tail_len: usize,
    _pinned: PhantomPinned, // makes `Waiting` !Unpin: once pinned, it stays put
}

impl Waiting {
    fn new(numbers: [u32; 4]) -> Pin<Box<Waiting>> {
        let mut pinned = Box::pin(Waiting {
            numbers,
            tail: std::ptr::null(),
            tail_len: 0,
            _pinned: PhantomPinned,
        });
        // SAFETY: we set two fields through the `&mut`, and do not move the
        // value out of it.
        let this = unsafe { pinned.as_mut().get_unchecked_mut() };
        this.tail = this.numbers[1..].as_ptr();
        this.tail_len = 3;
        pinned
    }

    fn tail(self: Pin<&Self>) -> &[u32] {
        // SAFETY: every `Waiting` in this program comes from `new`, which set `tail` after
        // the value was pinned, and a pinned `Waiting` never moves again, so `tail` still
        // points at our own `numbers[1..]`.
        unsafe { std::slice::from_raw_parts(self.tail, self.tail_len) }
    }
}
// ANCHOR_END: waiting

impl Waiting {
    fn points_into_itself(&self) -> bool {
        let start = (&raw const *self).addr();
        (start..start + size_of::<Self>()).contains(&self.tail.addr())
    }
}

// ANCHOR: main
fn main() {
    let first = Waiting::new([10, 20, 30, 40]);
    let second = Waiting::new([1, 2, 3, 4]);

    // Move the boxes around: into a vector, swapped inside it, the vector itself moved.
    let mut all = vec![first, second];
    all.swap(0, 1);
    let all = std::convert::identity(all);

    for waiting in &all {
        println!(
            "into itself: {}, tail: {:?}",
            waiting.points_into_itself(),
            waiting.as_ref().tail()
        );
    }
}
// ANCHOR_END: main
