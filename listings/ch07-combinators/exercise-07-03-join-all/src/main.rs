//! Exercise 7-3: `join_all`, which runs any number of futures of one type at
//! once and is ready with all their outputs, in order.
extern crate futures;

use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll};

pub struct JoinAll<F: Future> {
    /// One slot per future: `Ok(future)` while it runs, `Err(output)` once it
    /// is done.
    slots: Vec<Result<F, F::Output>>,
}

pub fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> JoinAll<F> {
    JoinAll {
        slots: futures.into_iter().map(Ok).collect(),
    }
}

// Only the running futures are ever pinned, never the outputs.
impl<F: Future + Unpin> Unpin for JoinAll<F> {}

impl<F: Future + Unpin> Future for JoinAll<F> {
    type Output = Vec<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let mut all_done = true;
        // Every running future is polled, each time: they all share our waker,
        // so we cannot tell which one woke us. (With many futures, that is
        // wasteful; an executor gives each task a waker of its own, as Part V
        // shows.)
        for slot in &mut this.slots {
            if let Ok(future) = slot {
                match Pin::new(future).poll(cx) {
                    Poll::Ready(output) => *slot = Err(output),
                    Poll::Pending => all_done = false,
                }
            }
        }
        if !all_done {
            return Poll::Pending;
        }
        let outputs = mem::take(&mut this.slots)
            .into_iter()
            .map(|slot| match slot {
                Err(output) => output,
                Ok(_) => unreachable!("every future is done"),
            })
            .collect();
        Poll::Ready(outputs)
    }
}

fn main() {
    use futures::channel::oneshot;
    use std::thread;

    let (senders, receivers): (Vec<_>, Vec<_>) =
        (0..5).map(|_| oneshot::channel()).unzip();
    // Send in reverse order, from other threads.
    for (i, sender) in senders.into_iter().enumerate().rev() {
        thread::spawn(move || sender.send(i * i).unwrap());
    }
    let squares: Vec<usize> = futures::executor::block_on(join_all(receivers))
        .into_iter()
        .map(Result::unwrap)
        .collect();
    println!("{squares:?}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::channel::oneshot;
    use std::future::{Ready, ready};
    use std::task::Waker;

    #[test]
    fn outputs_keep_the_order_of_the_futures() {
        let (senders, receivers): (Vec<_>, Vec<_>) =
            (0..3).map(|_| oneshot::channel::<char>()).unzip();
        let mut all = join_all(receivers);
        let mut cx = Context::from_waker(Waker::noop());
        for (sender, letter) in senders.into_iter().rev().zip(['c', 'b', 'a']) {
            assert!(Pin::new(&mut all).poll(&mut cx).is_pending());
            sender.send(letter).unwrap();
        }
        let Poll::Ready(outputs) = Pin::new(&mut all).poll(&mut cx) else {
            panic!("not ready after every sender sent");
        };
        assert_eq!(outputs, vec![Ok('a'), Ok('b'), Ok('c')]);
    }

    #[test]
    fn no_futures_is_ready_at_once() {
        let none: Vec<Ready<u8>> = Vec::new();
        assert_eq!(futures::executor::block_on(join_all(none)), vec![]);
        assert_eq!(
            futures::executor::block_on(join_all([ready(1), ready(2)])),
            [1, 2]
        );
    }
}
