//! Listing 27-5: the futures of the two compile errors above, made `Send` by
//! ending what is not `Send` before the `.await`; a `spawn` that needs it.

extern crate futures;

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::sync::Mutex;
use std::thread;

// ANCHOR: spawn
/// Runs `future` to completion on a thread of its own. The future moves to
/// that thread, so it must be `Send`.
fn spawn<F>(future: F) -> thread::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    thread::spawn(move || futures::executor::block_on(future))
}
// ANCHOR_END: spawn

/// Ready at once: an `.await` point and nothing else.
async fn tick() {}

static TOTAL: Mutex<u64> = Mutex::new(0);

// ANCHOR: scoped
async fn count_ticks() -> i32 {
    let counted = {
        let count = Rc::new(Cell::new(0));
        count.set(count.get() + 1);
        count.get()
    }; // `count` ends here: only the `i32` lives across the `.await`
    tick().await;
    counted
}

async fn add(amount: u64) {
    {
        let mut total = TOTAL.lock().unwrap();
        *total += amount;
    } // the guard is dropped here, before the `.await`
    tick().await;
}

fn main() {
    let counted = spawn(count_ticks()).join().unwrap();
    let adders: Vec<_> = (1..=3).map(|n| spawn(add(n))).collect();
    for adder in adders {
        adder.join().unwrap();
    }
    println!("counted {counted}; total {}", TOTAL.lock().unwrap());
}
// ANCHOR_END: scoped
