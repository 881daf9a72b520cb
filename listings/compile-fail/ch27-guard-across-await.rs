use std::future::Future;
use std::sync::Mutex;
use std::thread;
/// Runs `future` to completion on a thread of its own (Listing 27-5 shows
/// the body): the future must be `Send`.
fn spawn<F: Future<Output = ()> + Send + 'static>(_future: F) {}
/// Ready at once: an `.await` point and nothing else.
async fn tick() {}
static TOTAL: Mutex<u64> = Mutex::new(0);
static NAME: Mutex<String> = Mutex::new(String::new());
// ANCHOR: shown
async fn add(amount: u64) {
    let mut total = TOTAL.lock().unwrap();
    tick().await; // the guard is alive here
    *total += amount;
}

/// Drops the guard before the `.await`, and still is not `Send`.
async fn add_and_drop(amount: u64) {
    let mut total = TOTAL.lock().unwrap();
    *total += amount;
    drop(total);
    tick().await;
}

fn a_guard_alone() {
    let guard = NAME.lock().unwrap();
    thread::spawn(move || drop(guard));
}

fn a_guard_inside_a_future() {
    spawn(add(1));
    spawn(add_and_drop(1));
}
// ANCHOR_END: shown
fn main() {}
