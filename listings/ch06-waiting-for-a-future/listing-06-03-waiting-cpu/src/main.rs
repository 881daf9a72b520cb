//! Benchmark: how much CPU time each `block_on` of this chapter burns while it
//! waits for a value that another thread sends after a fixed time. Prints a
//! Markdown table. `--quick` waits only briefly, so that `cargo xtask test` can
//! run it in seconds.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: cpu_time
// The C library's clock, declared by hand. These declarations match 64-bit
// Linux only.
#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
compile_error!("this benchmark reads a clock of 64-bit Linux");

/// The C library's `struct timespec`: seconds and nanoseconds.
#[repr(C)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

/// The clock that counts the CPU time of the calling thread (from Linux's
/// `<time.h>`).
const CLOCK_THREAD_CPUTIME_ID: i32 = 3;

unsafe extern "C" {
    /// `int clock_gettime(clockid_t clock, struct timespec *now);`
    fn clock_gettime(clock: i32, now: *mut Timespec) -> i32;
}

/// The CPU time the calling thread has used so far: time spent running, not
/// waiting.
fn thread_cpu_time() -> Duration {
    let mut now = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: the declaration above matches the C function on 64-bit Linux, and
    // `now` is a valid, writable `Timespec` for the whole call.
    let status = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "clock_gettime failed");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}
// ANCHOR_END: cpu_time

/// Wraps a future and counts how often it is polled; its output comes with that
/// count.
struct CountPolls<F> {
    inner: F,
    polls: u64,
}

impl<F: Future + Unpin> Future for CountPolls<F> {
    type Output = (F::Output, u64);

    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Self::Output> {
        self.polls += 1;
        let polls = self.polls;
        Pin::new(&mut self.inner)
            .poll(cx)
            .map(|output| (output, polls))
    }
}

struct Measurement {
    polls: u64,
    /// Wall-clock time spent in `block_on`.
    waited: Duration,
    /// CPU time used by the waiting thread meanwhile.
    cpu: Duration,
}

type BlockOn = fn(CountPolls<oneshot::Receiver<u32>>) -> (u32, u64);

// ANCHOR: measure
/// Waits with `block_on` for a value that another thread sends after `wait`,
/// and measures how long that took and how much CPU time this (waiting) thread
/// used meanwhile.
fn measure(block_on: BlockOn, wait: Duration) -> Measurement {
    let (sender, receiver) = oneshot::channel();
    thread::spawn(move || {
        thread::sleep(wait);
        sender.send(1);
    });
    let started = Instant::now();
    let cpu_before = thread_cpu_time();
    let (_, polls) = block_on(CountPolls {
        inner: receiver,
        polls: 0,
    });
    Measurement {
        polls,
        cpu: thread_cpu_time() - cpu_before,
        waited: started.elapsed(),
    }
}
// ANCHOR_END: measure

/// Measures `runs` times and keeps the run with the median CPU time.
fn median_of(runs: usize, block_on: BlockOn, wait: Duration) -> Measurement {
    let mut all: Vec<Measurement> =
        (0..runs).map(|_| measure(block_on, wait)).collect();
    all.sort_by_key(|m| m.cpu);
    all.swap_remove(runs / 2)
}

fn main() {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let (waits_ms, runs): (&[u64], usize) = if quick {
        (&[10], 1)
    } else {
        (&[10, 100, 1000], 3)
    };
    let contenders: [(&str, BlockOn); 2] = [
        ("busy-polling (Listing 6-1)", busy::block_on),
        ("parking (Listing 6-2)", parking::block_on),
    ];

    println!(
        "| `block_on` | value sent after (ms) | time in `block_on` (ms) \
         | polls | CPU time used meanwhile (µs) \
         | CPU time ÷ time in `block_on` |"
    );
    println!("|---|--:|--:|--:|--:|--:|");
    for &wait_ms in waits_ms {
        let wait = Duration::from_millis(wait_ms);
        for (name, block_on) in contenders {
            let m = median_of(runs, block_on, wait);
            let share = 100.0 * m.cpu.as_secs_f64() / m.waited.as_secs_f64();
            let share = if share < 0.01 {
                "< 0.01 %".to_string()
            } else {
                format!("{share:.2} %")
            };
            println!(
                "| {name} | {wait_ms} | {:.1} | {} | {} | {share} |",
                m.waited.as_secs_f64() * 1e3,
                m.polls,
                m.cpu.as_micros()
            );
        }
    }
}

/// The `block_on` of Listing 6-1.
mod busy {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    pub fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = pin!(future);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
        }
    }
}

/// The `block_on` of Listing 6-2: it parks the thread until the waker unparks
/// it.
mod parking {
    use std::future::Future;
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    use std::thread::{self, Thread};

    struct ThreadWaker {
        thread: Thread,
    }

    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.thread.unpark();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            self.thread.unpark();
        }
    }

    pub fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = pin!(future);
        let waker = Waker::from(Arc::new(ThreadWaker {
            thread: thread::current(),
        }));
        let mut cx = Context::from_waker(&waker);
        loop {
            match future.as_mut().poll(&mut cx) {
                Poll::Ready(output) => return output,
                Poll::Pending => thread::park(),
            }
        }
    }
}

/// The one-shot channel of Listing 5-2.
mod oneshot {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Waker};

    struct Shared<T> {
        value: Option<T>,
        waker: Option<Waker>,
    }

    pub struct Sender<T> {
        shared: Arc<Mutex<Shared<T>>>,
    }

    pub struct Receiver<T> {
        shared: Arc<Mutex<Shared<T>>>,
    }

    pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
        let shared = Arc::new(Mutex::new(Shared {
            value: None,
            waker: None,
        }));
        let sender = Sender {
            shared: Arc::clone(&shared),
        };
        (sender, Receiver { shared })
    }

    impl<T> Sender<T> {
        pub fn send(self, value: T) {
            let waker = {
                let mut shared = self.shared.lock().unwrap();
                shared.value = Some(value);
                shared.waker.take()
            };
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }

    impl<T> Future for Receiver<T> {
        type Output = T;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
            let mut shared = self.shared.lock().unwrap();
            match shared.value.take() {
                Some(value) => Poll::Ready(value),
                None => {
                    shared.waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        }
    }
}
