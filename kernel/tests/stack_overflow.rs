//! A stack overflow hits the boot stack's guard page; the page fault cannot be delivered on the
//! full stack, so the CPU raises a double fault, whose handler runs on its own stack.
#![no_std]
#![no_main]

use core::hint::black_box;
use kernel::{interrupts, memory, testing};

kernel::test_kernel!(timer_hz: 100, checks: [stack_overflow_is_a_double_fault]);

fn stack_overflow_is_a_double_fault() {
    interrupts::on_double_fault(caught);
    recurse(0);
    panic!("the recursion ended");
}

#[allow(unconditional_recursion)]
fn recurse(depth: u64) -> u64 {
    let frame = black_box([depth; 16]);
    recurse(depth + 1) + frame[0]
}

/// The double-fault handler's verdict: the fault must have struck the guard page.
fn caught(faulting_address: usize) -> ! {
    let guard = memory::stack_guard_page();
    assert!(
        guard.contains(&faulting_address),
        "the fault at {faulting_address:#x} is not in the guard page {guard:#x?}"
    );
    testing::pass_last_check()
}
