//! For the kernel's test binaries (in `tests/`): `test_kernel!` gives each one its entry point,
//! and `run` runs its named checks in order, reports each over serial, and ends the QEMU run with
//! the verdict. A failed check panics, which reports and fails. (A test kernel whose verdict is a
//! fault, such as a stack overflow, is listed with the fault it must end in, in `Cargo.toml`.)

use crate::{print, println, qemu, timer};

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
    let plural = if checks.len() == 1 { "" } else { "s" };
    println!("running {} check{plural} in {suite}", checks.len());
    for (name, check) in checks {
        print!("test {name} ... ");
        let started = timer::cycles();
        check();
        println!("ok ({} Mcycles)", (timer::cycles() - started) / 1_000_000);
    }
    println!("test result: ok. {} passed", checks.len());
    qemu::exit(qemu::ExitCode::Success)
}
// ANCHOR_END: run
