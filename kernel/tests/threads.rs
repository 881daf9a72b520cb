//! Preemptive threads: a switch keeps every register and every stack intact, the timer shares the
//! CPU round robin, async tasks keep running beside threads that never yield, a thread can wake a
//! task and hand new tasks to the executor, a thread's interrupt flag survives a switch, and a
//! joined thread's stack (with its guard page) goes back to the heap.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use core::arch::asm;
use core::hint::black_box;
use core::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use futures_util::task::AtomicWaker;
use kernel::task::executor::Executor;
use kernel::task::sleep;
use kernel::{allocator, threads, timer};
use x86_64::instructions::interrupts;

kernel::test_kernel!(
    timer_hz: 1000,
    checks: [
        registers_survive_preemption,
        stacks_survive_preemption,
        timer_shares_the_cpu_round_robin,
        tasks_run_beside_busy_threads,
        a_thread_wakes_a_task,
        a_thread_spawns_tasks,
        interrupt_flag_survives_a_switch,
        join_frees_the_stack,
    ]
);

// ANCHOR: registers
/// Loads a distinct value into fourteen general-purpose registers, and the address of those
/// values into the fifteenth, `rdi` (`rsp`, the sixteenth, is the stack); spins long enough for
/// the timer to preempt it many times; then compares all fifteen with what they should still
/// hold. Returns whether all of them did.
fn registers_hold(expected: &[u64; 14], spins: u64) -> bool {
    let intact: u64;
    // SAFETY: the code saves and restores `rbx` and `rbp` itself, declares every other register
    // it changes, and leaves the stack as it found it.
    unsafe {
        asm!(
            "push rbx", "push rbp", "push rdi", "push {spins}",
            "mov rax, [rdi]", "mov rbx, [rdi + 8]", "mov rcx, [rdi + 16]",
            "mov rdx, [rdi + 24]", "mov rsi, [rdi + 32]", "mov rbp, [rdi + 40]",
            "mov r8, [rdi + 48]", "mov r9, [rdi + 56]", "mov r10, [rdi + 64]",
            "mov r11, [rdi + 72]", "mov r12, [rdi + 80]", "mov r13, [rdi + 88]",
            "mov r14, [rdi + 96]", "mov r15, [rdi + 104]",
            "2:",
            "dec qword ptr [rsp]",
            "jnz 2b",
            "cmp rdi, [rsp + 8]", "jne 3f",
            "cmp rax, [rdi]", "jne 3f", "cmp rbx, [rdi + 8]", "jne 3f",
            "cmp rcx, [rdi + 16]", "jne 3f", "cmp rdx, [rdi + 24]", "jne 3f",
            "cmp rsi, [rdi + 32]", "jne 3f", "cmp rbp, [rdi + 40]", "jne 3f",
            "cmp r8, [rdi + 48]", "jne 3f", "cmp r9, [rdi + 56]", "jne 3f",
            "cmp r10, [rdi + 64]", "jne 3f", "cmp r11, [rdi + 72]", "jne 3f",
            "cmp r12, [rdi + 80]", "jne 3f", "cmp r13, [rdi + 88]", "jne 3f",
            "cmp r14, [rdi + 96]", "jne 3f", "cmp r15, [rdi + 104]", "jne 3f",
            "mov rax, 1",
            "jmp 4f",
            "3:",
            "xor eax, eax",
            "4:",
            "add rsp, 8", "pop rdi", "pop rbp", "pop rbx",
            spins = in(reg) spins,
            inout("rdi") expected.as_ptr() => _,
            out("rax") intact,
            out("rcx") _, out("rdx") _, out("rsi") _, out("r8") _, out("r9") _,
            out("r10") _, out("r11") _, out("r12") _, out("r13") _, out("r14") _,
            out("r15") _,
        );
    }
    intact == 1
}
// ANCHOR_END: registers

static BROKEN: AtomicUsize = AtomicUsize::new(0);

