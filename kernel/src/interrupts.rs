//! Interrupts: the descriptor table, the entry stubs (naked functions, so this builds on stable
//! Rust), the CPU exceptions the kernel reports, and the handlers of the keyboard and serial
//! lines. No handler takes a lock or prints: handlers count and wake, and fatal ones report
//! through the serial port's lock-free path. The table is the top of the kernel's imports: it
//! routes vectors to the modules that own them (`pic` for the lines, `threads` for the timer and
//! yield stubs), and none of those calls back into this module.

use crate::pic::{self, Irq};
use crate::{gdt, keyboard, qemu, serial, threads};
use core::arch::naked_asm;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::LazyLock;
use x86_64::VirtAddr;
use x86_64::registers::control::Cr2;
use x86_64::structures::idt::InterruptDescriptorTable;

/// What the CPU pushed on the stack before it entered a handler.
#[derive(Debug)]
#[repr(C)]
pub struct InterruptFrame {
    pub instruction_pointer: u64,
    pub code_segment: u64,
    pub cpu_flags: u64,
    pub stack_pointer: u64,
    pub stack_segment: u64,
}

// ANCHOR: entry_stub
/// Defines an entry stub for an interrupt without an error code whose handler returns: it saves
/// the registers a Rust function may clobber, calls `$handler(&InterruptFrame)`, restores them
/// and returns from the interrupt. The CPU has aligned the stack and pushed five words; nine
/// more leave it 16-byte aligned for the call, as the C calling convention wants.
macro_rules! interrupt_entry {
    ($name:ident => $handler:path) => {
        #[unsafe(naked)]
        extern "C" fn $name() {
            naked_asm!(
                "push rax", "push rcx", "push rdx", "push rsi", "push rdi",
                "push r8", "push r9", "push r10", "push r11",
                "cld",
                "lea rdi, [rsp + 9 * 8]",
                "call {handler}",
                "pop r11", "pop r10", "pop r9", "pop r8",
                "pop rdi", "pop rsi", "pop rdx", "pop rcx", "pop rax",
                "iretq",
                handler = sym $handler,
            )
        }
    };
}
// ANCHOR_END: entry_stub

/// Defines an entry stub for a fatal exception that pushes an error code: its handler gets the
/// frame and the code, and never returns.
macro_rules! fatal_entry_with_code {
    ($name:ident => $handler:path) => {
        #[unsafe(naked)]
        extern "C" fn $name() {
            naked_asm!(
                "cld",
                "mov rsi, [rsp]",
                "lea rdi, [rsp + 8]",
                "and rsp, -16",
                "call {handler}",
                "ud2",
                handler = sym $handler,
            )
        }
    };
}

interrupt_entry!(divide_error_entry => divide_error);
interrupt_entry!(breakpoint_entry => breakpoint);
interrupt_entry!(invalid_opcode_entry => invalid_opcode);
fatal_entry_with_code!(double_fault_entry => double_fault);
fatal_entry_with_code!(general_protection_entry => general_protection);
fatal_entry_with_code!(page_fault_entry => page_fault);
interrupt_entry!(keyboard_entry => keyboard_interrupt);
interrupt_entry!(serial_entry => serial_interrupt);
interrupt_entry!(spurious_entry => spurious_interrupt);

