// ANCHOR: shown
use std::task::Waker;

fn wake_twice(waker: Waker) {
    waker.wake();
    waker.wake_by_ref(); // error[E0382]: borrow of moved value: `waker`
}
// ANCHOR_END: shown

fn main() {}
