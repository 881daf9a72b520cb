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
