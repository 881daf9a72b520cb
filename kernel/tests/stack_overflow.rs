//! A stack overflow hits the boot stack's guard page; the page fault cannot be delivered on the
//! full stack, so the CPU raises a double fault, whose handler runs on its own stack.
#![no_std]
#![no_main]

use core::hint::black_box;
use kernel::{boot, interrupts, memory, print, println, qemu};

kernel::entry_point!(main);

fn main(_boot_info: &'static boot::BootInfo) -> ! {
    kernel::init(100);
    interrupts::on_double_fault(caught);
    println!("running 1 check in stack_overflow");
    print!("test stack_overflow_is_a_double_fault ... ");
    recurse(0);
    panic!("the recursion ended");
}

#[allow(unconditional_recursion)]
fn recurse(depth: u64) -> u64 {
    let frame = black_box([depth; 16]);
    recurse(depth + 1) + frame[0]
}

fn caught(faulting_address: usize) -> ! {
    let guard = memory::stack_guard_page();
    assert!(
        guard.contains(&faulting_address),
        "the fault at {faulting_address:#x} is not in the guard page {guard:#x?}"
    );
    println!("ok");
    println!("test result: ok. 1 passed");
    qemu::exit(qemu::ExitCode::Success)
}
