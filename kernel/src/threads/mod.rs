//! Preemptive kernel threads. Each thread has a name and a stack of its own, with a guard page
//! below it; the timer interrupt saves all of the running thread's registers on its stack and
//! resumes the next thread in turn (round robin). The boot thread, which runs the async executor,
//! is thread 0, named `boot`.

mod stack;
mod switch;

pub use switch::{SavedRegisters, timer_entry, yield_entry};

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;
use core::ptr;
use core::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use spin::Mutex;
use stack::Stack;
use x86_64::instructions::interrupts;
use x86_64::instructions::segmentation::{CS, SS, Segment};

/// The software interrupt `yield_now` raises to give up the CPU; `interrupts` routes it to
/// `yield_entry`.
pub const YIELD_VECTOR: u8 = 0x81;

/// The stack size of a thread unless `spawn_with_stack` says otherwise.
pub const DEFAULT_STACK_SIZE: usize = 16 * 1024;

/// A thread's number; the boot thread is 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadId(u64);

/// A thread as reports name it: "thread 2 `deep-recursion`".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Named {
    pub id: ThreadId,
    pub name: &'static str,
}

impl fmt::Display for Named {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "thread {} `{}`", self.id.0, self.name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Ready,
    Finished,
}

/// What the fault handlers may read about the running thread, without a lock.
struct Identity {
    named: Named,
    /// The unmapped page below its stack.
    guard_page: Range<usize>,
}

// ANCHOR: thread
struct Thread {
    /// Boxed, so that it stays put while `RUNNING` points to it.
    identity: Box<Identity>,
    /// Where its registers are saved while it does not run (see `SavedRegisters`).
    saved: usize,
    /// `None` for the boot thread, whose stack `linker.ld` reserves.
    stack: Option<Stack>,
    state: State,
}

struct Scheduler {
    threads: Vec<Thread>,
    current: usize,
}

/// Locked only with interrupts off, by threads and by the timer interrupt.
static SCHEDULER: Mutex<Option<Scheduler>> = Mutex::new(None);

/// The running thread's identity, set at every switch: the double-fault handler reads it to
/// name a thread that overflowed its stack, without the scheduler's lock (which the thread may
/// hold). A thread's record is freed only after it has finished, and so never while it runs.
static RUNNING: AtomicPtr<Identity> = AtomicPtr::new(ptr::null_mut());
// ANCHOR_END: thread

static NEXT_ID: AtomicU64 = AtomicU64::new(1);
static SWITCHES: AtomicU64 = AtomicU64::new(0);

/// Makes the running code thread 0. Until then, timer interrupts switch nothing.
pub fn init() {
    interrupts::without_interrupts(|| {
        let boot = Thread {
            identity: Box::new(Identity {
                named: Named {
                    id: ThreadId(0),
                    name: "boot",
                },
                guard_page: crate::memory::stack_guard_page(),
            }),
            saved: 0,
            stack: None,
            state: State::Ready,
        };
        RUNNING.store(ptr::from_ref(&*boot.identity).cast_mut(), Ordering::Release);
        *SCHEDULER.lock() = Some(Scheduler {
            threads: alloc::vec![boot],
            current: 0,
        });
    });
}

// ANCHOR: switch_from
/// Called by the entry stubs with interrupts off: records where the running thread's registers
/// are, picks the next ready thread after it (round robin) and returns where its registers are.
fn switch_from(saved: usize) -> usize {
    let Some(mut scheduler) = SCHEDULER.try_lock() else {
        return saved; // cannot happen while every holder keeps interrupts off; keep running
    };
    let Some(scheduler) = scheduler.as_mut() else {
        return saved; // threads are not set up
    };
    let current = scheduler.current;
    scheduler.threads[current].saved = saved;
    let count = scheduler.threads.len();
    let next = (1..=count)
        .map(|step| (current + step) % count)
        .find(|&index| scheduler.threads[index].state == State::Ready)
        .expect("the boot thread is always ready");
    if next != current {
        SWITCHES.fetch_add(1, Ordering::Relaxed);
    }
    scheduler.current = next;
    let next = &scheduler.threads[next];
    RUNNING.store(ptr::from_ref(&*next.identity).cast_mut(), Ordering::Release);
    next.saved
}
// ANCHOR_END: switch_from

// ANCHOR: whose_guard_page
/// The running thread, if `address` lies in the guard page below its stack. Lock-free, for the
/// fault handlers.
pub fn whose_guard_page(address: usize) -> Option<Named> {
    // SAFETY: `RUNNING` points to the identity of the thread that runs now (set by `init` and
    // `switch_from`); its record is not freed while it runs.
    let running = unsafe { RUNNING.load(Ordering::Acquire).as_ref() }?;
    running
        .guard_page
        .contains(&address)
        .then_some(running.named)
}
// ANCHOR_END: whose_guard_page

/// A finished or running thread that `spawn` started.
pub struct JoinHandle {
    id: ThreadId,
}

