//! The fast executor's behaviour: wake-ups from other threads with the
//! executor parked, the order of polls, join handles, and every way a task,
//! its output or its waker can outlive the others. Miri runs these too
//! (`cargo xtask miri`), with smaller sizes, and reports any leak, double
//! free or data race they cause.

mod support;

use listing_19_03_fast_executor::Executor;
use std::cell::RefCell;
use std::future::{Future, poll_fn};
use std::panic::{self, AssertUnwindSafe};
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;
use support::yield_times;

/// How long a wake-up may take to get its task polled before the test
/// calls it lost. Generous: a loaded machine must not fail the test.
const PATIENCE: Duration = Duration::from_secs(10);

/// Counts how many times values made by it are dropped.
#[derive(Clone, Default)]
struct Drops(Arc<AtomicUsize>);

struct Counted(Drops);

impl Drops {
    fn counted(&self) -> Counted {
        Counted(self.clone())
    }

    fn count(&self) -> usize {
        self.0.load(SeqCst)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.0.fetch_add(1, SeqCst);
    }
}

/// A future that never finishes, and leaves its latest waker in `slot`.
fn pending_forever(
    slot: Arc<Mutex<Option<Waker>>>,
) -> impl Future<Output = ()> {
    poll_fn(move |cx| {
        *slot.lock().unwrap() = Some(cx.waker().clone());
        Poll::Pending
    })
}

/// Runs the executor; returns the message of the panic that ended `run`.
fn run_until_panic(executor: &mut Executor) -> String {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| executor.run()));
    let payload =
        outcome.expect_err("`run` should have passed on a task's panic");
    match payload.downcast::<&str>() {
        Ok(message) => message.to_string(),
        Err(payload) => *payload.downcast::<String>().unwrap(),
    }
}

/// A signal from another thread: `ring` sets it and wakes the task that
/// waits in `rung`.
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

    /// Ready once the bell has rung (and then resets it).
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

#[test]
fn a_wake_up_from_another_thread_always_reaches_a_parked_executor() {
    let rounds = if cfg!(miri) { 20 } else { 2_000 };
    let bell = Arc::new(Doorbell::default());
    let (answer, answers) = mpsc::channel();
    let task_bell = Arc::clone(&bell);
    let executor = thread::spawn(move || {
        let mut executor = Executor::new();
        executor.spawn(async move {
            for round in 0..rounds {
                task_bell.rung().await;
                answer.send(round).unwrap();
            }
        });
        executor.run();
    });
    for round in 0..rounds {
        // Each ring comes while the executor parks, or is about to.
        bell.ring();
        match answers.recv_timeout(PATIENCE) {
            Ok(answered) => assert_eq!(answered, round),
            Err(RecvTimeoutError::Timeout) => panic!(
                "round {round}: the wake-up was lost, the executor sleeps on \
                 (no answer within {PATIENCE:?})"
            ),
            // The task is gone: the executor's thread panicked.
            Err(RecvTimeoutError::Disconnected) => {
                panic::resume_unwind(executor.join().unwrap_err())
            }
        }
    }
    executor
        .join()
        .unwrap_or_else(|panic| panic::resume_unwind(panic));
}

#[test]
fn tasks_are_polled_in_the_order_they_were_woken() {
    let order = Rc::new(RefCell::new(Vec::new()));
    let mut executor = Executor::new();
    for name in ["a", "b", "c"] {
        let order = Rc::clone(&order);
        executor.spawn(async move {
            for _ in 0..3 {
                order.borrow_mut().push(name);
                yield_times(1).await;
            }
        });
    }
    executor.run();
    assert_eq!(order.borrow().concat(), "abcabcabc");
}

#[test]
fn a_join_handle_hands_over_the_output() {
    let mut executor = Executor::new();
    let handle = executor.spawn(async {
        yield_times(2).await;
        String::from("forty-two")
    });
    let result = Rc::new(RefCell::new(None));
    let store = Rc::clone(&result);
    executor.spawn(async move {
        *store.borrow_mut() = Some(handle.await);
    });
    executor.run();
    assert_eq!(result.borrow().as_deref(), Some("forty-two"));
}

#[test]
fn an_output_nobody_takes_is_dropped_once() {
    let drops = Drops::default();
    let mut executor = Executor::new();

    // The handle goes first: the output is dropped as the task finishes.
    let output = drops.counted();
    drop(executor.spawn(async move { output }));
    executor.run();
    assert_eq!(drops.count(), 1);

    // The handle goes after: the output waits in the task until then.
    let output = drops.counted();
    let handle = executor.spawn(async move { output });
    executor.run();
    assert_eq!(drops.count(), 1, "the output was dropped before its handle");
    drop(handle);
    assert_eq!(drops.count(), 2);

    // Taken through the handle, the output is the taker's to drop.
    let output = drops.counted();
    let handle = executor.spawn(async move { output });
    executor.run();
    let mut handle = Box::pin(handle);
    let mut cx = Context::from_waker(Waker::noop());
    let Poll::Ready(output) = handle.as_mut().poll(&mut cx) else {
        panic!("the finished task's handle was not ready");
    };
    drop(handle);
    assert_eq!(drops.count(), 2);
    drop(output);
    assert_eq!(drops.count(), 3);
}

