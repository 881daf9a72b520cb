//! Exercise 11-2: `mem::swap` moves two self-referential values, and each
//! pointer ends up in the other value.

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
}

// ANCHOR: solution
impl Waiting {
    /// Does `tail` point somewhere inside `other`? Only addresses are compared.
    fn points_into(&self, other: &Waiting) -> bool {
        let start = (&raw const *other).addr();
        (start..start + size_of::<Waiting>()).contains(&self.tail.addr())
    }
}

fn main() {
    let mut a = Waiting::new([1, 2, 3, 4]);
    let mut b = Waiting::new([5, 6, 7, 8]);
    a.start();
    b.start();
    println!(
        "before the swap: a -> a: {}, b -> b: {}",
        a.points_into(&a),
        b.points_into(&b)
    );

    // `swap` exchanges the bytes of `a` and `b`: two moves, and neither value is told.
    std::mem::swap(&mut a, &mut b);

    println!(
        "after the swap:  a -> a: {}, b -> b: {}",
        a.points_into(&a),
        b.points_into(&b)
    );
    println!(
        "                 a -> b: {}, b -> a: {}",
        a.points_into(&b),
        b.points_into(&a)
    );
    println!(
        "a holds {:?}, yet its tail points at b's {:?}",
        a.numbers,
        &b.numbers[1..]
    );
}
// ANCHOR_END: solution
