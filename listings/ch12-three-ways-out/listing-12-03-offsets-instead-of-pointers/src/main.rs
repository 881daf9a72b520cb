//! Way 2: remember a position instead of an address, so moves break nothing.

// ANCHOR: offsets
/// The waiting state again, but the tail is remembered as a position in `numbers`,
/// not as an address. A position means the same thing wherever the value is.
struct Waiting {
    numbers: [u32; 4],
    tail_start: usize,
}

impl Waiting {
    fn new(numbers: [u32; 4]) -> Self {
        Waiting {
            numbers,
            tail_start: 1,
        }
    }

    /// Turns the offset back into a reference: base address plus offset, on every
    /// use.
    fn tail(&self) -> &[u32] {
        &self.numbers[self.tail_start..]
    }
}
// ANCHOR_END: offsets

// ANCHOR: main
fn main() {
    let waiting = Waiting::new([10, 20, 30, 40]);
    println!("started:            tail {:?}", waiting.tail());

    let mut moved = Box::new(waiting);
    println!("moved into a Box:   tail {:?}", moved.tail());

    let mut other = Waiting::new([1, 2, 3, 4]);
    std::mem::swap(&mut *moved, &mut other);
    println!(
        "swapped with other: tails {:?} and {:?}",
        moved.tail(),
        other.tail()
    );

    let mut all = vec![other];
    for n in 0..100 {
        all.push(Waiting::new([n; 4])); // the vector grows, moving what it holds
    }
    println!("inside a grown Vec: tail {:?}", all[0].tail());
}
// ANCHOR_END: main
