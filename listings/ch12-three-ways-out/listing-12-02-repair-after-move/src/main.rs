//! Way 1: repair the self-reference by hand after every move.

/// The waiting state of Listing 11-2.
#[repr(C)]
struct Waiting {
    numbers: [u32; 4],
    tail: *const u32,
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

    fn start(&mut self) {
        self.tail = self.numbers[1..].as_ptr();
        self.tail_len = 3;
    }

    /// Does `tail` point into this very value? Only addresses are compared.
    fn points_into_itself(&self) -> bool {
        let start = (&raw const *self).addr();
        (start..start + size_of::<Self>()).contains(&self.tail.addr())
    }
}

// ANCHOR: repair
impl Waiting {
    /// The hand-written "move constructor": after every move, point `tail` at our own
    /// `numbers[1..]` again.
    fn repair(&mut self) {
        self.tail = self.numbers[1..].as_ptr();
    }

    /// Sums the tail through the pointer.
    ///
    /// # Safety
    /// `start` or `repair` must have run since the value last moved.
    unsafe fn sum_tail(&self) -> u32 {
        // SAFETY: the caller promises that `tail` points at our own `numbers[1..]`.
        let tail =
            unsafe { std::slice::from_raw_parts(self.tail, self.tail_len) };
        tail.iter().sum()
    }
}
// ANCHOR_END: repair

// ANCHOR: main
fn main() {
    let mut waiting = Waiting::new([10, 20, 30, 40]);
    waiting.start();
    println!(
        "started:            into itself: {}",
        waiting.points_into_itself()
    );
    // SAFETY: `start` ran, and `waiting` has not moved since.
    println!("                    sum: {}", unsafe { waiting.sum_tail() });

    let mut moved = Box::new(waiting);
    println!(
        "moved into a Box:   into itself: {}",
        moved.points_into_itself()
    );
    moved.repair();
    println!(
        "after repair():     into itself: {}",
        moved.points_into_itself()
    );
    // SAFETY: `repair` ran after the move.
    println!("                    sum: {}", unsafe { moved.sum_tail() });

    let mut other = Waiting::new([1, 2, 3, 4]);
    other.start();
    std::mem::swap(&mut *moved, &mut other); // moves both, and tells neither
    println!(
        "swapped with other: into itself: {} and {}",
        moved.points_into_itself(),
        other.points_into_itself()
    );
    moved.repair();
    other.repair();
    println!(
        "after two repairs:  into itself: {} and {}",
        moved.points_into_itself(),
        other.points_into_itself()
    );
    // SAFETY: both were repaired after their last move.
    let sums = unsafe { (moved.sum_tail(), other.sum_tail()) };
    println!("                    sums: {} and {}", sums.0, sums.1);
}
// ANCHOR_END: main
