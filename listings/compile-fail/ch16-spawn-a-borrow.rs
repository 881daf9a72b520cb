use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
type Task = Pin<Box<dyn Future<Output = ()>>>;
#[derive(Default)]
struct Executor {
    queue: VecDeque<Task>,
}
impl Executor {
    fn spawn(&mut self, future: impl Future<Output = ()> + 'static) {
        self.queue.push_back(Box::pin(future));
    }
}
// ANCHOR: shown
fn spawn_a_borrow(executor: &mut Executor) {
    let name = String::from("local");
    // error[E0373]: async block may outlive the current function, but it borrows `name`
    executor.spawn(async { println!("{name}") });
}
// ANCHOR_END: shown
fn main() {}
