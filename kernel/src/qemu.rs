//! Leaving QEMU with a verdict: QEMU's `isa-debug-exit` device turns a byte written to port 0xf4
//! into QEMU's exit status, `(byte << 1) | 1`.
//! As in the "Testing" post of Philipp Oppermann's "Writing an OS in Rust" (code
//! MIT/Apache-2.0), success is 0x10 and failure 0x11.

use x86_64::instructions::port::Port;

// ANCHOR: exit
/// The verdicts. QEMU exits with status 33 for `Success`, 35 for `Failure` (a panic or a fault)
/// and 37 for `StackOverflow`, a stack that ran into its guard page (0 and 1 would be
/// ambiguous with QEMU's own exit codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitCode {
    Success = 0x10,
    Failure = 0x11,
    StackOverflow = 0x12,
}

/// Ends the QEMU run (needs `-device isa-debug-exit,iobase=0xf4,iosize=0x04`).
pub fn exit(code: ExitCode) -> ! {
    // SAFETY: port 0xf4 is QEMU's debug-exit device; writing to it only stops the machine.
    unsafe { Port::new(0xf4).write(code as u32) };
    // Without the device (on a real machine) there is nothing to return to.
    loop {
        x86_64::instructions::interrupts::disable();
        x86_64::instructions::hlt();
    }
}
// ANCHOR_END: exit
