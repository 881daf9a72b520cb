use std::future::Future;
use std::task::{Context, Waker};

fn main() {
    let mut future = async { 42 };
    let mut cx = Context::from_waker(Waker::noop());
    let _ = future.poll(&mut cx);
}
