//! The benchmark's harness for the two placements of chapter 25's reactor:
//! a TCP round trip between a client thread and an echo task, and a wake-up
//! from another thread, each starting with the executor asleep. `main.rs`
//! puts Listings 25-1 and 25-2 behind `Placement` and prints the table.

use std::future::{Future, poll_fn};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

/// How long the measuring thread waits before each round, so that the
/// executor is asleep again when the round starts.
pub const SETTLE: Duration = Duration::from_micros(200);

// ANCHOR: placement
/// The two executors, behind one shape: spawn one task, run it to the end.
pub trait Placement: 'static {
    const NAME: &'static str;
    const THREADS: &'static str;
    fn run(task: impl Future<Output = ()> + 'static);
    /// Echoes one connection accepted from `listener` until it closes.
    fn echo_one(
        listener: std::net::TcpListener,
    ) -> impl Future<Output = ()> + 'static;
}
// ANCHOR_END: placement

// ANCHOR: round_trips
/// Round trips of one byte between a client thread and an echo task.
pub fn tcp_round_trips<P: Placement>(rounds: usize) -> Vec<Duration> {
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

// ANCHOR_END: round_trips

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

// ANCHOR: wake_ups
/// Times from a waker called on another thread until the task has run.
pub fn remote_wake_ups<P: Placement>(rounds: usize) -> Vec<Duration> {
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

// ANCHOR_END: wake_ups

/// The median and the 99th percentile, in microseconds.
pub fn p50_p99(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let at = |q: f64| {
        let i = ((times.len() - 1) as f64 * q).round() as usize;
        times[i].as_secs_f64() * 1e6
    };
    (at(0.50), at(0.99))
}
