//! At most `max_running` builds at once, each in a numbered slot (as root, the slot picks the
//! user a job runs as, so two running jobs never share one); a bounded number of others wait
//! their turn for a bounded time, and the rest are told the runner is busy.
//!
//! Waiters are served first come, first served: a slot that ends is handed to the job that has
//! waited longest before any thread wakes, so neither a newcomer nor a later waiter that happens
//! to wake first can take it.

use crate::child::Abandoned;
use std::collections::VecDeque;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

pub struct Gate {
    state: Mutex<State>,
    turn: Condvar,
    max_waiting: usize,
    max_wait: Duration,
}

struct State {
    /// Which slots are taken (a slot handed to a waiter that has not woken yet is taken).
    taken: Vec<bool>,
    /// The tickets of the jobs waiting, longest-waiting first.
    queue: VecDeque<u64>,
    /// Slots handed to waiters that have not woken yet to take them: (ticket, slot).
    handed: Vec<(u64, usize)>,
    next_ticket: u64,
}

impl State {
    fn take_free_slot(&mut self) -> Option<usize> {
        let slot = self.taken.iter().position(|taken| !taken)?;
        self.taken[slot] = true;
        Some(slot)
    }

    /// A slot has ended: it goes to the longest-waiting job, or is free if none waits.
    fn release(&mut self, slot: usize) {
        match self.queue.pop_front() {
            Some(ticket) => self.handed.push((ticket, slot)),
            None => self.taken[slot] = false,
        }
    }

    /// The slot handed to `ticket`, if one was.
    fn take_handed(&mut self, ticket: u64) -> Option<usize> {
        let at = self.handed.iter().position(|&(t, _)| t == ticket)?;
        Some(self.handed.swap_remove(at).1)
    }

    /// A waiter gives up: it leaves the queue, and a slot handed to it meanwhile goes on.
    fn leave(&mut self, ticket: u64) {
        self.queue.retain(|&t| t != ticket);
        if let Some(slot) = self.take_handed(ticket) {
            self.release(slot);
        }
    }
}

/// Why a job did not get a turn.
#[derive(Debug, PartialEq, Eq)]
pub enum Busy {
    /// So many jobs were waiting already that this one was not queued.
    QueueFull { waiting: usize },
    /// It waited `max_wait` without a turn.
    WaitedTooLong(Duration),
    /// Its client went away while it waited.
    Abandoned,
}

/// A turn to build and run in slot `slot`; the next job's turn comes when it is dropped.
pub struct Turn<'a> {
    gate: &'a Gate,
    pub slot: usize,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut state = self.gate.state.lock().unwrap_or_else(|e| e.into_inner());
        state.release(self.slot);
        // Every waiter wakes to see whether the slot was handed to it (there are at most
        // max_waiting of them).
        self.gate.turn.notify_all();
    }
}

impl Gate {
    pub fn new(max_running: usize, max_waiting: usize, max_wait: Duration) -> Self {
        Gate {
            state: Mutex::new(State {
                taken: vec![false; max_running.max(1)],
                queue: VecDeque::new(),
                handed: Vec::new(),
                next_ticket: 0,
            }),
            turn: Condvar::new(),
            max_waiting,
            max_wait,
        }
    }

