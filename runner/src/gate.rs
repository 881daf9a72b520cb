//! At most `max_running` builds at once, each in a numbered slot (as root, the slot picks the
//! user a job runs as, so two running jobs never share one); a bounded number of others wait
//! their turn for a bounded time, and the rest are told the runner is busy.

use crate::child::Abandoned;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

pub struct Gate {
    state: Mutex<State>,
    turn: Condvar,
    max_waiting: usize,
    max_wait: Duration,
}

struct State {
    /// Which slots are taken.
    taken: Vec<bool>,
    waiting: usize,
}

impl State {
    fn take_free_slot(&mut self) -> Option<usize> {
        let slot = self.taken.iter().position(|taken| !taken)?;
        self.taken[slot] = true;
        Some(slot)
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
        state.taken[self.slot] = false;
        self.gate.turn.notify_one();
    }
}

impl Gate {
    pub fn new(max_running: usize, max_waiting: usize, max_wait: Duration) -> Self {
        Gate {
            state: Mutex::new(State {
                taken: vec![false; max_running.max(1)],
                waiting: 0,
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
        if let Some(slot) = state.take_free_slot() {
            return Ok(Turn { gate: self, slot });
        }
        if state.waiting >= self.max_waiting {
            return Err(Busy::QueueFull {
                waiting: state.waiting,
            });
        }
        state.waiting += 1;
        let deadline = Instant::now() + self.max_wait;
        loop {
            let now = Instant::now();
            if now >= deadline {
                state.waiting -= 1;
                return Err(Busy::WaitedTooLong(self.max_wait));
            }
            if abandoned.is_set() {
                state.waiting -= 1;
                return Err(Busy::Abandoned);
            }
            state = self
                .turn
                .wait_timeout(state, (deadline - now).min(Duration::from_millis(100)))
                .unwrap_or_else(|e| e.into_inner())
                .0;
            if let Some(slot) = state.take_free_slot() {
                state.waiting -= 1;
                return Ok(Turn { gate: self, slot });
            }
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
        gate.state.lock().unwrap().waiting
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
