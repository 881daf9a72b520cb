//! Exercise 4-2: tasks that wait for two events each, in the cooperative scheduler.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

/// The events, two per waiter (ids `2 * i` and `2 * i + 1` for waiter `i`).
/// Slot `e` is 0 until event `e` arrives with its value.
struct Events {
    slots: Vec<AtomicU64>,
}

impl Events {
    fn new(count: usize) -> Events {
        Events {
            slots: (0..count).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// The value of event `id`, if it has arrived.
    fn arrived(&self, id: usize) -> Option<u64> {
        match self.slots[id].load(Ordering::Acquire) {
            0 => None,
            value => Some(value),
        }
    }
}

/// The outside world: delivers every event (event `i` carries `i + 1`) in small batches
/// spread over `duration`, and calls `notify(i)` after delivering event `i`.
fn produce(events: &Events, duration: Duration, notify: impl Fn(usize)) {
    let ids: Vec<usize> = (0..events.slots.len()).collect();
    let batches = ids.len().clamp(1, 50);
    for batch in ids.chunks(ids.len().div_ceil(batches)) {
        thread::sleep(duration / batches as u32);
        for &id in batch {
            events.slots[id].store(id as u64 + 1, Ordering::Release);
            notify(id);
        }
    }
}

// ANCHOR: two_events
/// A task waiting for two events in turn, like code that awaits twice. In each state it
/// keeps what it will need later: after the first event, that event's value.
enum TwoEvents {
    WaitingForFirst { waiter: usize },
    WaitingForSecond { waiter: usize, first: u64 },
    Done,
}

impl TwoEvents {
    /// Goes as far as the events that have arrived allow. `Some(sum)` means finished.
    fn step(&mut self, events: &Events) -> Option<u64> {
        loop {
            match *self {
                TwoEvents::WaitingForFirst { waiter } => {
                    let first = events.arrived(2 * waiter)?; // not yet: stay in this state
                    *self = TwoEvents::WaitingForSecond { waiter, first };
                }
                TwoEvents::WaitingForSecond { waiter, first } => {
                    let second = events.arrived(2 * waiter + 1)?;
                    *self = TwoEvents::Done;
                    return Some(first + second);
                }
                TwoEvents::Done => panic!("a finished task was stepped again"),
            }
        }
    }
}
// ANCHOR_END: two_events

#[derive(Default)]
struct ReadyQueue {
    ids: Mutex<VecDeque<usize>>,
    not_empty: Condvar,
}

/// The cooperative scheduler of Listing 4-1, for `TwoEvents` tasks: event `e` wakes
/// waiter `e / 2`. Returns the sum of what the tasks computed and how many steps it ran.
fn cooperative(waiters: usize, duration: Duration) -> (u64, u64) {
    let events = Arc::new(Events::new(2 * waiters));
    let ready = Arc::new(ReadyQueue::default());
    let mut tasks: Vec<Option<TwoEvents>> = (0..waiters)
        .map(|waiter| Some(TwoEvents::WaitingForFirst { waiter }))
        .collect();
    let producer = {
        let (events, ready) = (Arc::clone(&events), Arc::clone(&ready));
        thread::spawn(move || {
            produce(&events, duration, |event| {
                ready.ids.lock().unwrap().push_back(event / 2);
                ready.not_empty.notify_one();
            })
        })
    };
    let (mut total, mut steps, mut unfinished) = (0, 0, waiters);
    while unfinished > 0 {
        let woken = {
            let mut ids = ready.ids.lock().unwrap();
            while ids.is_empty() {
                ids = ready.not_empty.wait(ids).unwrap();
            }
            std::mem::take(&mut *ids)
        };
        for id in woken {
            if let Some(task) = &mut tasks[id] {
                steps += 1;
                if let Some(sum) = task.step(&events) {
                    total += sum;
                    tasks[id] = None;
                    unfinished -= 1;
                }
            }
        }
    }
    producer.join().unwrap();
    (total, steps)
}

fn main() {
    let waiters = 100;
    let (total, steps) = cooperative(waiters, Duration::from_millis(20));
    println!("{waiters} tasks received events adding up to {total}");
    // A task may find both of its events there at one step, so only the bounds are printed.
    let bounds = waiters as u64..=2 * waiters as u64;
    println!(
        "between one and two steps per task: {}",
        bounds.contains(&steps)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_task_gets_both_of_its_events() {
        for waiters in [1, 7, 250] {
            let (total, steps) =
                cooperative(waiters, Duration::from_millis(10));
            assert_eq!(
                total,
                (1..=2 * waiters as u64).sum::<u64>(),
                "{waiters} waiters"
            );
            assert!(
                (waiters as u64..=2 * waiters as u64).contains(&steps),
                "{steps} steps"
            );
        }
    }

    #[test]
    fn a_task_waits_in_the_right_state() {
        let events = Events::new(2);
        let mut task = TwoEvents::WaitingForFirst { waiter: 0 };
        assert_eq!(task.step(&events), None);
        events.slots[0].store(5, Ordering::Release);
        assert_eq!(task.step(&events), None);
        assert!(matches!(task, TwoEvents::WaitingForSecond { first: 5, .. }));
        events.slots[1].store(7, Ordering::Release);
        assert_eq!(task.step(&events), Some(12));
    }
}
