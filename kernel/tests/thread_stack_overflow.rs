//! Expected to end in a fault report: a thread recurses without end and runs into the guard page
//! below its stack. The kernel must name the thread and exit with the stack-overflow status,
//! as listed for this test in `Cargo.toml`; a clean exit, a hang or another fault fails it.
#![no_std]
#![no_main]

use core::hint::black_box;
use kernel::threads;

kernel::test_kernel!(timer_hz: 100, checks: [a_thread_overflows_its_stack]);

// ANCHOR: recurse
#[allow(unconditional_recursion)]
fn recurse(depth: u64) -> u64 {
    let frame = black_box([depth; 16]);
    recurse(depth + 1) + frame[0]
}

fn a_thread_overflows_its_stack() {
    let thread = threads::spawn("deep-recursion", || {
        black_box(recurse(0));
    });
    thread.join();
    panic!("the thread's recursion ended");
}
// ANCHOR_END: recurse
