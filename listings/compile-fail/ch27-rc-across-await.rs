use std::cell::Cell;
use std::future::Future;
use std::rc::Rc;
use std::thread;
/// Runs `future` to completion on a thread of its own (Listing 27-5 shows
/// the body): the future must be `Send`.
fn spawn<F: Future<Output = ()> + Send + 'static>(_future: F) {}
/// Ready at once: an `.await` point and nothing else.
async fn tick() {}
// ANCHOR: shown
async fn count_ticks() {
    let count = Rc::new(Cell::new(0));
    tick().await; // `count` is alive here, so it is a field of the future
    count.set(count.get() + 1);
}

fn an_rc_alone() {
    let name = Rc::new(String::from("counter"));
    thread::spawn(move || println!("{name}"));
}

fn an_rc_inside_a_future() {
    spawn(count_ticks());
}
// ANCHOR_END: shown
fn main() {}
