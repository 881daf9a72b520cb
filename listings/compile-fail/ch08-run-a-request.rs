use std::future::{Future, IntoFuture, Ready, ready};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
pub struct Request {
    path: String,
}
impl IntoFuture for Request {
    type Output = u16;
    type IntoFuture = Ready<u16>;
    fn into_future(self) -> Ready<u16> {
        ready(200)
    }
}
pub fn run<F: Future>(future: F) {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    while future.as_mut().poll(&mut cx).is_pending() {}
}
fn main() {
    // ANCHOR: shown
    let request = Request { path: "/kitchen/temperature".to_string() };
    run(request); // an executor takes a `Future`, not an `IntoFuture`
    // ANCHOR_END: shown
}
