//! Listing 27-5: the futures of the two compile errors above, made `Send` by
//! ending what is not `Send` before the `.await`; a `spawn` that needs it;
//! and a struct with a `MutexGuard`'s fields, which is `Send`.

extern crate futures;

use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::sync::{Mutex, MutexGuard};
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

// ANCHOR: fields
/// The fields of a `std::sync::MutexGuard`: a reference to its mutex and a
/// flag that records whether the thread was panicking when it locked.
struct FieldsOfAGuard<'a> {
    _lock: &'a Mutex<u64>,
    _panicking: bool,
}

fn must_be_send<T: Send>() {}

/// Compiles: each field is `Send`, so the struct is. `MutexGuard` itself
/// has the same fields and is not `Send`: the standard library says so.
fn fields_like_a_guards_are_send() {
    must_be_send::<FieldsOfAGuard<'static>>();
}
// ANCHOR_END: fields

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

/// Takes the guard by value: the guard ends when this function returns.
fn add_to(mut total: MutexGuard<'_, u64>, amount: u64) {
    *total += amount;
}

async fn add_by_moving_the_guard(amount: u64) {
    let total = TOTAL.lock().unwrap();
    add_to(total, amount); // moved, never borrowed: gone before the `.await`
    tick().await;
}

fn main() {
    fields_like_a_guards_are_send();
    let counted = spawn(count_ticks()).join().unwrap();
    let adders: Vec<_> = (1..=3).map(|n| spawn(add(n))).collect();
    for adder in adders {
        adder.join().unwrap();
    }
    spawn(add_by_moving_the_guard(4)).join().unwrap();
    println!("counted {counted}; total {}", TOTAL.lock().unwrap());
}
// ANCHOR_END: scoped
