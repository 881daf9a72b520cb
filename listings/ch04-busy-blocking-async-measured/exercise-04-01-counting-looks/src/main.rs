//! Exercise 4-1: how often each way of waiting looks at a task.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

/// The events, one per waiter. Slot `i` is 0 until event `i` arrives with its value.
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

/// A waiting task: all it keeps between steps is which event it waits for.
struct Waiter {
    event: usize,
}

impl Waiter {
    /// Looks for the event once. `Some(value)` means the task has finished.
    fn step(&mut self, events: &Events) -> Option<u64> {
        events.arrived(self.event)
    }
}

#[derive(Default)]
struct ReadyQueue {
    ids: Mutex<VecDeque<usize>>,
    not_empty: Condvar,
}

// ANCHOR: counting
/// Busy-waiting, as in Listing 4-1; returns how many times it stepped a task.
fn busy_waiting_looks(waiters: usize, duration: Duration) -> u64 {
    let events = Arc::new(Events::new(waiters));
    let mut tasks: Vec<Waiter> =
        (0..waiters).map(|event| Waiter { event }).collect();
    let producer = {
        let events = Arc::clone(&events);
        thread::spawn(move || produce(&events, duration, |_| {}))
    };
    let mut looks = 0;
    while !tasks.is_empty() {
        tasks.retain_mut(|task| {
            looks += 1;
            task.step(&events).is_none()
        });
    }
    producer.join().unwrap();
    looks
}

/// Cooperative waiting, as in Listing 4-1; returns how many times it stepped a task.
fn cooperative_looks(waiters: usize, duration: Duration) -> u64 {
    let events = Arc::new(Events::new(waiters));
    let ready = Arc::new(ReadyQueue::default());
    // A task's place becomes `None` once it has finished.
    let mut tasks: Vec<_> =
        (0..waiters).map(|event| Some(Waiter { event })).collect();
    let producer = {
        let (events, ready) = (Arc::clone(&events), Arc::clone(&ready));
        thread::spawn(move || {
            produce(&events, duration, |id| {
                ready.ids.lock().unwrap().push_back(id);
                ready.not_empty.notify_one();
            })
        })
    };
    let (mut looks, mut unfinished) = (0, waiters);
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
                looks += 1;
                if task.step(&events).is_some() {
                    tasks[id] = None;
                    unfinished -= 1;
                }
            }
        }
    }
    producer.join().unwrap();
    looks
}

fn main() {
    let (waiters, duration) = (100, Duration::from_millis(50));
    let cooperative = cooperative_looks(waiters, duration);
    println!("cooperative: {cooperative} looks for {waiters} events");
    let busy = busy_waiting_looks(waiters, duration);
    // The exact count depends on timing, so only its relation to the events is printed.
    println!(
        "busy-waiting: more looks than events: {}",
        busy > waiters as u64
    );
}
// ANCHOR_END: counting

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cooperative_waiting_looks_once_per_event() {
        for waiters in [1, 10, 300] {
            assert_eq!(
                cooperative_looks(waiters, Duration::from_millis(10)),
                waiters as u64
            );
        }
    }

    #[test]
    fn busy_waiting_looks_at_least_once_per_event() {
        assert!(busy_waiting_looks(100, Duration::from_millis(10)) >= 100);
    }
}
