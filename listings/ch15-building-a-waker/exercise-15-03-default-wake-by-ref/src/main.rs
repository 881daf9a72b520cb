//! Exercise 15-3: implement only `Wake::wake`, and see what the default `wake_by_ref` costs.

use std::sync::{Arc, Mutex};
use std::task::{Wake, Waker};

// ANCHOR: solution
/// Records, at every wake-up, how many references to it exist.
#[derive(Default)]
struct Witness {
    references_seen: Mutex<Vec<usize>>,
}

impl Wake for Witness {
    // Only `wake`: `wake_by_ref` keeps its default body, `self.clone().wake()`.
    fn wake(self: Arc<Self>) {
        let references = Arc::strong_count(&self);
        self.references_seen.lock().unwrap().push(references);
    }
}

fn main() {
    let witness = Arc::new(Witness::default());
    let waker = Waker::from(Arc::clone(&witness));
    println!(
        "references: ours and the waker's = {}",
        Arc::strong_count(&witness)
    );

    waker.wake_by_ref();
    waker.wake();

    let seen = witness.references_seen.lock().unwrap();
    println!(
        "wake_by_ref: `wake` saw {} references (one is a temporary clone)",
        seen[0]
    );
    println!(
        "wake:        `wake` saw {} references (the waker's own, moved in)",
        seen[1]
    );
}
// ANCHOR_END: solution
