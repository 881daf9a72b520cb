use std::pin::Pin;

struct Plain {
    numbers: [u32; 4],
}

fn main() {
    let pinned: Pin<Box<Plain>> = Box::pin(Plain { numbers: [1, 2, 3, 4] });
    let plain: Plain = *pinned; // `Plain` is `Unpin`, and yet:
    println!("{:?}", plain.numbers);
}
