//! The executor of Listing 18-3 rebuilt the way production runtimes build
//! theirs: each task is one heap allocation holding a header, the future and
//! then its output; a waker is a pointer to the task; a wake-up joins the ready
//! queue with one atomic operation and no lock. The interface is the same:
//! `Executor::new`, `spawn` (which returns a `JoinHandle`) and `run`.

use std::cell::{Cell, UnsafeCell};
use std::future::Future;
use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop};
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::sync::Arc;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicPtr, AtomicUsize};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::thread::{self, Thread};

// ANCHOR: state
/// The task is in the ready queue, or goes back there when its poll ends.
const SCHEDULED: usize = 1 << 0;
/// The executor is polling the task.
const RUNNING: usize = 1 << 1;
/// The future has finished, or was dropped unfinished: no more polls.
const COMPLETE: usize = 1 << 2;
/// A `JoinHandle` still wants the output.
const JOIN_INTEREST: usize = 1 << 3;
/// The other bits count the references to the task, in steps of `REF_ONE`.
const REF_ONE: usize = 1 << 4;
// ANCHOR_END: state

// ANCHOR: task
/// The start of every task, whatever the type of its future.
struct Header {
    /// The four flags above and the reference count, in one word.
    state: AtomicUsize,
    /// The functions that know the future's type.
    vtable: &'static TaskVTable,
    /// The next task in the ready queue, or in the executor's batch.
    next: AtomicPtr<Header>,
    /// The ready queue and the executor's thread, for wake-ups.
    shared: Arc<Shared>,
    // Only the executor's thread uses the fields below.
    /// The neighbours in the executor's list of unfinished tasks.
    older: Cell<Option<NonNull<Header>>>,
    newer: Cell<Option<NonNull<Header>>>,
    /// The waker of the task that awaits the `JoinHandle`.
    join_waker: UnsafeCell<Option<Waker>>,
}

/// The one allocation of a task: the header first, so that a pointer to the
/// task is a pointer to its header, then the future or its output.
#[repr(C)]
struct Task<F: Future> {
    header: Header,
    slot: UnsafeCell<Slot<F>>,
}

/// What a task holds besides its header: first the future, then its output
/// in the same place, and nothing once that is taken or dropped.
enum Slot<F: Future> {
    Future(F),
    Output(F::Output),
    Empty,
}

/// What only code that knows the future's type can do: one table per type.
struct TaskVTable {
    poll: unsafe fn(NonNull<Header>, &mut Context<'_>) -> Poll<()>,
    read_output: unsafe fn(NonNull<Header>, *mut ()),
    drop_slot: unsafe fn(NonNull<Header>),
    dealloc: unsafe fn(NonNull<Header>),
}
// ANCHOR_END: task

// ANCHOR: typed
impl<F: Future> Task<F> {
    const VTABLE: TaskVTable = TaskVTable {
        poll: Self::poll,
        read_output: Self::read_output,
        drop_slot: Self::drop_slot,
        dealloc: Self::dealloc,
    };

    /// The slot of the task at `header`.
    ///
    /// # Safety
    /// `header` heads a live `Task<F>`, and the caller is on the
    /// executor's thread, the only one that touches the slot while the
    /// task lives; it holds no other reference to the slot.
    unsafe fn slot<'a>(header: NonNull<Header>) -> &'a mut Slot<F> {
        // SAFETY: the header is the first field of a `#[repr(C)]`
        // `Task<F>`, and the pointer came from the task's `Box` with
        // the whole allocation in reach; the caller rules out any
        // other access to the slot.
        unsafe { &mut *header.cast::<Task<F>>().as_ref().slot.get() }
    }

    /// Polls the future; once it is done, stores its output in its place.
    unsafe fn poll(header: NonNull<Header>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: called through this type's vtable, by the executor.
        let slot = unsafe { Self::slot(header) };
        let Slot::Future(future) = slot else {
            unreachable!("a finished task was polled");
        };
        // SAFETY: the future never moves: it stays in the task's
        // allocation until it is dropped there, by `drop_slot` or by
        // the assignment below.
        let future = unsafe { Pin::new_unchecked(future) };
        let Poll::Ready(output) = future.poll(cx) else {
            return Poll::Pending;
        };
        *slot = Slot::Output(output);
        Poll::Ready(())
    }

