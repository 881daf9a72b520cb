//! Exercise 17-2: `timeout`, built from the timer of Listing 17-1. Any executor
//! can run it; this one uses `futures::executor::block_on`.

extern crate futures;

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::{Condvar, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: timeout
/// Runs `future` for at most `limit`: `Some(output)` if it finished
/// in time, else `None`.
async fn timeout<F: Future>(limit: Duration, future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut alarm = sleep(limit);
    // Both are polled with the task's waker, so whichever is ready
    // first wakes the task.
    poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        if Pin::new(&mut alarm).poll(cx).is_ready() {
            return Poll::Ready(None); // `future` is dropped, unfinished
        }
        Poll::Pending
    })
    .await
}

fn main() {
    let quick = async {
        sleep(Duration::from_millis(20)).await;
        "done"
    };
    let slow = async {
        sleep(Duration::from_secs(10)).await;
        "done"
    };
    let limit = Duration::from_millis(100);
    let first = futures::executor::block_on(timeout(limit, quick));
    println!("a 20 ms job with a 100 ms limit: {first:?}");
    let second = futures::executor::block_on(timeout(limit, slow));
    println!("a 10 s job with a 100 ms limit: {second:?}");
}
// ANCHOR_END: timeout

/// The timer: a heap of deadlines, earliest on top, and a thread that wakes
/// each sleeping task when its deadline has passed.
struct Timer {
    deadlines: Mutex<BinaryHeap<Reverse<Deadline>>>,
    changed: Condvar,
}

struct Deadline {
    at: Instant,
    waker: Waker,
}

/// The one timer of the program, started on first use.
fn timer() -> &'static Timer {
    static TIMER: OnceLock<Timer> = OnceLock::new();
    TIMER.get_or_init(|| {
        // The thread's own call to `timer()` waits until
        // this initialisation has finished.
        thread::spawn(|| timer().run());
        Timer {
            deadlines: Mutex::new(BinaryHeap::new()),
            changed: Condvar::new(),
        }
    })
}

impl Timer {
    fn run(&self) {
        let mut deadlines = self.deadlines.lock().unwrap();
        loop {
            let now = Instant::now();
            while let Some(Reverse(first)) = deadlines.peek()
                && first.at <= now
            {
                let Reverse(due) = deadlines.pop().unwrap();
                due.waker.wake(); // quick: fine under the lock
            }
            // Sleep until the next deadline, or until `Sleep::poll`
            // adds an earlier one.
            let next = deadlines.peek().map(|Reverse(d)| d.at - now);
            deadlines = match next {
                Some(wait) => {
                    self.changed.wait_timeout(deadlines, wait).unwrap().0
                }
                None => self.changed.wait(deadlines).unwrap(),
            };
        }
    }
}

/// A future that is ready once `duration` has passed since `sleep` was called.
fn sleep(duration: Duration) -> Sleep {
    Sleep {
        deadline: Instant::now() + duration,
    }
}

struct Sleep {
    deadline: Instant,
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        let timer = timer();
        let waker = cx.waker().clone();
        let deadline = Deadline {
            at: self.deadline,
            waker,
        };
        timer.deadlines.lock().unwrap().push(Reverse(deadline));
        timer.changed.notify_one();
        Poll::Pending
    }
}

// Deadlines are ordered by time alone.
impl PartialEq for Deadline {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}

impl Eq for Deadline {}

impl PartialOrd for Deadline {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Deadline {
    fn cmp(&self, other: &Self) -> Ordering {
        self.at.cmp(&other.at)
    }
}
