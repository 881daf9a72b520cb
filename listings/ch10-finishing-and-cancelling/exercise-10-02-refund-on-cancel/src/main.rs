//! Exercise 10-2: a transfer that puts the money back if it is cancelled
//! half way.
use std::cell::RefCell;
use std::future::Future;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

/// A leaf future that is `Pending` once (waking its task), then ready.
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

// ANCHOR: question
#[derive(Debug, PartialEq)]
pub struct Accounts {
    pub alice: i32,
    pub bob: i32,
}

/// Moves `amount` from Alice to Bob, with a slow bank in between. If the
/// future is dropped at the `.await`, the money is gone.
pub async fn transfer(accounts: &RefCell<Accounts>, amount: i32) {
    accounts.borrow_mut().alice -= amount;
    yield_once().await; // the other bank takes its time
    accounts.borrow_mut().bob += amount;
}
// ANCHOR_END: question

// ANCHOR: solution
/// Puts the money back on Alice's account when dropped, unless disarmed.
/// Destructors of locals are what runs when a future is dropped, so the
/// undo step belongs in one.
struct Refund<'a> {
    accounts: &'a RefCell<Accounts>,
    amount: i32,
    armed: bool,
}

impl Drop for Refund<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.accounts.borrow_mut().alice += self.amount;
        }
    }
}

pub async fn safe_transfer(accounts: &RefCell<Accounts>, amount: i32) {
    accounts.borrow_mut().alice -= amount;
    let mut refund = Refund {
        accounts,
        amount,
        armed: true,
    };
    yield_once().await;
    accounts.borrow_mut().bob += amount;
    refund.armed = false; // done: nothing to undo
}
// ANCHOR_END: solution

/// Polls `future` `polls` times (fewer if it is ready sooner), then drops it.
fn poll_then_drop<F: Future>(future: F, polls: u32) {
    let mut cx = Context::from_waker(Waker::noop());
    let mut future = pin!(future);
    for _ in 0..polls {
        if future.as_mut().poll(&mut cx).is_ready() {
            break;
        }
    }
}

fn new_accounts() -> RefCell<Accounts> {
    RefCell::new(Accounts { alice: 100, bob: 0 })
}

fn main() {
    for polls in [1, 2] {
        let accounts = new_accounts();
        poll_then_drop(transfer(&accounts, 10), polls);
        println!(
            "transfer, dropped after poll {polls}:      {:?}",
            accounts.borrow()
        );
        let accounts = new_accounts();
        poll_then_drop(safe_transfer(&accounts, 10), polls);
        println!(
            "safe_transfer, dropped after poll {polls}: {:?}",
            accounts.borrow()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_money_is_lost_whenever_the_transfer_is_dropped() {
        for polls in 0..3 {
            let accounts = new_accounts();
            poll_then_drop(safe_transfer(&accounts, 10), polls);
            let accounts = accounts.into_inner();
            assert_eq!(
                accounts.alice + accounts.bob,
                100,
                "after {polls} polls"
            );
        }
    }

    #[test]
    fn the_plain_transfer_loses_money_when_dropped_at_the_await() {
        let accounts = new_accounts();
        poll_then_drop(transfer(&accounts, 10), 1);
        assert_eq!(accounts.into_inner(), Accounts { alice: 90, bob: 0 });
    }
}
