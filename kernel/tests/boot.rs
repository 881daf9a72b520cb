//! The kernel boots: 64-bit mode, serial output, the command line, the heap, exceptions that
//! return, and timer interrupts that arrive.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::boxed::Box;
use kernel::{boot, interrupts, timer};

// ANCHOR: checks
kernel::test_kernel!(
    timer_hz: 1000,
    checks: [
        command_line_arrives,
        heap_allocates,
        breakpoint_returns,
        timer_ticks,
    ]
);

fn command_line_arrives() {
    // `cargo xtask kernel test` boots every test with `-append kernel-test`.
    assert!(boot::info().has_flag("kernel-test"), "{:?}", boot::info());
}
// ANCHOR_END: checks

fn heap_allocates() {
    let boxed = Box::new(41);
    assert_eq!(*boxed + 1, 42);
}

fn breakpoint_returns() {
    let before = interrupts::breakpoints();
    x86_64::instructions::interrupts::int3();
    assert_eq!(interrupts::breakpoints(), before + 1);
}

fn timer_ticks() {
    let start = timer::ticks();
    while timer::ticks() < start + 10 {
        x86_64::instructions::hlt();
    }
}
