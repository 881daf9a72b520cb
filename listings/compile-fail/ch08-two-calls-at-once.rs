fn main() {
    // ANCHOR: shown
    let mut log = Vec::new();
    let mut push = async |x: u32| log.push(x);
    let first = push(1);
    let second = push(2); // while `first` still borrows `push`
    drop((first, second));
    // ANCHOR_END: shown
}
