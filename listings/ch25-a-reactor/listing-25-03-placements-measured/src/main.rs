//! Chapter 25's benchmark: the reactor at the executor's idle point
//! (Listing 25-1) against a reactor on its own thread (Listing 25-2), measured
//! by the harness of `lib.rs`. Prints a Markdown table; `--quick` measures a
//! few rounds only, so that `cargo xtask test` finishes in seconds.

use listing_25_01_reactor as idle_point;
use listing_25_02_reactor_thread as reactor_thread;
use listing_25_03_placements_measured::{
    Placement, SETTLE, p50_p99, remote_wake_ups, tcp_round_trips,
};
use std::future::Future;

/// The same echo task for both crates, whose socket types have the same
/// methods but are different types.
macro_rules! echo_one {
    ($placement:ident) => {
        async fn echo_one(listener: std::net::TcpListener) {
            let listener = $placement::TcpListener::from_std(listener).unwrap();
            let (stream, _) = listener.accept().await.unwrap();
            let mut buffer = [0; 64];
            loop {
                match stream.read(&mut buffer).await.unwrap() {
                    0 => return,
                    n => stream.write_all(&buffer[..n]).await.unwrap(),
                }
            }
        }
    };
}

struct IdlePoint;
struct ReactorThread;

impl Placement for IdlePoint {
    const NAME: &'static str = "at the idle point (Listing 25-1)";
    const THREADS: &'static str = "1";

    fn run(task: impl Future<Output = ()> + 'static) {
        let mut executor = idle_point::Executor::new();
        executor.spawn(task);
        executor.run();
    }

    echo_one!(idle_point);
}

impl Placement for ReactorThread {
    const NAME: &'static str = "on its own thread (Listing 25-2)";
    // The timer thread of chapter 17 starts with the first `sleep`: none here.
    const THREADS: &'static str = "2 (executor, reactor)";

    fn run(task: impl Future<Output = ()> + 'static) {
        let mut executor = reactor_thread::Executor::new();
        executor.spawn(task);
        executor.run();
    }

    echo_one!(reactor_thread);
}

fn row<P: Placement>(rounds: usize) -> String {
    // One untimed run first, to start the reactor thread and warm up.
    tcp_round_trips::<P>(rounds.min(100));
    let (tcp50, tcp99) = p50_p99(tcp_round_trips::<P>(rounds));
    let (wake50, wake99) = p50_p99(remote_wake_ups::<P>(rounds));
    format!(
        "| {} | {} | {tcp50:.1} | {tcp99:.1} | {wake50:.1} | {wake99:.1} |",
        P::NAME,
        P::THREADS
    )
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 200 } else { 5_000 };
    println!(
        "| Reactor | Threads | TCP round trip, p50 (µs) \
         | TCP round trip, p99 (µs) | Wake-up from another thread, p50 (µs) \
         | Wake-up from another thread, p99 (µs) |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: |");
    println!("{}", row::<IdlePoint>(rounds));
    println!("{}", row::<ReactorThread>(rounds));
    println!();
    println!(
        "{rounds} rounds each; before each round the measuring thread \
         sleeps {} µs, so that the executor is asleep when it starts.",
        SETTLE.as_micros()
    );
}