#[test]
fn dropping_the_executor_drops_each_unfinished_future_once() {
    let drops = Drops::default();
    let mut executor = Executor::new();
    // Polled once, then waiting with no waker anywhere.
    for _ in 0..3 {
        let counted = drops.counted();
        executor.spawn(async move {
            let _counted = counted;
            poll_fn(|_| Poll::<()>::Pending).await;
        });
    }
    // Polled once, then waiting with its waker kept outside.
    let slot = Arc::new(Mutex::new(None));
    let counted = drops.counted();
    let kept = Arc::clone(&slot);
    executor.spawn(async move {
        let _counted = counted;
        pending_forever(kept).await;
    });
    // The panic ends `run` with all the others waiting; its task is dropped.
    let counted = drops.counted();
    executor.spawn(async move {
        let _counted = counted;
        panic!("a task panicked");
    });
    assert_eq!(run_until_panic(&mut executor), "a task panicked");
    assert_eq!(drops.count(), 1, "the task that panicked was not dropped");
    // Never polled: still in the executor's batch.
    let counted = drops.counted();
    let never_polled = executor.spawn(async move {
        let _counted = counted;
    });
    drop(executor);
    assert_eq!(drops.count(), 6);
    // The handle of a task dropped unfinished says so.
    let mut never_polled = pin!(never_polled);
    let mut cx = Context::from_waker(Waker::noop());
    let polled = panic::catch_unwind(AssertUnwindSafe(|| {
        never_polled.as_mut().poll(&mut cx)
    }));
    assert!(polled.is_err(), "the handle of a dropped task returned");
    // The waker kept outside still works, and does nothing.
    let waker = slot.lock().unwrap().take().unwrap();
    waker.wake_by_ref();
    waker.wake();
    assert_eq!(drops.count(), 6);
}

#[test]
fn a_waker_outlives_its_task_and_its_executor() {
    let drops = Drops::default();
    let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
    let mut executor = Executor::new();
    let counted = drops.counted();
    let kept = Arc::clone(&slot);
    executor.spawn(async move {
        let _counted = counted;
        let mut polled = false;
        poll_fn(|cx| {
            *kept.lock().unwrap() = Some(cx.waker().clone());
            if polled {
                return Poll::Ready(());
            }
            polled = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        })
        .await
    });
    executor.run();
    assert_eq!(drops.count(), 1, "the finished future was not dropped");
    let waker = slot.lock().unwrap().take().unwrap();

    // Waking the finished task does not queue it: a poll now would panic
    // ("a finished task was polled") inside `run`.
    waker.wake_by_ref();
    executor.spawn(async {});
    executor.run();

    // Without its executor, the waker works from any thread, and the
    // last reference frees the task.
    drop(executor);
    let clone = waker.clone();
    thread::spawn(move || {
        clone.wake_by_ref();
        clone.wake();
    })
    .join()
    .unwrap();
    waker.wake();
}

#[test]
fn a_wake_up_racing_the_executors_drop_is_harmless() {
    let repeats = if cfg!(miri) { 3 } else { 200 };
    for _ in 0..repeats {
        let slot = Arc::new(Mutex::new(None));
        let started = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let mut executor = Executor::new();
        executor.spawn(pending_forever(Arc::clone(&slot)));
        let waker_started = Arc::clone(&started);
        let waker_stop = Arc::clone(&stop);
        let waker_slot = Arc::clone(&slot);
        let waking = thread::spawn(move || {
            // Wakes the waiting task again and again, with its own clone.
            let waker = loop {
                if let Some(waker) = waker_slot.lock().unwrap().clone() {
                    break waker;
                }
                thread::yield_now();
            };
            waker_started.store(true, SeqCst);
            while !waker_stop.load(SeqCst) {
                waker.wake_by_ref();
                thread::yield_now();
            }
        });
        // The second task ends `run` once the wake-ups have begun.
        executor.spawn(async move {
            while !started.load(SeqCst) {
                yield_times(1).await;
            }
            panic!("enough");
        });
        assert_eq!(run_until_panic(&mut executor), "enough");
        drop(executor); // while the other thread is still waking
        stop.store(true, SeqCst);
        waking.join().unwrap();
        drop(slot.lock().unwrap().take());
    }
}
