//! Chapter 26's benchmark: an echo server written three ways (a thread per
//! connection, the book's executor and reactor, tokio on one thread and on
//! several), each in its own child process, measured at 100, 1,000 and
//! 10,000 connections on loopback. Prints a Markdown table; with
//! `BOOK_GENERATED` set, also draws it as an SVG.
//!
//! Usage: `listing-26-03-echo-bench [--quick] [CONNECTIONS…]`; the child
//! processes run as `listing-26-03-echo-bench serve ID`.

use listing_25_01_reactor as book;
use listing_26_01_thread_per_connection as threads;
use listing_26_02_tokio_echo as tokio_echo;
use listing_26_03_echo_bench::{
    Server, Sizes, plot, run_all, serve_in_this_process, table,
};
use std::path::Path;

// Every server reads and writes back through a buffer of the same size.
const _: () = assert!(
    threads::ECHO_BUFFER == book::ECHO_BUFFER
        && threads::ECHO_BUFFER == tokio_echo::ECHO_BUFFER
);

fn servers() -> Vec<Server> {
    let workers = tokio_echo::multi_thread_workers();
    vec![
        Server {
            id: "threads",
            name: "a thread per connection (Listing 26-1)".to_string(),
            serve: threads::serve_echo,
        },
        Server {
            id: "book",
            name: "the book's executor and reactor (Listing 25-1)".to_string(),
            serve: book::serve_echo,
        },
        Server {
            id: "tokio-current-thread",
            name: "tokio, current thread (Listing 26-2)".to_string(),
            serve: tokio_echo::serve_echo_current_thread,
        },
        Server {
            id: "tokio-multi-thread",
            name: format!(
                "tokio, multi-thread, {workers} workers (Listing 26-2)"
            ),
            serve: tokio_echo::serve_echo_multi_thread,
        },
    ]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let servers = servers();
    if args.get(1).map(String::as_str) == Some("serve") {
        let id = args.get(2).map_or("", String::as_str);
        let Some(server) = servers.iter().find(|s| s.id == id) else {
            eprintln!("no server called {id:?}");
            std::process::exit(2);
        };
        serve_in_this_process(server);
    }
    let sizes = Sizes::from_args(&args[1..]).unwrap_or_else(|problem| {
        eprintln!("{}: {problem} (usage: [--quick] [CONNECTIONS…])", args[0]);
        std::process::exit(2);
    });
    let program = std::env::current_exe().expect("no path to this program");
    let program = program.to_str().expect("the program's path is not UTF-8");
    let (rows, note) = run_all(program, &servers, &sizes);
    print!("{}\n{note}\n", table(&rows));
    if let Some(folder) = std::env::var_os("BOOK_GENERATED") {
        let file = Path::new(&folder).join("ch26-ten-thousand-connections.svg");
        std::fs::write(&file, plot(&rows)).expect("cannot write the plot");
    }
}
