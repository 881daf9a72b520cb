//! For the kernel's test binaries (in `tests/`): `test_kernel!` gives each one its entry point,
//! and `run` runs its named checks in order, reports each over serial, and ends the QEMU run with
//! the verdict. A failed check panics, which reports and fails.

use crate::{print, println, qemu, timer};
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// The size of the running suite, and when its current check started (in time-stamp cycles):
/// kept here so that `pass_last_check` can finish the report from a fault handler.
static CHECKS: AtomicUsize = AtomicUsize::new(0);
static CHECK_STARTED: AtomicU64 = AtomicU64::new(0);

// ANCHOR: test_kernel
/// Makes a test binary a kernel. Its entry point sets up the machine with the timer ticking
/// `timer_hz` times a second, then runs the checks in order, each reported under its function's
/// name, as the suite named after the test file.
#[macro_export]
macro_rules! test_kernel {
    (timer_hz: $hz:expr, checks: [$($check:ident),+ $(,)?]) => {
        $crate::entry_point!(test_main);

        fn test_main(_boot_info: &'static $crate::boot::BootInfo) -> ! {
            $crate::init($hz);
            $crate::testing::run(
                env!("CARGO_CRATE_NAME"),
                &[$((stringify!($check), $check)),+],
            )
        }
    };
}
// ANCHOR_END: test_kernel

// ANCHOR: run
/// Runs each check in turn, printing `test <name> ... ok` after each, then exits QEMU with
/// success. The host side (`cargo xtask kernel test`) reads the lines and the exit status.
pub fn run(suite: &str, checks: &[(&str, fn())]) -> ! {
    CHECKS.store(checks.len(), Ordering::Relaxed);
    let plural = if checks.len() == 1 { "" } else { "s" };
    println!("running {} check{plural} in {suite}", checks.len());
    for (name, check) in checks {
        print!("test {name} ... ");
        CHECK_STARTED.store(timer::cycles(), Ordering::Relaxed);
        check();
        report_ok();
    }
    finish()
}
// ANCHOR_END: run

/// Passes the running check, which must be the suite's last, from code that cannot return into
/// it (the double-fault handler of the stack-overflow test), and ends the run as a success.
pub fn pass_last_check() -> ! {
    report_ok();
    finish()
}

fn report_ok() {
    let cycles = timer::cycles() - CHECK_STARTED.load(Ordering::Relaxed);
    println!("ok ({} Mcycles)", cycles / 1_000_000);
}

fn finish() -> ! {
    println!("test result: ok. {} passed", CHECKS.load(Ordering::Relaxed));
    qemu::exit(qemu::ExitCode::Success)
}