static IDT: LazyLock<InterruptDescriptorTable> = LazyLock::new(|| {
    let mut idt = InterruptDescriptorTable::new();
    let address = |entry: extern "C" fn()| VirtAddr::new(entry as usize as u64);
    // SAFETY: each address is an entry stub above, written for its vector (with or without an
    // error code), and the double-fault stack index names a stack that `gdt` set up.
    unsafe {
        idt.divide_error
            .set_handler_addr(address(divide_error_entry));
        idt.breakpoint.set_handler_addr(address(breakpoint_entry));
        idt.invalid_opcode
            .set_handler_addr(address(invalid_opcode_entry));
        idt.double_fault
            .set_handler_addr(address(double_fault_entry))
            .set_stack_index(gdt::DOUBLE_FAULT_IST_INDEX);
        idt.general_protection_fault
            .set_handler_addr(address(general_protection_entry));
        idt.page_fault.set_handler_addr(address(page_fault_entry));
        idt[Irq::Timer.vector()].set_handler_addr(address(threads::timer_entry));
        idt[Irq::Keyboard.vector()].set_handler_addr(address(keyboard_entry));
        idt[Irq::Serial.vector()].set_handler_addr(address(serial_entry));
        idt[pic::SPURIOUS_VECTOR].set_handler_addr(address(spurious_entry));
        idt[threads::YIELD_VECTOR].set_handler_addr(address(threads::yield_entry));
    }
    idt
});

/// Loads the descriptor table and sets up the PICs with only the kernel's lines unmasked.
/// Interrupts stay disabled; `crate::init` enables them last.
pub fn init() {
    IDT.load();
    pic::init();
}

extern "C" fn keyboard_interrupt(_frame: &InterruptFrame) {
    keyboard::on_interrupt();
    pic::end_of_interrupt(Irq::Keyboard);
}

extern "C" fn serial_interrupt(_frame: &InterruptFrame) {
    serial::receive_bytes(keyboard::push_serial_byte);
    pic::end_of_interrupt(Irq::Serial);
}

/// The first PIC raises line 7 when a request vanished before it was acknowledged; there is
/// nothing to do, not even an end-of-interrupt.
extern "C" fn spurious_interrupt(_frame: &InterruptFrame) {}

static BREAKPOINTS: AtomicU64 = AtomicU64::new(0);

/// A breakpoint (`int3`) is counted and execution goes on after it.
extern "C" fn breakpoint(_frame: &InterruptFrame) {
    BREAKPOINTS.fetch_add(1, Ordering::Relaxed);
}

/// How many breakpoints were hit.
pub fn breakpoints() -> u64 {
    BREAKPOINTS.load(Ordering::Relaxed)
}

extern "C" fn divide_error(frame: &InterruptFrame) {
    panic!("divide error at {:#x}", frame.instruction_pointer);
}

extern "C" fn invalid_opcode(frame: &InterruptFrame) {
    panic!("invalid opcode at {:#x}", frame.instruction_pointer);
}

extern "C" fn general_protection(frame: &InterruptFrame, code: u64) -> ! {
    panic!("general protection fault (code {code:#x}) at {frame:#x?}");
}

extern "C" fn page_fault(frame: &InterruptFrame, code: u64) -> ! {
    let address = Cr2::read_raw() as usize;
    match threads::whose_guard_page(address) {
        Some(thread) => panic!(
            "page fault at address {address:#x}, in the guard page of {thread}'s stack, \
             code {code:#x}, {frame:#x?}"
        ),
        None => panic!("page fault at address {address:#x}, code {code:#x}, {frame:#x?}"),
    }
}

// ANCHOR: double_fault
/// Runs on its own stack (see `gdt`), so it works even when the fault was a full stack. It
/// reports without the serial port's lock, which the faulting code may hold: a stack can
/// overflow in the middle of a `println!`.
extern "C" fn double_fault(frame: &InterruptFrame, _code: u64) -> ! {
    // A page fault that could not be delivered left its address in CR2.
    let address = Cr2::read_raw() as usize;
    if let Some(thread) = threads::whose_guard_page(address) {
        serial::print_unlocked(format_args!(
            "\n[stack overflow] {thread} ran into the guard page below its stack \
             (address {address:#x})\n"
        ));
        qemu::exit(qemu::ExitCode::StackOverflow)
    }
    serial::print_unlocked(format_args!(
        "\n[double fault] last faulting address {address:#x}, {frame:#x?}\n"
    ));
    qemu::exit(qemu::ExitCode::Failure)
}
// ANCHOR_END: double_fault
