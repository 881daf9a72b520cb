//! Chapter 19's benchmark: the book's executor (Listing 18-3) against
//! `futures`' `LocalPool` and `ThreadPool`. Prints a Markdown table; with
//! `BOOK_GENERATED` set, also draws it as an SVG. `--quick` runs tiny sizes,
//! only to check that everything works.

use listing_18_03_parking_executor::Executor;
use listing_19_01_executor_bench::{
    Contender, Local, Pool, Sizes, measure, plot, table,
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

fn main() {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let sizes = if quick { Sizes::QUICK } else { Sizes::FULL };
    let rows = [
        measure::<Book>(&sizes),
        measure::<Local>(&sizes),
        measure::<Pool>(&sizes),
    ];
    print!("{}", table(&rows));
    if let Some(folder) = std::env::var_os("BOOK_GENERATED") {
        let file = Path::new(&folder).join("ch19-executors.svg");
        std::fs::write(&file, plot(&rows)).expect("cannot write the plot");
    }
}
