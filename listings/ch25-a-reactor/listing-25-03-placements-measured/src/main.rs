//! Benchmark: the two placements of chapter 25's reactor, measured the same
//! way. A client thread pings a task over loopback TCP; another thread rings
//! a task through its waker. Each time, the task's executor has gone back to
//! sleep first (in `epoll_wait`, or parked beside the reactor thread), and the
//! figure is the time until the answer is back. Prints a Markdown table;
//! `--quick` measures a few rounds only, so that `cargo xtask test` finishes
//! in seconds.

use std::future::{Future, poll_fn};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use listing_25_01_reactor as idle_point;
use listing_25_02_reactor_thread as reactor_thread;

/// How long the measuring thread waits before each round, so that the
/// executor is asleep again when the round starts.
const SETTLE: Duration = Duration::from_micros(200);

/// The two executors, behind one shape: spawn one task, run it to the end.
trait Placement: 'static {
    const NAME: &'static str;
    const THREADS: &'static str;
    fn run(task: impl Future<Output = ()> + 'static);
    /// Echoes one connection accepted from `listener` until it closes.
    fn echo_one(
        listener: std::net::TcpListener,
    ) -> impl Future<Output = ()> + 'static;
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

    async fn echo_one(listener: std::net::TcpListener) {
        let listener = idle_point::TcpListener::from_std(listener).unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        let mut buffer = [0; 64];
        loop {
            match stream.read(&mut buffer).await.unwrap() {
                0 => return,
                n => stream.write_all(&buffer[..n]).await.unwrap(),
            }
        }
    }
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

    async fn echo_one(listener: std::net::TcpListener) {
        let listener = reactor_thread::TcpListener::from_std(listener).unwrap();
        let (stream, _) = listener.accept().await.unwrap();
        let mut buffer = [0; 64];
        loop {
            match stream.read(&mut buffer).await.unwrap() {
                0 => return,
                n => stream.write_all(&buffer[..n]).await.unwrap(),
            }
        }
    }
}

/// Round trips of one byte between a client thread and an echo task.
fn tcp_round_trips<P: Placement>(rounds: usize) -> Vec<Duration> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let server = thread::spawn(move || P::run(P::echo_one(listener)));
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.set_nodelay(true).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut times = Vec::with_capacity(rounds);
    for round in 0..rounds {
        thread::sleep(SETTLE);
        let mut byte = [round as u8];
        let start = Instant::now();
        stream.write_all(&byte).unwrap();
        stream.read_exact(&mut byte).expect("an echo within 10 s");
        times.push(start.elapsed());
    }
    drop(stream);
    server.join().expect("the echo task panicked");
    times
}

/// A signal from another thread, as in the tests of chapters 18 and 25.
#[derive(Default)]
struct Doorbell {
    state: Mutex<(bool, Option<Waker>)>,
}

impl Doorbell {
    fn ring(&self) {
        let waker = {
            let mut state = self.state.lock().unwrap();
            state.0 = true;
            state.1.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    async fn rung(&self) {
        poll_fn(|cx| {
            let mut state = self.state.lock().unwrap();
            if state.0 {
                state.0 = false;
                Poll::Ready(())
            } else {
                state.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

/// Times from a waker called on another thread until the task has run.
fn remote_wake_ups<P: Placement>(rounds: usize) -> Vec<Duration> {
    let bell = Arc::new(Doorbell::default());
    let answered = Arc::new(AtomicU64::new(0));
    let (task_bell, task_answered) = (Arc::clone(&bell), Arc::clone(&answered));
    let executor = thread::spawn(move || {
        P::run(async move {
            for _ in 0..rounds {
                task_bell.rung().await;
                task_answered.fetch_add(1, SeqCst);
            }
        })
    });
    let mut times = Vec::with_capacity(rounds);
    for round in 0..rounds as u64 {
        thread::sleep(SETTLE);
        let start = Instant::now();
        bell.ring();
        let patience = start + Duration::from_secs(10);
        while answered.load(SeqCst) == round {
            assert!(Instant::now() < patience, "round {round}: no answer");
            std::hint::spin_loop();
        }
        times.push(start.elapsed());
    }
    executor.join().expect("the executor's thread panicked");
    times
}

/// The median and the 99th percentile, in microseconds.
fn p50_p99(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let at = |q: f64| {
        let i = ((times.len() - 1) as f64 * q).round() as usize;
        times[i].as_secs_f64() * 1e6
    };
    (at(0.50), at(0.99))
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
