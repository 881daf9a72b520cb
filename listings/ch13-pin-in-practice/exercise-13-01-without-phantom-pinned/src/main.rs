//! Exercise 13-1: without `PhantomPinned`, `Pin` hands out `&mut` and safe code
//! can move a pinned value.

use std::pin::Pin;

// ANCHOR: solution
/// Listing 13-1's `Waiting` without `PhantomPinned`: every field is `Unpin`, so it is
/// too.
struct Waiting {
    numbers: [u32; 4],
    tail: *const u32,
    tail_len: usize,
}

impl Waiting {
    fn new(numbers: [u32; 4]) -> Pin<Box<Waiting>> {
        let mut pinned = Box::pin(Waiting {
            numbers,
            tail: std::ptr::null(),
            tail_len: 0,
        });
        let this = pinned.as_mut().get_mut(); // safe now: `Waiting: Unpin`
        this.tail = this.numbers[1..].as_ptr();
        this.tail_len = 3;
        pinned
    }

    fn points_into_itself(&self) -> bool {
        let start = (&raw const *self).addr();
        (start..start + size_of::<Self>()).contains(&self.tail.addr())
    }

    // Listing 13-1's safe `tail` method would now be unsound: safe code can move a pinned
    // `Waiting`, as `main` shows. So it is left out.
}

fn main() {
    let mut a = Waiting::new([10, 20, 30, 40]);
    let mut b = Waiting::new([1, 2, 3, 4]);
    println!(
        "pinned:          into itself: {} and {}",
        a.points_into_itself(),
        b.points_into_itself()
    );

    // With `Waiting: Unpin`, `Pin<Box<Waiting>>` hands out `&mut Waiting`, and safe code
    // can move the values themselves.
    std::mem::swap(&mut *a, &mut *b);
    println!(
        "after swap():    into itself: {} and {}",
        a.points_into_itself(),
        b.points_into_itself()
    );

    let unpinned: Box<Waiting> = Pin::into_inner(a);
    let on_the_stack: Waiting = *unpinned;
    println!(
        "out of the box:  into itself: {}",
        on_the_stack.points_into_itself()
    );
}
// ANCHOR_END: solution
