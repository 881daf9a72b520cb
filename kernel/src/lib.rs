//! The companion kernel of "Futures from the Ground Up": just enough of a PC kernel to run an
//! async executor and preemptive threads side by side under QEMU. Each module holds one concern;
//! `init` sets them up in the order they depend on each other.
//!
//! # Credit
//!
//! Much of its shape follows Philipp Oppermann's "Writing an OS in Rust"
//! (<https://os.phil-opp.com>), whose code is dual-licensed MIT/Apache-2.0. From its post
//! "Async/Await": a task as a pinned, boxed future kept in a map by id, and a waker that holds
//! the id and pushes it into an `ArrayQueue` of ready ids (`task`, `task::executor`); the
//! keyboard interrupt pushing scancodes into an `ArrayQueue` that a `Stream` pops, woken
//! through an `AtomicWaker` (`interrupt_queue`, `keyboard`); `sleep_if_idle`, which checks with
//! interrupts off and halts with `sti; hlt` to close the race between the check and the halt
//! (`task::executor`); and a `Spawner`, which the post suggests as an extension. From its
//! earlier posts: a double-fault stack in the task-state segment's interrupt stack table
//! (`gdt`); the PICs' vectors from 32 and 40 with an enum of the lines ("Hardware Interrupts",
//! `pic`, the usual layout of two chained 8259s); and test kernels that report over
//! serial and end QEMU through `isa-debug-exit` with 0x10 and 0x11 (`qemu`, `testing`). The
//! chapters say so where they show that code.
//!
//! `poll_pop` registers the waker before its one look at the queue, as the `AtomicWaker`
//! documentation does (the post looks, registers and looks again).
//!
//! Ours: task ids handed out by each executor, with no global counter; booting through QEMU's PVH
//! entry with our own page tables and guard pages (`boot`, `memory`); interrupt entry stubs as
//! naked functions on stable Rust (`interrupts`); the lock-free report of a stack overflow, even
//! from inside a print (`serial`); one `InterruptQueue` for every handler, which pops with
//! interrupts off and drops, counts and reports what does not fit; the serial console's road; the
//! `queued` flag that keeps each task in the ready queue at most once, so that no push finds the
//! queue full; polling in rounds; each task's waker kept with the task in one map (the post keeps a
//! separate waker cache); timers and sleepers (`timer`, `task::sleep`); preemptive threads beside
//! the executor (`threads`); the measurements (`measure`); and the host-side tests and transcripts.
#![no_std]

extern crate alloc;

pub mod allocator;
pub mod boot;
pub mod gdt;
pub mod interrupt_queue;
pub mod interrupts;
pub mod keyboard;
pub mod measure;
pub mod memory;
pub mod pic;
pub mod qemu;
pub mod serial;
pub mod task;
pub mod testing;
pub mod threads;
pub mod timer;

// ANCHOR: init
/// Sets up the machine: serial output first (so that everything after can report), then the
/// segments, interrupts and heap; the boot code becomes thread 0; the timer ticks `timer_hz`
/// times a second; interrupts go on last.
pub fn init(timer_hz: u32) {
    serial::init();
    gdt::init();
    interrupts::init();
    allocator::init();
    threads::init();
    timer::set_frequency(timer_hz);
    x86_64::instructions::interrupts::enable();
}
// ANCHOR_END: init

/// Prints the panic over serial, without the port's lock (the panic may have struck while it
/// was held), and ends the QEMU run as a failure.
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    serial::print_unlocked(format_args!("\n[panic] {info}\n"));
    qemu::exit(qemu::ExitCode::Failure)
}
