//! Prints the kernel's measurements of threads against tasks as a Markdown table, then exits.
//! `cargo xtask kernel bench` runs it (a release build) and writes the table into the book;
//! `cargo xtask kernel test` runs it too and compares its rows with that table's, setting aside
//! only the figures that vary (cycles, and the stack a thread touched).
#![no_std]
#![no_main]

use kernel::{boot, measure, println, qemu};

kernel::entry_point!(main);

fn main(_boot_info: &'static boot::BootInfo) -> ! {
    kernel::init(100);
    let f = measure::run(64, 10_000, 20_000);
    println!("| Measured in the kernel | Kernel thread | Async task |");
    println!("|---|--:|--:|");
    println!(
        "| Heap per thread (stack, guard page, closure, scheduler record) or per task (future, \
         waker, executor's entries); average of {} threads, {} tasks | {} bytes | {} bytes |",
        f.threads, f.tasks, f.thread_heap_bytes, f.task_heap_bytes
    );
    println!(
        "| Stack reserved per thread / state kept per task | {} bytes | {} bytes |",
        f.thread_stack_size, f.task_future_bytes
    );
    println!(
        "| Stack a waiting thread actually touched | {} bytes | none of its own |",
        f.thread_stack_used
    );
    println!(
        "| One switch, in the host's time-stamp cycles under QEMU's TCG (for tasks, half of \
         an executor round: two polls and the round's own checks) | {} | {} |",
        f.thread_switch_cycles, f.task_switch_cycles
    );
    qemu::exit(qemu::ExitCode::Success)
}
