//! The kernel boots: 64-bit mode, serial output, the command line, the heap, exceptions that
//! return, timer interrupts that arrive, and a keyboard controller that delivers scan code set 1.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::boxed::Box;
use kernel::{boot, interrupts, timer};
use x86_64::instructions::port::Port;

// ANCHOR: checks
kernel::test_kernel!(
    timer_hz: 1000,
    checks: [
        command_line_arrives,
        heap_allocates,
        breakpoint_returns,
        timer_ticks,
        keyboard_controller_translates_to_set_1,
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

// ANCHOR: translation
/// The keyboard sends scan code set 2; the PS/2 controller turns its codes into set 1 while bit 6
/// of the controller's configuration byte is set, as the firmware leaves it. The kernel's decoder
/// (`keyboard.rs`) expects set 1.
fn keyboard_controller_translates_to_set_1() {
    let config = x86_64::instructions::interrupts::without_interrupts(|| {
        let (mut status, mut data) = (Port::<u8>::new(0x64), Port::<u8>::new(0x60));
        // SAFETY: ports 0x64 and 0x60 are the PS/2 controller's; command 0x20 only reads.
        unsafe {
            while status.read() & 1 != 0 {
                data.read(); // nothing may wait in the output buffer before the answer
            }
            status.write(0x20); // "read the configuration byte"
            while status.read() & 1 == 0 {
                core::hint::spin_loop();
            }
            data.read()
        }
    });
    assert!(
        config & 1 << 6 != 0,
        "translation is off: configuration byte {config:#04x}"
    );
}
// ANCHOR_END: translation
