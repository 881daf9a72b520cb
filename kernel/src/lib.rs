//! The companion kernel of "Futures from the Ground Up": just enough of a PC kernel to run an
//! async executor and preemptive threads side by side under QEMU. Each module holds one concern;
//! `init` sets them up in the order they depend on each other.
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
