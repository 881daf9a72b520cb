//! The executor: thousands of tasks, tasks woken by timer interrupts under a fast timer, and no
//! lost wake-up when an interrupt lands just as the executor decides to halt.
#![no_std]
#![no_main]

use core::future::poll_fn;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use core::task::{Poll, Waker};
use kernel::task::executor::Executor;
use kernel::task::{sleep, yield_now};
use kernel::timer;

kernel::test_kernel!(
    timer_hz: 1000,
    checks: [
        thousands_of_tasks,
        timer_wakes_sleepers_under_a_fast_timer,
        no_lost_wake_up_before_hlt,
        ready_queue_has_room_for_finished_tasks,
    ]
);

static DONE: AtomicUsize = AtomicUsize::new(0);
static POLLS: AtomicUsize = AtomicUsize::new(0);

fn thousands_of_tasks() {
    const TASKS: usize = 10_000;
    DONE.store(0, Ordering::Relaxed);
    POLLS.store(0, Ordering::Relaxed);
    let mut executor = Executor::new(TASKS);
    for _ in 0..TASKS {
        executor.spawn(async {
            for _ in 0..3 {
                POLLS.fetch_add(1, Ordering::Relaxed);
                yield_now().await;
            }
            DONE.fetch_add(1, Ordering::Relaxed);
        });
    }
    executor.run_until_all_done();
    assert_eq!(DONE.load(Ordering::Relaxed), TASKS);
    assert_eq!(POLLS.load(Ordering::Relaxed), 3 * TASKS);
    assert_eq!(executor.task_count(), 0);
}

static EARLY: AtomicU64 = AtomicU64::new(0);

fn timer_wakes_sleepers_under_a_fast_timer() {
    const SLEEPERS: usize = 2_000;
    timer::set_frequency(10_000);
    DONE.store(0, Ordering::Relaxed);
    let mut executor = Executor::new(SLEEPERS + 1);
    executor.spawn(sleep::drive());
    for i in 0..SLEEPERS {
        executor.spawn(async move {
            for round in 0..3 {
                let ticks = (i + round) as u64 % 7 + 1;
                let deadline = timer::ticks() + ticks;
                sleep::sleep(ticks).await;
                if timer::ticks() < deadline {
                    EARLY.fetch_add(1, Ordering::Relaxed);
                }
            }
            DONE.fetch_add(1, Ordering::Relaxed);
        });
    }
    executor.run_until(|| DONE.load(Ordering::Relaxed) == SLEEPERS);
    timer::set_frequency(1000);
    assert_eq!(EARLY.load(Ordering::Relaxed), 0, "no sleeper woke early");
}

// ANCHOR: no_lost_wake_up
/// Each round arms the timer to fire once, after a delay that varies from round to round, and
/// waits for that one interrupt. Nothing else interrupts the CPU: if the executor halted after
/// the interrupt had already woken the task, it would sleep forever, and the host would time
/// the test out.
fn no_lost_wake_up_before_hlt() {
    const ROUNDS: u32 = 5_000;
    let mut executor = Executor::new(1);
    executor.spawn(async {
        for round in 0..ROUNDS {
            let before = timer::ticks();
            timer::fire_once_after((1 + round * 37 % 600) as u16);
            timer::tick_after(before).await;
        }
    });
    executor.run_until_all_done();
    timer::set_frequency(1000);
}
// ANCHOR_END: no_lost_wake_up

/// A waker that outlives its task: the first task below leaves it here.
static KEPT_WAKER: spin::Mutex<Option<Waker>> = spin::Mutex::new(None);

/// The two claims of `Executor::new` and `run_ready_tasks`, with one task at a time. Task `a`
/// keeps its waker and hands in `b`; `b` wakes that waker after `a` has finished, wakes itself
/// in the poll that finishes it, and hands in `c`. When `c` is added, the ready queue holds
/// `b`'s id (finished, still queued) and `c`'s. With one slot instead of two, or with a
/// finished task's waker still able to queue its id, the push finds the queue full and the
/// kernel panics with "the ready queue is full".
fn ready_queue_has_room_for_finished_tasks() {
    DONE.store(0, Ordering::Relaxed);
    let mut executor = Executor::new(1);
    let spawner = executor.spawner();
    executor.spawn(async move {
        let next = spawner.clone();
        spawner.spawn(async move {
            KEPT_WAKER
                .lock()
                .take()
                .expect("task a kept its waker")
                .wake();
            next.spawn(async {
                DONE.fetch_add(1, Ordering::Relaxed);
            });
            poll_fn(|cx| {
                cx.waker().wake_by_ref();
                Poll::Ready(())
            })
            .await;
        });
        poll_fn(|cx| {
            *KEPT_WAKER.lock() = Some(cx.waker().clone());
            Poll::Ready(())
        })
        .await;
    });
    executor.run_until_all_done();
    assert_eq!(DONE.load(Ordering::Relaxed), 1, "task c ran");
}
