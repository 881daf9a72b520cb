//! Where a spawned task's state lives (in its own heap allocation) and where
//! its code runs (on the executor thread's stack, reused by every poll),
//! shown by comparing addresses. Only comparisons are printed: the addresses
//! themselves change from run to run.
use std::cell::RefCell;
use std::future::Future;
use std::ops::Range;
use std::pin::Pin;
use std::ptr;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

// ANCHOR: where_am_i
/// What a leaf future noted during one poll.
struct Seen {
    task: usize,
    state_at: usize,
    stack_at: usize,
}

/// A leaf future that is `Pending` once, and that notes at every poll where
/// its own state is (`self`) and where the poll runs (a local variable).
struct WhereAmI {
    task: usize,
    yielded: bool,
    log: Rc<RefCell<Vec<Seen>>>,
}

impl Future for WhereAmI {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let on_the_stack = 0u8;
        let seen = Seen {
            task: self.task,
            state_at: ptr::from_ref(&*self).addr(),
            stack_at: ptr::from_ref(&on_the_stack).addr(),
        };
        self.log.borrow_mut().push(seen);
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
// ANCHOR_END: where_am_i

// ANCHOR: job
/// A task body: three waits, with a count that must survive each of them.
async fn job(task: usize, log: Rc<RefCell<Vec<Seen>>>) -> u32 {
    let mut steps = 0;
    for _ in 0..3 {
        let log = Rc::clone(&log);
        WhereAmI {
            task,
            yielded: false,
            log,
        }
        .await;
        steps += 1;
    }
    steps
}
// ANCHOR_END: job

// ANCHOR: main
fn main() {
    let log = Rc::new(RefCell::new(Vec::new()));

    // Spawning: each task's future moves into a heap allocation of its own.
    // The executor keeps only the pointers.
    let mut tasks: Vec<Pin<Box<dyn Future<Output = u32>>>> = vec![
        Box::pin(job(0, Rc::clone(&log))),
        Box::pin(job(1, Rc::clone(&log))),
    ];
    let homes: Vec<Range<usize>> = tasks
        .iter()
        .map(|task| {
            let start = ptr::from_ref(&**task).addr();
            start..start + size_of_val(&**task)
        })
        .collect();
    for (id, home) in homes.iter().enumerate() {
        println!("task {id}: its future is {} bytes on the heap", home.len());
    }
    println!(
        "the executor holds each task as a {}-byte pointer",
        size_of_val(&tasks[0])
    );

    // A round-robin executor: poll every unfinished task in turn, always
    // from this same line, until all are done.
    let mut cx = Context::from_waker(Waker::noop());
    let mut outputs = vec![None; tasks.len()];
    while outputs.contains(&None) {
        for (task, output) in tasks.iter_mut().zip(&mut outputs) {
            if output.is_none()
                && let Poll::Ready(steps) = task.as_mut().poll(&mut cx)
            {
                *output = Some(steps);
            }
        }
    }
    println!("outputs: {outputs:?}");

    let log = log.borrow();
    let in_own_box = log.iter().all(|s| homes[s.task].contains(&s.state_at));
    let one_stack_place = log.iter().all(|s| s.stack_at == log[0].stack_at);
    println!("{} polls of a leaf, and in every one:", log.len());
    println!(
        "  the leaf's state was inside its own task's heap allocation: {in_own_box}"
    );
    println!(
        "  the poll ran at the same place on the executor's stack: {one_stack_place}"
    );
}
// ANCHOR_END: main