    /// Moves the output, if it is there, into the `Option<F::Output>`
    /// at `out`.
    unsafe fn read_output(header: NonNull<Header>, out: *mut ()) {
        // SAFETY: called through this type's vtable, on the executor's
        // thread (by a `JoinHandle`, which cannot leave it).
        let slot = unsafe { Self::slot(header) };
        if let Slot::Output(_) = slot
            && let Slot::Output(output) = mem::replace(slot, Slot::Empty)
        {
            // SAFETY: the handle of a `Task<F>` passes a valid
            // `Option<F::Output>` that holds nothing to drop.
            unsafe { out.cast::<Option<F::Output>>().write(Some(output)) };
        }
    }

    /// Drops the future or the output, whichever is there, in place.
    unsafe fn drop_slot(header: NonNull<Header>) {
        // SAFETY: called through this type's vtable, on the executor's thread.
        unsafe { *Self::slot(header) = Slot::Empty };
    }

    /// Frees the task: the last reference is gone.
    unsafe fn dealloc(header: NonNull<Header>) {
        let task = header.cast::<Task<F>>().as_ptr();
        // SAFETY: the pointer came from `Box::into_raw` in `spawn`, and the
        // last reference is gone, so nothing else can reach the task.
        let task = unsafe { Box::from_raw(task) };
        // This may run on any thread, so the future or output must be gone
        // already: both were dropped on the executor's thread.
        debug_assert!(matches!(task.slot.into_inner(), Slot::Empty));
    }
}
// ANCHOR_END: typed

impl Header {
    /// Adds a reference, as `Arc::clone` does.
    fn add_ref(&self) {
        let old = self.state.fetch_add(REF_ONE, Relaxed);
        // As `Arc` does: a count this high means leaked wakers, and
        // overflowing it would free the task while it is in use.
        if old > isize::MAX as usize {
            std::process::abort();
        }
    }
}

/// Gives up `count` references; the last one frees the task.
///
/// # Safety
/// The caller owns `count` references to the live task `task`.
unsafe fn drop_refs(task: NonNull<Header>, count: usize) {
    // SAFETY: the caller's references keep the task alive until here.
    let header = unsafe { task.as_ref() };
    let dealloc = header.vtable.dealloc;
    let old = header.state.fetch_sub(count * REF_ONE, AcqRel);
    if old / REF_ONE == count {
        // SAFETY: those were the last references.
        unsafe { dealloc(task) };
    }
}

// ANCHOR: waker
static WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(clone_waker, wake, wake_by_ref, drop_waker);

/// A waker's data is a pointer to its task, and it owns a reference.
fn raw_waker(task: NonNull<Header>) -> RawWaker {
    RawWaker::new(task.as_ptr().cast_const().cast(), &WAKER_VTABLE)
}

/// The task of a waker's data pointer.
///
/// # Safety
/// `data` came from `raw_waker`, and its waker is still alive.
unsafe fn task_of(data: *const ()) -> NonNull<Header> {
    // SAFETY: `raw_waker` made `data` from a `NonNull`.
    unsafe { NonNull::new_unchecked(data.cast_mut().cast()) }
}

unsafe fn clone_waker(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned keeps the task alive.
    let task = unsafe { task_of(data) };
    // SAFETY: as above.
    unsafe { task.as_ref() }.add_ref();
    raw_waker(task)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: the waker being consumed owns a reference, which it
    // gives up only after the wake-up.
    unsafe {
        wake_by_ref(data);
        drop_refs(task_of(data), 1);
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: the waker keeps the task alive throughout.
    let task = unsafe { task_of(data) };
    // SAFETY: as above.
    let header = unsafe { task.as_ref() };
    let mut state = header.state.load(Relaxed);
    loop {
        if state & (SCHEDULED | COMPLETE) != 0 {
            return; // queued already, or nothing left to poll
        }
        // While the task runs, the flag is enough: the executor queues
        // the task again when its poll ends. Otherwise the queue gets
        // the task, with a reference of its own.
        let push = state & RUNNING == 0;
        let new = (state | SCHEDULED) + if push { REF_ONE } else { 0 };
        match header
            .state
            .compare_exchange_weak(state, new, AcqRel, Relaxed)
        {
            Ok(_) => break,
            Err(actual) => state = actual,
        }
    }
    if state & RUNNING == 0 {
        // Test builds may pause here, to run a race in a chosen order.
        #[cfg(test)]
        tests::before_push();
        // SAFETY: this thread set SCHEDULED, so the task is in no
        // queue; the new reference goes with it; the waker's own
        // reference keeps the task, and so `shared`, alive meanwhile.
        unsafe { header.shared.push(task) };
    }
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: the waker being dropped owns a reference.
    unsafe { drop_refs(task_of(data), 1) };
}
// ANCHOR_END: waker

// ANCHOR: queue
/// What the wakers share with the executor.
struct Shared {
    /// The tasks woken since the executor last looked, newest first,
    /// linked through their headers' `next`: a stack that wakers push
    /// onto and the executor empties in one swap. Or `closed()`.
    woken: AtomicPtr<Header>,
    /// The executor's thread, to unpark when the stack stops being empty.
    executor: Thread,
}

/// The value of `woken` once the executor is gone: no task has this address.
fn closed() -> *mut Header {
    ptr::without_provenance_mut(1)
}

impl Shared {
    /// Pushes `task` onto the stack of woken tasks, and unparks the
    /// executor if the stack was empty. A closed stack drops the task's
    /// reference instead.
    ///
    /// # Safety
    /// The task is live and SCHEDULED, and in no queue; the caller gives
    /// up one reference for the queue, and keeps `self` alive.
    unsafe fn push(&self, task: NonNull<Header>) {
        // SAFETY: the caller's reference keeps the task alive.
        let header = unsafe { task.as_ref() };
        let mut head = self.woken.load(Relaxed);
        loop {
            if head == closed() {
                // SAFETY: the reference was meant for the queue.
                unsafe { drop_refs(task, 1) };
                return;
            }
            header.next.store(head, Relaxed);
            let pushed = self.woken.compare_exchange_weak(
                head,
                task.as_ptr(),
                Release, // publishes `next`, and what came before the wake
                Relaxed,
            );
            match pushed {
                Ok(_) => break,
                Err(actual) => head = actual,
            }
        }
        // Whoever makes the stack non-empty unparks, after the push: the
        // executor looks at the stack before it parks, and a park after
        // this unpark returns at once (chapter 18's token).
        if head.is_null() {
            self.executor.unpark();
        }
    }

    /// Takes every woken task, newest first, and leaves the stack empty.
    fn take(&self) -> *mut Header {
        self.woken.swap(ptr::null_mut(), Acquire)
    }
}
// ANCHOR_END: queue

/// A single-threaded executor. It is not `Send` (its tasks need not be), so
/// it stays on the thread that created it: the thread its wakers unpark.
pub struct Executor {
    shared: Arc<Shared>,
    /// Tasks to poll now, oldest first: spawned ones and those taken from
    /// the stack. Each entry is a reference.
    batch: Option<NonNull<Header>>,
    batch_end: Option<NonNull<Header>>,
    /// Every unfinished task, newest first. Each entry is a reference.
    unfinished: Option<NonNull<Header>>,
}

impl Default for Executor {
    fn default() -> Self {
        Executor::new()
    }
}

impl Executor {
    pub fn new() -> Self {
        let shared = Shared {
            woken: AtomicPtr::new(ptr::null_mut()),
            executor: thread::current(),
        };
        Executor {
            shared: Arc::new(shared),
            batch: None,
            batch_end: None,
            unfinished: None,
        }
    }

    // ANCHOR: spawn
    /// Adds a task and queues it for its first poll. The handle resolves
    /// to its output.
    pub fn spawn<F>(&mut self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
    {
        let header = Header {
            // Three references: the list of unfinished tasks, the batch,
            // and the handle.
            state: AtomicUsize::new(SCHEDULED | JOIN_INTEREST | (3 * REF_ONE)),
            vtable: &Task::<F>::VTABLE,
            next: AtomicPtr::new(ptr::null_mut()),
            shared: Arc::clone(&self.shared),
            older: Cell::new(self.unfinished),
            newer: Cell::new(None),
            join_waker: UnsafeCell::new(None),
        };
        let slot = UnsafeCell::new(Slot::Future(future));
        let task = Box::new(Task { header, slot }); // the one allocation
        let task = NonNull::from(Box::leak(task)).cast::<Header>();
        if let Some(newest) = self.unfinished {
            // SAFETY: the list's reference keeps `newest` alive.
            unsafe { newest.as_ref() }.newer.set(Some(task));
        }
        self.unfinished = Some(task);
        self.push_to_batch(task);
        JoinHandle {
            task,
            output: PhantomData,
        }
    }
    // ANCHOR_END: spawn

    fn push_to_batch(&mut self, task: NonNull<Header>) {
        // SAFETY: the batch's reference keeps the task alive.
        unsafe { task.as_ref() }
            .next
            .store(ptr::null_mut(), Relaxed);
        match self.batch_end {
            Some(last) => {
                // SAFETY: the batch's reference keeps its last task alive.
                let last = unsafe { last.as_ref() };
                last.next.store(task.as_ptr(), Relaxed);
            }
            None => self.batch = Some(task),
        }
        self.batch_end = Some(task);
    }

    fn pop_from_batch(&mut self) -> Option<NonNull<Header>> {
        let first = self.batch?;
        // SAFETY: the batch's reference keeps the task alive.
        self.batch = NonNull::new(unsafe { first.as_ref() }.next.load(Relaxed));
        if self.batch.is_none() {
            self.batch_end = None;
        }
        Some(first)
    }

    // ANCHOR: run
    /// Polls ready tasks until every task has finished; parks the thread
    /// while none is ready. A task that panics is dropped, and the panic
    /// goes on out of `run`.
    pub fn run(&mut self) {
        while self.unfinished.is_some() {
            if let Some(task) = self.pop_from_batch() {
                // SAFETY: a task from the batch, with its reference.
                unsafe { self.run_task(task) };
                continue;
            }
            let woken = self.shared.take();
            if woken.is_null() {
                thread::park(); // the next push unparks us
                continue;
            }
            // SAFETY: the stack just taken, with its references.
            unsafe { self.append_woken(woken) };
        }
    }

    /// Polls one task, and queues it again, or retires it, as it says.
    ///
    /// # Safety
    /// `task` was taken from the batch, with the batch's reference.
    unsafe fn run_task(&mut self, task: NonNull<Header>) {
        // SAFETY: the batch's reference keeps the task alive.
        let header = unsafe { task.as_ref() };
        // SCHEDULED is set and RUNNING is clear: this swaps them.
        let old = header.state.fetch_xor(SCHEDULED | RUNNING, Acquire);
        debug_assert_eq!(old & (SCHEDULED | RUNNING | COMPLETE), SCHEDULED);
        // A waker made on the fly: no reference of its own, never dropped.
        // SAFETY: the task outlives the poll, so `waker` never dangles.
        let waker =
            ManuallyDrop::new(unsafe { Waker::from_raw(raw_waker(task)) });
        let mut cx = Context::from_waker(&waker);
        // SAFETY: the task's own vtable, on the executor's thread.
        let polled = panic::catch_unwind(AssertUnwindSafe(|| unsafe {
            (header.vtable.poll)(task, &mut cx)
        }));
        match polled {
            Ok(Poll::Pending) => {
                let old = header.state.fetch_and(!RUNNING, AcqRel);
                if old & SCHEDULED != 0 {
                    // Woken during its poll: back in line, and the batch's
                    // reference stays with it.
                    self.push_to_batch(task);
                } else {
                    // SAFETY: the batch's reference.
                    unsafe { drop_refs(task, 1) };
                }
            }
            Ok(Poll::Ready(())) => {
                let old = header.state.fetch_xor(RUNNING | COMPLETE, AcqRel);
                // SAFETY: the task is in the list, and the batch's reference
                // is ours to give up.
                unsafe {
                    self.retire(task, old & JOIN_INTEREST != 0);
                    drop_refs(task, 1);
                }
            }
            Err(panic) => {
                header.state.fetch_or(COMPLETE, AcqRel);
                // SAFETY: as above; the future that panicked is dropped.
                unsafe {
                    self.retire(task, false);
                    drop_refs(task, 1);
                }
                panic::resume_unwind(panic);
            }
        }
    }
    // ANCHOR_END: run

    /// Appends the stack of woken tasks, newest first, to the batch, oldest
    /// first: the order in which they were woken.
    ///
    /// # Safety
    /// `newest` heads a stack taken from `shared`, with its references.
    unsafe fn append_woken(&mut self, newest: *mut Header) {
        let mut reversed: Option<NonNull<Header>> = None;
        let mut rest = newest;
        while let Some(task) = NonNull::new(rest) {
            // SAFETY: the stack's reference keeps the task alive.
            let header = unsafe { task.as_ref() };
            rest = header.next.load(Relaxed);
            let after = reversed.map_or(ptr::null_mut(), NonNull::as_ptr);
            header.next.store(after, Relaxed);
            reversed = Some(task);
        }
        let (Some(oldest), Some(newest)) = (reversed, NonNull::new(newest))
        else {
            return;
        };
        match self.batch_end {
            Some(end) => {
                // SAFETY: the batch's reference keeps its last task alive.
                let end = unsafe { end.as_ref() };
                end.next.store(oldest.as_ptr(), Relaxed);
            }
            None => self.batch = Some(oldest),
        }
        self.batch_end = Some(newest);
    }

    /// Takes a COMPLETE task off the list of unfinished tasks: drops its
    /// future, or its output unless the handle will take it, wakes the task
    /// that awaits the handle, and gives up the list's reference.
    ///
    /// # Safety
    /// `task` is in the list, and COMPLETE.
    unsafe fn retire(&mut self, task: NonNull<Header>, keep_output: bool) {
        // SAFETY: the list's reference keeps the task alive.
        let header = unsafe { task.as_ref() };
        let (older, newer) = (header.older.get(), header.newer.get());
        match newer {
            // SAFETY: the list keeps its tasks alive.
            Some(newer) => unsafe { newer.as_ref() }.older.set(older),
            None => self.unfinished = older,
        }
        if let Some(older) = older {
            // SAFETY: as above.
            unsafe { older.as_ref() }.newer.set(newer);
        }
        if !keep_output {
            // SAFETY: this is the executor's thread.
            unsafe { (header.vtable.drop_slot)(task) };
        }
        // SAFETY: only the executor's thread touches `join_waker`.
        let waiter = unsafe { (*header.join_waker.get()).take() };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
        // SAFETY: the list's reference.
        unsafe { drop_refs(task, 1) };
    }
}

// ANCHOR: drop
impl Drop for Executor {
    /// Drops every unfinished future, here on the executor's thread, then
    /// closes the stack, so that a later wake-up only drops its reference.
    fn drop(&mut self) {
        while let Some(task) = self.unfinished {
            // SAFETY: the list's reference keeps the task alive.
            let header = unsafe { task.as_ref() };
            header.state.fetch_or(COMPLETE, AcqRel);
            // SAFETY: the task is in the list, and now COMPLETE.
            unsafe { self.retire(task, false) };
        }
        while let Some(task) = self.pop_from_batch() {
            // SAFETY: the batch's reference.
            unsafe { drop_refs(task, 1) };
        }
        let mut woken = self.shared.woken.swap(closed(), Acquire);
        while let Some(task) = NonNull::new(woken) {
            // SAFETY: the stack's reference keeps the task alive.
            woken = unsafe { task.as_ref() }.next.load(Relaxed);
            // SAFETY: the stack's reference.
            unsafe { drop_refs(task, 1) };
        }
    }
}
// ANCHOR_END: drop

// ANCHOR: join_handle
/// A future that resolves to the output of a spawned task. It reads the
/// output from the task's own allocation, and holds a reference to it.
pub struct JoinHandle<T> {
    task: NonNull<Header>,
    /// Not `Send`: the handle stays on the executor's thread, the only one
    /// that touches a task's output.
    output: PhantomData<*const T>,
}

impl<T> Future for JoinHandle<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        // SAFETY: the handle's reference keeps the task alive.
        let header = unsafe { self.task.as_ref() };
        if header.state.load(Acquire) & COMPLETE == 0 {
            // SAFETY: only the executor's thread touches `join_waker`.
            let waiter = unsafe { &mut *header.join_waker.get() };
            if !waiter.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *waiter = Some(cx.waker().clone());
            }
            return Poll::Pending;
        }
        let mut output: Option<T> = None;
        // SAFETY: the handle was made for this task, whose output is a `T`.
        unsafe {
            (header.vtable.read_output)(self.task, (&raw mut output).cast())
        };
        match output {
            Some(output) => Poll::Ready(output),
            None => panic!(
                "the task was dropped unfinished, or its output already taken"
            ),
        }
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        // SAFETY: the handle's reference keeps the task alive.
        let header = unsafe { self.task.as_ref() };
        let old = header.state.fetch_and(!JOIN_INTEREST, AcqRel);
        if old & COMPLETE != 0 {
            // An output nobody took: dropped here, on the executor's thread.
            // SAFETY: the task's own vtable, on the executor's thread.
            unsafe { (header.vtable.drop_slot)(self.task) };
        }
        // SAFETY: only the executor's thread touches `join_waker`.
        drop(unsafe { (*header.join_waker.get()).take() });
        // SAFETY: the handle's reference.
        unsafe { drop_refs(self.task, 1) };
    }
}
// ANCHOR_END: join_handle

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::sync::Mutex;
    use std::sync::atomic::Ordering::SeqCst;
    use std::sync::mpsc;

    thread_local! {
        /// What `wake_by_ref` does on this thread between setting
        /// SCHEDULED and pushing, once.
        static BEFORE_PUSH: Cell<Option<Box<dyn FnOnce()>>> =
            const { Cell::new(None) };
    }

    pub(super) fn before_push() {
        if let Some(pause) = BEFORE_PUSH.take() {
            pause();
        }
    }

    /// The references to the task of `waker`.
    fn references(waker: &Waker) -> usize {
        // SAFETY: `waker` is alive, and its data pointer is its task.
        let task = unsafe { task_of(waker.data()) };
        // SAFETY: the waker keeps the task alive.
        unsafe { task.as_ref() }.state.load(SeqCst) / REF_ONE
    }

    /// A waker sets SCHEDULED; then, before it pushes, the executor is
    /// dropped and its stack closed. The push must give its reference
    /// back rather than link the task onto a stack nobody will empty.
    #[test]
    fn a_push_that_comes_after_the_executors_drop_gives_its_reference_back() {
        let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
        let mut executor = Executor::new();
        let kept = Arc::clone(&slot);
        executor.spawn(poll_fn(move |cx| {
            *kept.lock().unwrap() = Some(cx.waker().clone());
            Poll::<()>::Pending
        }));
        // The only way out of `run` with a task waiting: another one panics.
        executor.spawn(async { panic!("enough") });
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| executor.run()));
        assert!(outcome.is_err(), "`run` returned with a task waiting");
        let waker = slot.lock().unwrap().take().unwrap();
        let (paused, pause) = mpsc::channel();
        let (go, wait) = mpsc::channel::<()>();
        let clone = waker.clone();
        let waking = thread::spawn(move || {
            BEFORE_PUSH.set(Some(Box::new(move || {
                paused.send(()).unwrap();
                wait.recv().unwrap();
            })));
            clone.wake();
        });
        pause
            .recv()
            .expect("the waking thread ended before its push");
        drop(executor);
        go.send(()).unwrap();
        waking.join().unwrap();
        assert_eq!(references(&waker), 1, "the queue's reference leaked");
    }
}
