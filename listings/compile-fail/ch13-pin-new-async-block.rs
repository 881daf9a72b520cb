use std::pin::Pin;

fn main() {
    let mut future = async { 42 };
    let pinned = Pin::new(&mut future);
    drop(pinned);
}
