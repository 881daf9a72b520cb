//! A borrow of a local that lives across an `.await` makes the future point into
//! itself, shown by comparing addresses.

use std::cell::Cell;
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

/// A future that is pending the first time it is polled and ready the second time.
struct YieldOnce {
    yielded: bool,
}

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            Poll::Ready(())
        } else {
            self.yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

// ANCHOR: main
fn main() {
    // Where the async block saw its local and its reference, as plain numbers.
    let seen = Cell::new([0usize; 3]);

    let future = async {
        let numbers = [10u32, 20, 30, 40];
        let tail = &numbers[1..]; // a borrow of a local ...
        seen.set([
            (&raw const numbers).addr(),
            (&raw const tail).addr(),
            tail.as_ptr().addr(),
        ]);
        YieldOnce { yielded: false }.await; // ... that lives across an await
        tail.iter().sum::<u32>()
    };

    let mut future = pin!(future);
    let start = (&raw const *future).addr();
    let end = start + size_of_val(&*future);
    let inside = |address: usize| (start..end).contains(&address);

    let mut cx = Context::from_waker(Waker::noop());
    let first = future.as_mut().poll(&mut cx);
    println!("first poll: {first:?}");

    let [numbers, tail, target] = seen.get();
    println!("`numbers` is stored inside the future: {}", inside(numbers));
    println!("`tail` is stored inside the future:    {}", inside(tail));
    println!("`tail` points inside the future:       {}", inside(target));

    let second = future.as_mut().poll(&mut cx);
    println!("second poll: {second:?}");
}
// ANCHOR_END: main
