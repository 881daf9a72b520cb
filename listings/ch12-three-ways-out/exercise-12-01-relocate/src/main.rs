//! Exercise 12-1: a hand-written "move constructor", and a move it cannot catch.

/// The waiting state of Listing 12-2.
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

    fn repair(&mut self) {
        self.tail = self.numbers[1..].as_ptr();
    }

    fn points_into_itself(&self) -> bool {
        let start = (&raw const *self).addr();
        (start..start + size_of::<Self>()).contains(&self.tail.addr())
    }
}

// ANCHOR: solution
impl Waiting {
    /// A move and its repair in one step: what a C++ move constructor does
    /// automatically.
    fn relocate_to_heap(self) -> Box<Waiting> {
        let mut boxed = Box::new(self);
        boxed.repair();
        boxed
    }
}

fn main() {
    let mut a = Waiting::new([10, 20, 30, 40]);
    a.start();
    let mut a = a.relocate_to_heap();
    println!(
        "after relocate_to_heap(): into itself: {}",
        a.points_into_itself()
    );

    let mut b = Waiting::new([1, 2, 3, 4]);
    b.start();
    let mut b = b.relocate_to_heap();

    // Nothing forces anyone to move a `Waiting` through `relocate_to_heap`: `swap`,
    // `replace`, `Vec` and every `let x = y;` move it as plain bytes.
    std::mem::swap(&mut *a, &mut *b);
    println!(
        "after swap():             into itself: {} and {}",
        a.points_into_itself(),
        b.points_into_itself()
    );
}
// ANCHOR_END: solution