    /// A turn, waiting for one if need be; a job whose client has gone away (`abandoned`) stops
    /// waiting within a tenth of a second.
    pub fn enter(&self, abandoned: &Abandoned) -> Result<Turn<'_>, Busy> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        // A free slot means nobody waits: slots that end while jobs wait are handed on.
        if let Some(slot) = state.take_free_slot() {
            return Ok(Turn { gate: self, slot });
        }
        if state.queue.len() >= self.max_waiting {
            return Err(Busy::QueueFull {
                waiting: state.queue.len(),
            });
        }
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.queue.push_back(ticket);
        eprintln!(
            "runner: a run waits for its turn ({} waiting)",
            state.queue.len()
        );
        let deadline = Instant::now() + self.max_wait;
        loop {
            if let Some(slot) = state.take_handed(ticket) {
                return Ok(Turn { gate: self, slot });
            }
            let now = Instant::now();
            let gave_up = if now >= deadline {
                Some(Busy::WaitedTooLong(self.max_wait))
            } else if abandoned.is_set() {
                Some(Busy::Abandoned)
            } else {
                None
            };
            if let Some(busy) = gave_up {
                state.leave(ticket);
                // A slot it passed on goes to a waiter that must wake to take it.
                self.turn.notify_all();
                return Err(busy);
            }
            state = self
                .turn
                .wait_timeout(state, (deadline - now).min(Duration::from_millis(100)))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    fn present() -> Abandoned {
        Abandoned(Arc::new(AtomicBool::new(false)))
    }

    fn slot(turn: &Result<Turn<'_>, Busy>) -> usize {
        match turn {
            Ok(turn) => turn.slot,
            Err(busy) => panic!("no turn: {busy:?}"),
        }
    }

    fn refusal(turn: Result<Turn<'_>, Busy>) -> Busy {
        match turn {
            Ok(turn) => panic!("a turn in slot {}", turn.slot),
            Err(busy) => busy,
        }
    }

    fn waiting(gate: &Gate) -> usize {
        gate.state.lock().unwrap().queue.len()
    }

    /// Waits until `n` jobs wait for their turn (they are on their way in other threads).
    fn until_waiting(gate: &Gate, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while waiting(gate) != n {
            assert!(Instant::now() < deadline, "{n} jobs never waited");
            std::thread::yield_now();
        }
    }

    #[test]
    fn up_to_max_running_turns_at_once_each_in_a_slot_of_its_own() {
        let gate = Gate::new(3, 0, Duration::from_secs(60));
        let turns: Vec<_> = (0..3).map(|_| gate.enter(&present())).collect();
        let mut slots: Vec<_> = turns.iter().map(slot).collect();
        slots.sort();
        assert_eq!(slots, [0, 1, 2]);
        // With no room to wait, the next is refused at once, not after max_wait.
        assert_eq!(
            refusal(gate.enter(&present())),
            Busy::QueueFull { waiting: 0 }
        );
        // The slot that ends is the one the next job gets.
        let mut turns = turns;
        let ended = turns.remove(1);
        let freed = slot(&ended);
        drop(ended);
        assert_eq!(slot(&gate.enter(&present())), freed);
    }

    #[test]
    fn a_gate_for_no_jobs_still_runs_one() {
        let gate = Gate::new(0, 0, Duration::ZERO);
        let only = gate.enter(&present());
        assert_eq!(slot(&only), 0);
        assert!(matches!(
            refusal(gate.enter(&present())),
            Busy::QueueFull { .. }
        ));
    }

    #[test]
    fn a_waiting_job_gets_the_turn_that_ends() {
        let gate = Gate::new(1, 1, Duration::from_secs(30));
        let first = gate.enter(&present());
        std::thread::scope(|scope| {
            let next = scope.spawn(|| slot(&gate.enter(&present())));
            until_waiting(&gate, 1);
            drop(first);
            assert_eq!(next.join().unwrap(), 0);
        });
        assert_eq!(waiting(&gate), 0);
    }

    #[test]
    fn a_turn_that_ends_goes_to_the_waiter_not_to_a_newcomer() {
        let gate = Gate::new(1, 1, Duration::from_secs(30));
        let first = gate.enter(&present());
        std::thread::scope(|scope| {
            // The waiter keeps its turn (returns it) until the newcomer has tried.
            let waiter = scope.spawn(|| gate.enter(&present()));
            until_waiting(&gate, 1);
            drop(first);
            // At once, before the waiter has had a chance to wake: a newcomer finds no free
            // slot, so it would queue (its client is gone, so it leaves at once instead).
            let gone = present();
            gone.0.store(true, Ordering::Relaxed);
            assert_eq!(refusal(gate.enter(&gone)), Busy::Abandoned);
            assert_eq!(slot(&waiter.join().unwrap()), 0);
        });
    }

    #[test]
    fn waiters_get_their_turns_in_the_order_they_came() {
        let gate = Gate::new(1, 3, Duration::from_secs(60));
        let first = gate.enter(&present());
        let order = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for waiter in 0..3 {
                let (gate, order) = (&gate, &order);
                scope.spawn(move || {
                    let turn = gate.enter(&present());
                    slot(&turn);
                    // Noted while it holds the turn, so before the next waiter's.
                    order.lock().unwrap().push(waiter);
                });
                until_waiting(gate, waiter + 1);
            }
            drop(first);
        });
        assert_eq!(*order.lock().unwrap(), [0, 1, 2]);
        assert_eq!(waiting(&gate), 0);
    }

    #[test]
    fn a_slot_handed_to_a_waiter_that_left_goes_to_the_next() {
        // Directly on the state, so that "handed but not yet taken" is not a race to win.
        let gate = Gate::new(1, 2, Duration::from_secs(60));
        let mut state = gate.state.lock().unwrap();
        assert_eq!(state.take_free_slot(), Some(0));
        state.queue.extend([7, 8]);
        state.release(0);
        assert_eq!(state.handed, [(7, 0)]);
        state.leave(7);
        assert_eq!(state.handed, [(8, 0)]);
        assert_eq!(state.take_handed(8), Some(0));
        state.release(0);
        assert_eq!(state.taken, [false]);
    }

    #[test]
    fn no_more_than_max_waiting_wait() {
        let gate = Gate::new(1, 2, Duration::from_secs(60));
        let _running = gate.enter(&present());
        let gone = [present(), present()];
        std::thread::scope(|scope| {
            let waiters: Vec<_> = gone
                .iter()
                .map(|abandoned| scope.spawn(|| refusal(gate.enter(abandoned))))
                .collect();
            until_waiting(&gate, 2);
            assert_eq!(
                refusal(gate.enter(&present())),
                Busy::QueueFull { waiting: 2 }
            );
            for abandoned in &gone {
                abandoned.0.store(true, Ordering::Relaxed);
            }
            for waiter in waiters {
                assert_eq!(waiter.join().unwrap(), Busy::Abandoned);
            }
        });
        // Those that left gave their places in the queue back.
        assert_eq!(waiting(&gate), 0);
    }

    #[test]
    fn a_job_waits_no_longer_than_max_wait() {
        for max_wait in [Duration::from_millis(50), Duration::ZERO] {
            let gate = Arc::new(Gate::new(1, 1, max_wait));
            let _running = gate.enter(&present());
            // In a thread of its own, so that a wait without end fails the test instead of
            // hanging it.
            let (send, receive) = std::sync::mpsc::channel();
            let waiter = Arc::clone(&gate);
            std::thread::spawn(move || {
                let started = Instant::now();
                let refused = refusal(waiter.enter(&present()));
                let _ = send.send((refused, started.elapsed()));
            });
            let (refused, waited) = receive
                .recv_timeout(Duration::from_secs(30))
                .expect("the job waited on past its max_wait");
            assert_eq!(refused, Busy::WaitedTooLong(max_wait));
            assert!(waited >= max_wait);
            assert_eq!(waiting(&gate), 0);
        }
    }

    #[test]
    fn a_job_whose_client_went_away_stops_waiting() {
        // Abandoned before it asks: it does not queue.
        let gate = Gate::new(1, 1, Duration::from_secs(30));
        let _running = gate.enter(&present());
        let gone = present();
        gone.0.store(true, Ordering::Relaxed);
        assert_eq!(refusal(gate.enter(&gone)), Busy::Abandoned);
        // Abandoned while it waits: it leaves the queue (had it not, it would wait its 30 s and
        // be told it waited too long).
        let leaving = present();
        std::thread::scope(|scope| {
            let waiter = scope.spawn(|| refusal(gate.enter(&leaving)));
            until_waiting(&gate, 1);
            leaving.0.store(true, Ordering::Relaxed);
            assert_eq!(waiter.join().unwrap(), Busy::Abandoned);
        });
        assert_eq!(waiting(&gate), 0);
    }
}
