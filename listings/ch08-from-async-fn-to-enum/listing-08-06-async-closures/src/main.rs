//! Async closures: the future of `async |x| …` may borrow what the closure
//! captured, and a function can take one whose argument is a borrow.
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

/// A leaf future that is `Pending` once (waking its task), then ready: a
/// stand-in for any real wait.
struct YieldOnce {
    yielded: bool,
}

fn yield_once() -> YieldOnce {
    YieldOnce { yielded: false }
}

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            Poll::Ready(())
        } else {
            self.yielded = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Polls `future` until it is ready (every leaf here wakes its task before it
/// answers `Pending`, so polling again at once is right).
pub fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

// ANCHOR: twice
/// Calls `f` with 1, waits for its future, then with 2, and waits again.
async fn twice(mut f: impl AsyncFnMut(u32)) {
    f(1).await;
    f(2).await;
}
// ANCHOR_END: twice

// ANCHOR: measure
/// Adds up what `measure` says about each word. Each call's future borrows
/// its word: `measure` must accept a `&str` of any lifetime.
async fn total(
    words: &[String],
    measure: impl AsyncFn(&str) -> usize,
) -> usize {
    let mut sum = 0;
    for word in words {
        sum += measure(word).await;
    }
    sum
}

/// An `async fn` is an async closure too, as far as `AsyncFn` is concerned.
async fn vowels(word: &str) -> usize {
    yield_once().await; // `word` is borrowed across this wait
    word.chars().filter(|c| "aeiou".contains(*c)).count()
}
// ANCHOR_END: measure

fn main() {
    // ANCHOR: main
    let mut log = Vec::new();
    run(twice(async |x| {
        yield_once().await;
        log.push(x); // the future borrows `log` through the closure
    }));
    println!("log: {log:?}");

    let words: Vec<String> =
        ["future", "poll", "waker"].map(String::from).into();
    println!("vowels: {}", run(total(&words, vowels)));
    println!("letters: {}", run(total(&words, async |w: &str| w.len())));
    // ANCHOR_END: main
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_call_runs_to_its_end_before_the_next_call() {
        let mut log = Vec::new();
        run(twice(async |x| {
            log.push(format!("start {x}"));
            yield_once().await;
            log.push(format!("end {x}"));
        }));
        assert_eq!(log, ["start 1", "end 1", "start 2", "end 2"]);
    }

    #[test]
    fn a_closure_that_owns_its_captures_lends_them_to_each_future() {
        let mut seen = Vec::new();
        // `move`: the closure owns `seen`; each call's future borrows it
        // from the closure, so it keeps growing from call to call.
        let mut push = async move |x: u32| {
            yield_once().await;
            seen.push(x);
            seen.len()
        };
        assert_eq!(run(push(1)), 1);
        assert_eq!(run(push(2)), 2);
    }

    #[test]
    fn the_futures_hold_their_word_across_a_wait() {
        let words = vec!["ab".to_string(), "cde".to_string()];
        let letters = async |w: &str| {
            yield_once().await;
            w.len()
        };
        assert_eq!(run(total(&words, letters)), 5);
        assert_eq!(run(total(&words, vowels)), 2);
        assert_eq!(run(total(&[], vowels)), 0);
    }
}
