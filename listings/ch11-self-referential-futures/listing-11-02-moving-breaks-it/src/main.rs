//! The waiting state of Listing 11-1 written by hand: a move leaves its pointer
//! behind. Addresses are only compared, never followed after the move.

// ANCHOR: struct
/// What the async block of Listing 11-1 keeps while it waits at its `.await`: the
/// numbers, and a pointer to the part of them it still needs. `repr(C)` fixes the
/// field order, so the offsets printed below are the same on every machine.
#[repr(C)]
struct Waiting {
    numbers: [u32; 4],
    tail: *const u32, // will point at `numbers[1]`, a field of this same value
    tail_len: usize,
}

impl Waiting {
    fn new(numbers: [u32; 4]) -> Self {
        Waiting {
            numbers,
            tail: std::ptr::null(),
            tail_len: 0,
        }
    }

    /// What the first poll does: borrow `numbers[1..]`, remembered as a raw pointer.
    fn start(&mut self) {
        self.tail = self.numbers[1..].as_ptr();
        self.tail_len = 3;
    }

    /// Sums the tail through the pointer.
    ///
    /// # Safety
    /// The value must not have moved since `start`, or `tail` dangles.
    unsafe fn sum_tail(&self) -> u32 {
        // SAFETY: the caller promises `tail` still points at our own `numbers[1..]`.
        let tail =
            unsafe { std::slice::from_raw_parts(self.tail, self.tail_len) };
        tail.iter().sum()
    }
}
// ANCHOR_END: struct

// ANCHOR: addresses
impl Waiting {
    /// Where this value starts in memory. Addresses are only compared, never
    /// followed.
    fn start_address(&self) -> usize {
        (&raw const *self).addr()
    }

    /// An address as an offset from the start of this value, if it falls inside it.
    fn offset_of(&self, address: usize) -> Option<usize> {
        let start = self.start_address();
        (start..start + size_of::<Self>())
            .contains(&address)
            .then(|| address - start)
    }

    fn describe(&self) {
        let field = (&raw const self.numbers[1]).addr();
        let target = self.tail.addr();
        print!("  numbers[1] at +{}, ", self.offset_of(field).unwrap());
        match self.offset_of(target) {
            Some(offset) => println!("tail points to +{offset}"),
            None => println!("tail points outside the value"),
        }
    }
}
// ANCHOR_END: addresses

// ANCHOR: main
fn main() {
    let mut waiting = Waiting::new([10, 20, 30, 40]);
    waiting.start();

    println!("before the move:");
    waiting.describe();
    let old_place = (&raw const waiting.numbers[1]).addr();
    let into_itself = waiting.offset_of(waiting.tail.addr()).is_some();
    println!("  points into itself: {into_itself}");
    // SAFETY: `waiting` has not moved since `start`.
    println!("  sum of the tail: {}", unsafe { waiting.sum_tail() });

    let moved = Box::new(waiting); // a move: the bytes are copied to the heap

    println!("after the move into a Box:");
    moved.describe();
    let into_itself = moved.offset_of(moved.tail.addr()).is_some();
    let at_old_place = moved.tail.addr() == old_place;
    println!(
        "  points into itself: {into_itself}, it still points at the old place: {at_old_place}"
    );
    // Calling `moved.sum_tail()` now would read through a dangling pointer: undefined
    // behaviour. This program only compares addresses.
}
// ANCHOR_END: main