/// How much of its stack a thread used, found after it finished.
#[derive(Clone, Copy, Debug)]
pub struct StackUse {
    pub size: usize,
    pub used: usize,
}

/// Starts a thread called `name` that runs `body` on a stack of `DEFAULT_STACK_SIZE` bytes.
pub fn spawn(name: &'static str, body: impl FnOnce() + Send + 'static) -> JoinHandle {
    spawn_with_stack(name, DEFAULT_STACK_SIZE, body)
}

// ANCHOR: spawn
/// Starts a thread on a new stack of `stack_size` bytes (a multiple of 4 KiB), with a guard
/// page below it. It runs when its turn comes.
pub fn spawn_with_stack(
    name: &'static str,
    stack_size: usize,
    body: impl FnOnce() + Send + 'static,
) -> JoinHandle {
    let body: Box<Box<dyn FnOnce() + Send>> = Box::new(Box::new(body));
    let stack = Stack::new(stack_size);
    // The new stack starts as if the thread had been interrupted just before its first
    // instruction: registers (zero, but `rdi` holds `body`) below an interrupt frame whose
    // `iretq` enters `thread_start` with interrupts enabled. On top, a zero in place of a
    // return address: `thread_start` never returns, but it starts with the stack aligned as
    // just after a call (8 bytes off a multiple of 16), as compiled code expects.
    let top = stack.top() - 8;
    let saved = top - size_of::<SavedRegisters>();
    let registers = SavedRegisters {
        rdi: Box::into_raw(body) as u64,
        rip: thread_start as *const () as u64,
        cs: CS::get_reg().0.into(),
        rflags: 0x202, // interrupts enabled (bit 9), and bit 1, which is always set
        rsp: top as u64,
        ss: SS::get_reg().0.into(),
        ..SavedRegisters::ZERO
    };
    // SAFETY: both writes land inside the new stack, which nothing else uses yet.
    unsafe {
        (top as *mut u64).write(0);
        (saved as *mut SavedRegisters).write(registers);
    }
    let id = ThreadId(NEXT_ID.fetch_add(1, Ordering::Relaxed));
    let thread = Thread {
        identity: Box::new(Identity {
            named: Named { id, name },
            guard_page: stack.guard_page(),
        }),
        saved,
        stack: Some(stack),
        state: State::Ready,
    };
    with_scheduler(|s| s.threads.push(thread));
    JoinHandle { id }
}

/// Where every new thread starts, with its body in `rdi`.
extern "C" fn thread_start(body: *mut Box<dyn FnOnce() + Send>) -> ! {
    // SAFETY: `spawn_with_stack` leaked this box for this thread alone.
    let body = unsafe { Box::from_raw(body) };
    body();
    interrupts::disable();
    with_scheduler(|s| s.threads[s.current].state = State::Finished);
    yield_now(); // never comes back: a finished thread is never picked again
    unreachable!("a finished thread ran again");
}
// ANCHOR_END: spawn

/// Runs `f` on the scheduler, with interrupts off (as every user of its lock does).
fn with_scheduler<R>(f: impl FnOnce(&mut Scheduler) -> R) -> R {
    interrupts::without_interrupts(|| {
        f(SCHEDULER.lock().as_mut().expect("threads::init was called"))
    })
}

impl JoinHandle {
    /// Waits (giving up the CPU) until the thread has finished, frees its stack, and says how
    /// much of it the thread used.
    pub fn join(self) -> StackUse {
        loop {
            let finished = with_scheduler(|s| {
                let index = s
                    .threads
                    .iter()
                    .position(|t| t.identity.named.id == self.id && t.state == State::Finished)?;
                if index < s.current {
                    s.current -= 1;
                }
                Some(s.threads.remove(index))
            });
            if let Some(thread) = finished {
                let stack = thread.stack.expect("spawned threads have stacks");
                return StackUse {
                    size: stack.size,
                    used: stack.bytes_used(),
                };
            }
            yield_now();
        }
    }
}

// ANCHOR: yield_now
/// Gives the CPU to the next ready thread now, rather than at the next timer interrupt.
pub fn yield_now() {
    // SAFETY: the IDT routes this vector to `yield_entry`, which saves and restores everything.
    unsafe { core::arch::asm!("int {vector}", vector = const YIELD_VECTOR) };
}
// ANCHOR_END: yield_now

/// Whether a thread other than the running one is ready to run.
pub fn others_ready() -> bool {
    with_scheduler(|s| {
        s.threads
            .iter()
            .enumerate()
            .any(|(index, t)| index != s.current && t.state == State::Ready)
    })
}

/// The running thread.
pub fn current() -> ThreadId {
    with_scheduler(|s| s.threads[s.current].identity.named.id)
}

/// How many times the CPU went from one thread to another.
pub fn switches() -> u64 {
    SWITCHES.load(Ordering::Relaxed)
}

/// How many threads exist (ready or finished but not joined), the boot thread included.
pub fn count() -> usize {
    with_scheduler(|s| s.threads.len())
}
