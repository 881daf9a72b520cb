//! At most `running` builds at once; a bounded number of others wait their turn for a bounded
//! time, and the rest are told the runner is busy.

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

pub struct Gate {
    state: Mutex<State>,
    turn: Condvar,
    max_running: usize,
    max_waiting: usize,
    max_wait: Duration,
}

#[derive(Default)]
struct State {
    running: usize,
    waiting: usize,
}

/// Why a job did not get a turn.
pub enum Busy {
    /// So many jobs were waiting already that this one was not queued.
    QueueFull { waiting: usize },
    /// It waited `max_wait` without a turn.
    WaitedTooLong(Duration),
}

/// A turn to build and run; the next job's turn comes when it is dropped.
pub struct Turn<'a> {
    gate: &'a Gate,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut state = self.gate.state.lock().unwrap_or_else(|e| e.into_inner());
        state.running -= 1;
        self.gate.turn.notify_one();
    }
}

impl Gate {
    pub fn new(max_running: usize, max_waiting: usize, max_wait: Duration) -> Self {
        Gate {
            state: Mutex::new(State::default()),
            turn: Condvar::new(),
            max_running: max_running.max(1),
            max_waiting,
            max_wait,
        }
    }

    pub fn enter(&self) -> Result<Turn<'_>, Busy> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.running < self.max_running {
            state.running += 1;
            return Ok(Turn { gate: self });
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
            state = self
                .turn
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            if state.running < self.max_running {
                state.waiting -= 1;
                state.running += 1;
                return Ok(Turn { gate: self });
            }
        }
    }
}
