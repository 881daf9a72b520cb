struct Numbers([u32; 4]);

fn main() {
    let numbers = Numbers([10, 20, 30, 40]);
    let tail = &numbers.0[1..]; // borrow a local ...
    let moved = Box::new(numbers); // ... then move it while the borrow is in use
    println!("{tail:?} {}", moved.0[0]);
}
