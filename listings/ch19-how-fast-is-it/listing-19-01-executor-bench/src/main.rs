//! Chapter 19's benchmark: the book's executors (Listings 18-3 and 19-3)
//! against `futures`' `LocalPool` and `ThreadPool`, tokio's two runtimes and
//! async-executor's `LocalExecutor`. Prints a Markdown table; with
//! `BOOK_GENERATED` set, also draws it as an SVG. `--quick` runs tiny sizes,
//! only to check that everything works.

use listing_18_03_parking_executor::Executor;
use listing_19_01_executor_bench::{
    Contender, Local, Pool, Row, Sizes, SmolLocal, TokioCurrentThread,
    TokioMultiThread, measure, plot, table,
};
use std::future::Future;
use std::path::Path;

/// The executor of Listing 18-3.
struct Book(Executor);

impl Contender for Book {
    fn name() -> String {
        "the book's (Listing 18-3)".to_string()
    }

    fn new() -> Self {
        Book(Executor::new())
    }

    fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        drop(self.0.spawn(task)); // nobody waits for the handle
    }

    fn run(&mut self) {
        self.0.run();
    }
}

/// The fast executor of Listing 19-3.
struct Fast(listing_19_03_fast_executor::Executor);

impl Contender for Fast {
    fn name() -> String {
        "the fast one (Listing 19-3)".to_string()
    }

    fn new() -> Self {
        Fast(listing_19_03_fast_executor::Executor::new())
    }

    fn spawn(&mut self, task: impl Future<Output = ()> + Send + 'static) {
        drop(self.0.spawn(task)); // nobody waits for the handle
    }

    fn run(&mut self) {
        self.0.run();
    }
}

fn main() {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let sizes = if quick { Sizes::QUICK } else { Sizes::FULL };
    // Single-threaded executors first, then those with a pool of threads.
    let rows = [
        measure::<Book>(&sizes),
        measure::<Fast>(&sizes),
        measure::<Local>(&sizes),
        measure::<SmolLocal>(&sizes),
        measure::<TokioCurrentThread>(&sizes),
        measure::<Pool>(&sizes),
        measure::<TokioMultiThread>(&sizes),
    ];
    print!("{}", table(&rows));
    let [_, fast, single_threaded @ .., _, _] = &rows;
    println!("\n{}", verdict(fast, single_threaded));
    if let Some(folder) = std::env::var_os("BOOK_GENERATED") {
        let file = Path::new(&folder).join("ch19-executors.svg");
        std::fs::write(&file, plot(&rows)).expect("cannot write the plot");
    }
}

/// How the fast executor compares with the best of the other
/// single-threaded executors of this run, in words: the goal of
/// chapter 19's last section, measured rather than typed.
fn verdict(fast: &Row, others: &[Row]) -> String {
    let quickest = others
        .iter()
        .min_by(|a, b| a.spawn_ns.total_cmp(&b.spawn_ns))
        .unwrap();
    let most_wake_ups = others
        .iter()
        .max_by(|a, b| a.wake_ups_per_second.total_cmp(&b.wake_ups_per_second))
        .unwrap();
    format!(
        "In this run, {} spawned and ran a task in {:.2} times the time of the \
         quickest other single-threaded executor ({}), with {:.1} allocations \
         per task, and woke tasks {:.2} times as often per second as the best \
         of them at wake-ups ({}).",
        fast.name,
        fast.spawn_ns / quickest.spawn_ns,
        quickest.name,
        fast.allocations_per_spawn,
        fast.wake_ups_per_second / most_wake_ups.wake_ups_per_second,
        most_wake_ups.name,
    )
}
