//! The context switch. The timer interrupt (and `yield_now`'s software interrupt) enter through a
//! stub that pushes every general-purpose register on the running thread's stack, asks the
//! scheduler which stack to continue on, and pops that thread's registers from it.

use crate::pic::{self, Irq};
use crate::timer;
use core::arch::naked_asm;

// ANCHOR: saved_registers
/// The top of a stack that is not running: what the entry stub pushed (the fifteen
/// general-purpose registers) above what the CPU pushed (the interrupt frame).
#[repr(C)]
pub struct SavedRegisters {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    // Pushed by the CPU when the interrupt came; `iretq` pops them.
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}
// ANCHOR_END: saved_registers

impl SavedRegisters {
    pub const ZERO: SavedRegisters = SavedRegisters {
        r15: 0,
        r14: 0,
        r13: 0,
        r12: 0,
        r11: 0,
        r10: 0,
        r9: 0,
        r8: 0,
        rbp: 0,
        rdi: 0,
        rsi: 0,
        rdx: 0,
        rcx: 0,
        rbx: 0,
        rax: 0,
        rip: 0,
        cs: 0,
        rflags: 0,
        rsp: 0,
        ss: 0,
    };
}

// ANCHOR: switching_entry
/// Defines an entry stub that may return on another thread's stack: `$choose` gets the stack
/// pointer to the saved registers and returns the one to resume (the same, or another thread's).
macro_rules! switching_entry {
    ($name:ident => $choose:path) => {
        #[unsafe(naked)]
        pub extern "C" fn $name() {
            naked_asm!(
                "push rax", "push rbx", "push rcx", "push rdx", "push rsi", "push rdi",
                "push rbp", "push r8", "push r9", "push r10", "push r11", "push r12",
                "push r13", "push r14", "push r15",
                "cld",
                "mov rdi, rsp",
                "call {choose}",
                "mov rsp, rax",
                "pop r15", "pop r14", "pop r13", "pop r12", "pop r11", "pop r10",
                "pop r9", "pop r8", "pop rbp", "pop rdi", "pop rsi", "pop rdx",
                "pop rcx", "pop rbx", "pop rax",
                "iretq",
                choose = sym $choose,
            )
        }
    };
}
// ANCHOR_END: switching_entry

switching_entry!(timer_entry => on_timer);
switching_entry!(yield_entry => on_yield);

// ANCHOR: on_timer
/// Preemption: the timer interrupt counts the tick and tells the PIC it may send the next one;
/// then the running thread's time is up.
extern "C" fn on_timer(saved: usize) -> usize {
    timer::tick();
    pic::end_of_interrupt(Irq::Timer);
    super::switch_from(saved)
}
// ANCHOR_END: on_timer

extern "C" fn on_yield(saved: usize) -> usize {
    super::switch_from(saved)
}