fn registers_survive_preemption() {
    BROKEN.store(0, Ordering::Relaxed);
    let switches = threads::switches();
    let handles: Vec<_> = (1..=3u64)
        .map(|thread| {
            threads::spawn("registers", move || {
                let expected =
                    core::array::from_fn(|reg| (thread << 32) | ((reg as u64 + 1) * 0x1111));
                for _ in 0..5 {
                    if !registers_hold(&expected, 2_000_000) {
                        BROKEN.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    // The boot thread checks its own registers too, while the others run.
    let mine = core::array::from_fn(|reg| 0xb007 << 32 | reg as u64);
    assert!(
        registers_hold(&mine, 2_000_000),
        "the boot thread's registers changed"
    );
    for handle in handles {
        handle.join();
    }
    assert_eq!(
        BROKEN.load(Ordering::Relaxed),
        0,
        "a thread's registers changed"
    );
    let switches = threads::switches() - switches;
    assert!(
        switches >= 20,
        "only {switches} switches: the test preempted too little"
    );
}

/// Fills a frame at each level of a recursion with values that name the thread and the level,
/// spins at the bottom (to be preempted), and checks every frame on the way back up.
fn nested_frames_hold(thread: u64, depth: u64) -> bool {
    let frame = black_box(core::array::from_fn::<u64, 32, _>(|i| {
        thread << 40 | depth << 20 | i as u64
    }));
    let deeper = if depth == 0 {
        let until = timer::ticks() + 20;
        while timer::ticks() < until {
            core::hint::spin_loop();
        }
        true
    } else {
        nested_frames_hold(thread, depth - 1)
    };
    let frame = black_box(frame);
    deeper
        && frame
            .iter()
            .enumerate()
            .all(|(i, &v)| v == thread << 40 | depth << 20 | i as u64)
}

fn stacks_survive_preemption() {
    BROKEN.store(0, Ordering::Relaxed);
    let handles: Vec<_> = (1..=4u64)
        .map(|thread| {
            // Deep frames in a debug build: more than the default 16 KiB.
            threads::spawn_with_stack("frames", 64 * 1024, move || {
                if !nested_frames_hold(thread, 24) {
                    BROKEN.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    assert!(nested_frames_hold(0, 24), "the boot thread's stack changed");
    for handle in handles {
        handle.join();
    }
    assert_eq!(
        BROKEN.load(Ordering::Relaxed),
        0,
        "a thread's stack changed"
    );
}

static STOP: AtomicBool = AtomicBool::new(false);
static COUNTS: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];

/// Counts as fast as it can until told to stop; it never yields, so only the timer can take the
/// CPU away from it.
fn busy(counter: usize) {
    while !STOP.load(Ordering::Relaxed) {
        COUNTS[counter].fetch_add(1, Ordering::Relaxed);
    }
}

fn timer_shares_the_cpu_round_robin() {
    STOP.store(false, Ordering::Relaxed);
    COUNTS.iter().for_each(|c| c.store(0, Ordering::Relaxed));
    let handles: Vec<_> = (0..3)
        .map(|i| threads::spawn("busy", move || busy(i)))
        .collect();
    let until = timer::ticks() + 60;
    while timer::ticks() < until {
        x86_64::instructions::hlt(); // the boot thread idles; the timer takes the CPU from it
    }
    STOP.store(true, Ordering::Relaxed);
    for handle in handles {
        handle.join();
    }
    let counts: Vec<u64> = COUNTS.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    let (least, most) = (counts.iter().min(), counts.iter().max());
    assert!(
        least.zip(most).is_some_and(|(&l, &m)| l > 0 && m < 10 * l),
        "unfair shares of the CPU: {counts:?}"
    );
}

// ANCHOR: beside
fn tasks_run_beside_busy_threads() {
    STOP.store(false, Ordering::Relaxed);
    let handles: Vec<_> = (0..2)
        .map(|i| threads::spawn("busy", move || busy(i)))
        .collect();
    static WOKEN: AtomicUsize = AtomicUsize::new(0);
    WOKEN.store(0, Ordering::Relaxed);
    let mut executor = Executor::new(101);
    executor.spawn(sleep::drive());
    for i in 0..100 {
        executor.spawn(async move {
            sleep::sleep(i % 5 + 1).await;
            WOKEN.fetch_add(1, Ordering::Relaxed);
        });
    }
    // Two threads spin without ever yielding, yet the executor on the boot thread gets its
    // turns from the timer, and every sleeping task wakes.
    executor.run_until(|| WOKEN.load(Ordering::Relaxed) == 100);
    STOP.store(true, Ordering::Relaxed);
    for handle in handles {
        handle.join();
    }
}
// ANCHOR_END: beside

fn a_thread_wakes_a_task() {
    static RESULT: AtomicU64 = AtomicU64::new(0);
    static WAKER: AtomicWaker = AtomicWaker::new();
    RESULT.store(0, Ordering::Relaxed);
    let mut executor = Executor::new(1);
    executor.spawn(async {
        let result = core::future::poll_fn(|cx| {
            WAKER.register(cx.waker());
            match RESULT.load(Ordering::Acquire) {
                0 => core::task::Poll::Pending,
                result => core::task::Poll::Ready(result),
            }
        })
        .await;
        assert_eq!(result, (1..=1000).sum::<u64>());
    });
    let worker = threads::spawn("summer", || {
        let sum = (1..=1000u64).map(black_box).sum();
        RESULT.store(sum, Ordering::Release);
        WAKER.wake();
    });
    executor.run_until_all_done();
    worker.join();
}

fn a_thread_spawns_tasks() {
    const TASKS: usize = 10;
    static RAN: AtomicUsize = AtomicUsize::new(0);
    RAN.store(0, Ordering::Relaxed);
    let mut executor = Executor::new(TASKS);
    let spawner = executor.spawner();
    let worker = threads::spawn("spawner", move || {
        for _ in 0..TASKS {
            spawner.spawn(async {
                RAN.fetch_add(1, Ordering::Relaxed);
            });
            threads::yield_now();
        }
    });
    executor.run_until(|| RAN.load(Ordering::Relaxed) == TASKS);
    worker.join();
}

// ANCHOR: interrupt_flag
/// A thread turns interrupts off and yields; the boot thread runs meanwhile, with interrupts on;
/// when the thread resumes, its interrupts must still be off. The flag is part of the frame the
/// CPU pushed on the thread's stack, and `iretq` restores it.
fn interrupt_flag_survives_a_switch() {
    static OFF_AFTER_SWITCH: AtomicBool = AtomicBool::new(false);
    static SWITCHED: AtomicBool = AtomicBool::new(false);
    static ON_MEANWHILE: AtomicBool = AtomicBool::new(false);
    let quiet = threads::spawn("interrupts-off", || {
        interrupts::disable();
        let switches = threads::switches();
        threads::yield_now(); // to the boot thread, which yields back
        OFF_AFTER_SWITCH.store(!interrupts::are_enabled(), Ordering::Relaxed);
        SWITCHED.store(threads::switches() >= switches + 2, Ordering::Relaxed);
        interrupts::enable();
    });
    threads::yield_now(); // the thread starts, turns interrupts off and yields back here
    ON_MEANWHILE.store(interrupts::are_enabled(), Ordering::Relaxed);
    quiet.join();
    assert!(
        SWITCHED.load(Ordering::Relaxed),
        "the thread was not switched out"
    );
    assert!(
        ON_MEANWHILE.load(Ordering::Relaxed),
        "the boot thread resumed with interrupts off"
    );
    assert!(
        OFF_AFTER_SWITCH.load(Ordering::Relaxed),
        "the thread resumed with interrupts on"
    );
}
// ANCHOR_END: interrupt_flag

fn join_frees_the_stack() {
    let before = allocator::used();
    let handle = threads::spawn("short-lived", || {
        black_box([1u8; 4096]);
    });
    assert!(allocator::used() >= before + threads::DEFAULT_STACK_SIZE);
    let stack = handle.join();
    assert_eq!(
        allocator::used(),
        before,
        "the stack and the thread record were freed"
    );
    assert!(stack.used >= 4096 && stack.used < stack.size, "{stack:?}");
    assert_eq!(threads::count(), 1, "only the boot thread is left");
}
