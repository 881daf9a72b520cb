//! The interactive kernel (`cargo xtask kernel run`): it boots, measures threads against tasks,
//! then echoes the keys typed until Esc. `-append keyboard-stall` (used by a host-side test)
//! makes the keyboard queue small and leaves it undrained until it has overflowed;
//! `-append serial-stall` leaves the serial console's queue undrained until it has overflowed.
#![no_std]
#![no_main]

use kernel::boot::BootInfo;
use kernel::keyboard::{self, ScancodeStream, Stall};
use kernel::task::executor::Executor;
use kernel::task::sleep;
use kernel::{allocator, measure, println, timer};

kernel::entry_point!(main);

// ANCHOR: main
fn main(boot_info: &'static BootInfo) -> ! {
    kernel::init(100);
    println!(
        "kernel booted: {} KiB heap, timer at {} Hz, command line {:?}",
        allocator::size() / 1024,
        timer::frequency(),
        boot_info.command_line
    );
    let figures = measure::run(16, 1000, 2000);
    println!(
        "a thread: {} heap bytes ({} KiB stack, {} bytes of it used); a task: {} heap bytes",
        figures.thread_heap_bytes,
        figures.thread_stack_size / 1024,
        figures.thread_stack_used,
        figures.task_heap_bytes
    );
    println!(
        "a switch: {} cycles between threads, {} cycles between tasks (the host's cycles, under TCG)",
        figures.thread_switch_cycles, figures.task_switch_cycles
    );

    let stall = if boot_info.has_flag("keyboard-stall") {
        Stall::Keyboard
    } else if boot_info.has_flag("serial-stall") {
        Stall::Serial
    } else {
        Stall::Nothing
    };
    // 17: eight keys (a press and a release each) fill 16 places, the ninth key's press the
    // last one, and its release is the first scancode dropped. Nothing after it races the task.
    let capacity = match stall {
        Stall::Keyboard => 17,
        _ => keyboard::QUEUE_CAPACITY,
    };
    let scancodes = ScancodeStream::new(capacity);
    let mut executor = Executor::new(64);
    executor.spawn(sleep::drive());
    executor.spawn(keyboard::echo_keys(scancodes, stall));
    executor.run()
}
// ANCHOR_END: main
