//! For the kernel's test binaries (in `tests/`): run named checks in order, report each over
//! serial, and end the QEMU run with the verdict. A failed check panics, which reports and fails.

use crate::{println, qemu};

// ANCHOR: run
/// Runs each check in turn, printing `test <name> ... ok` after each, then exits QEMU with
/// success. The host side (`cargo xtask kernel test`) reads the lines and the exit status.
pub fn run(suite: &str, checks: &[(&str, fn())]) -> ! {
    let plural = if checks.len() == 1 { "" } else { "s" };
    println!("running {} check{plural} in {suite}", checks.len());
    for (name, check) in checks {
        crate::print!("test {name} ... ");
        let started = crate::timer::cycles();
        check();
        let cycles = crate::timer::cycles() - started;
        println!("ok ({} Mcycles)", cycles / 1_000_000);
    }
    println!("test result: ok. {} passed", checks.len());
    qemu::exit(qemu::ExitCode::Success)
}
// ANCHOR_END: run
