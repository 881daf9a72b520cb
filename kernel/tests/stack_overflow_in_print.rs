//! Expected to end in a fault report: the boot stack overflows inside a `println!`, while the
//! serial port's lock is held. The page fault on the guard page cannot be delivered on the full
//! stack, so the CPU raises a double fault, whose handler runs on a stack of its own and must
//! report without that lock. `cargo xtask kernel test` requires the report and exit status
//! listed for this test in `Cargo.toml`; a clean exit, a hang or another fault fails it.
#![no_std]
#![no_main]

use core::fmt;
use core::hint::black_box;
use kernel::println;

kernel::test_kernel!(timer_hz: 100, checks: [overflow_inside_a_print]);

// ANCHOR: deep
/// Formats itself by formatting a deeper one, without end.
struct Deep(u64);

impl fmt::Display for Deep {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let frame = black_box([self.0; 16]);
        write!(f, "{}", Deep(frame[0] + 1))
    }
}

fn overflow_inside_a_print() {
    println!("{}", Deep(0)); // holds the serial port's lock all the way down
    panic!("the recursion ended");
}
// ANCHOR_END: deep
