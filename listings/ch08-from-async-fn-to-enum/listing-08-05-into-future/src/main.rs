//! What `.await` calls first: `IntoFuture::into_future`. A request builder that
//! is not a future is awaited through it, and every future gets it for free.
use std::cell::RefCell;
use std::future::{Future, IntoFuture};
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

thread_local! {
    static EVENTS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Prints what happened, and keeps it for the tests.
fn note(event: String) {
    println!("{event}");
    EVENTS.with(|events| events.borrow_mut().push(event));
}

// ANCHOR: request
/// A request being put together. It is not a future: building one sends
/// nothing.
pub struct Request {
    path: String,
    headers: Vec<(String, String)>,
}

impl Request {
    pub fn get(path: &str) -> Request {
        note(format!("building GET {path}"));
        let headers = Vec::new();
        Request {
            path: path.to_string(),
            headers,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// A request on its way: the future that `.await` polls.
pub struct Sending {
    text: String,
    answered: bool,
}

impl IntoFuture for Request {
    type Output = Response;
    type IntoFuture = Sending;

    /// Called by `.await`, once, before the first poll of `Sending`.
    fn into_future(self) -> Sending {
        let mut text = format!("GET {}", self.path);
        for (name, value) in &self.headers {
            text += &format!(", {name}: {value}");
        }
        note(format!("into_future: sending {text:?}"));
        Sending {
            text,
            answered: false,
        }
    }
}
// ANCHOR_END: request

// ANCHOR: sending
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

impl Future for Sending {
    type Output = Response;

    /// Pending once, as if the server took a moment to answer.
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        if !self.answered {
            note(format!("poll: {:?} sent, no answer yet", self.text));
            self.answered = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        note("poll: answered".to_string());
        let body = "21 degrees".to_string();
        Poll::Ready(Response { status: 200, body })
    }
}
// ANCHOR_END: sending

/// Polls `future` until it is ready (every leaf here wakes its task before it
/// answers `Pending`, so polling again at once is right).
pub fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

// ANCHOR: blanket
/// Compiles only because the standard library implements `IntoFuture` for
/// every `F: Future`, with `F` itself as `IntoFuture` and `self` as what
/// `into_future` returns.
fn into_future_of_a_future<F: Future>(future: F) -> F {
    future.into_future()
}
// ANCHOR_END: blanket

fn main() {
    // ANCHOR: main
    let response = run(async {
        let request =
            Request::get("/kitchen/temperature").header("Accept", "text/plain");
        note("built, not sent yet".to_string());
        request.await
    });
    note(format!("{response:?}"));
    // ANCHOR_END: main

    // ANCHOR: blanket_main
    let ready = into_future_of_a_future(std::future::ready(7));
    note(format!("a future, through into_future: {}", run(ready)));
    // ANCHOR_END: blanket_main
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events() -> Vec<String> {
        EVENTS.with(|events| events.borrow_mut().drain(..).collect())
    }

    #[test]
    fn building_a_request_sends_nothing() {
        let _request = Request::get("/a").header("Accept", "text/plain");
        assert!(!events().iter().any(|e| e.starts_with("into_future")));
    }

    #[test]
    fn await_calls_into_future_once_and_before_the_first_poll() {
        let response = run(async {
            let request = Request::get("/a");
            note("built".to_string());
            request.await
        });
        assert_eq!(response.status, 200);
        let events = events();
        let kinds: Vec<&str> = events
            .iter()
            .map(|e| e.split([':', ' ']).next().unwrap_or(""))
            .collect();
        assert_eq!(kinds, ["building", "built", "into_future", "poll", "poll"]);
    }

    #[test]
    fn a_future_is_its_own_into_future() {
        // Poll a `Sending` once, pass it through `into_future`, and poll it
        // again: it answers at once, so it is the same future, state and all.
        let mut sending = Request::get("/a").into_future();
        let mut cx = Context::from_waker(Waker::noop());
        assert!(Pin::new(&mut sending).poll(&mut cx).is_pending());
        let mut same = into_future_of_a_future(sending);
        assert!(Pin::new(&mut same).poll(&mut cx).is_ready());
    }
}
