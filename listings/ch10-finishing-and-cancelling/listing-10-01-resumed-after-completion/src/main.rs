//! What happens when a finished `async fn` future is polled again.
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::pin;
use std::task::{Context, Waker};

async fn answer() -> u32 {
    42
}

// ANCHOR: main
fn main() {
    let mut cx = Context::from_waker(Waker::noop());
    let mut future = pin!(answer());
    println!("first poll:  {:?}", future.as_mut().poll(&mut cx));

    // Catch the panic of the second poll and print its message ourselves.
    panic::set_hook(Box::new(|_| {})); // keep the default report off stderr
    let second =
        panic::catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx)));
    let _ = panic::take_hook(); // and put the default back
    match second {
        Ok(poll) => println!("second poll: {poll:?}"),
        Err(payload) => {
            println!("second poll: panicked: {}", message(&*payload))
        }
    }
}
// ANCHOR_END: main

/// The text of a panic, whether it was raised with a literal or a format.
fn message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "(not text)"
    }
}

// ANCHOR: tests
#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Poll;

    #[test]
    #[should_panic(expected = "`async fn` resumed after completion")]
    fn polling_a_finished_async_fn_panics() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut future = pin!(answer());
        assert_eq!(future.as_mut().poll(&mut cx), Poll::Ready(42));
        let _ = future.as_mut().poll(&mut cx); // panics
    }

    #[test]
    #[should_panic(expected = "`async fn` resumed after completion")]
    fn an_async_block_says_the_same() {
        let mut cx = Context::from_waker(Waker::noop());
        let mut future = pin!(async { 42 });
        assert_eq!(future.as_mut().poll(&mut cx), Poll::Ready(42));
        let _ = future.as_mut().poll(&mut cx); // panics
    }
}
// ANCHOR_END: tests
