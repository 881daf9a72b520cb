//! Test kernels whose verdict is a fault: `kernel/Cargo.toml` lists each with the QEMU exit status
//! it must end with, and `kernel/tests/NAME.serial` holds the serial output it must print (a
//! transcript, see `transcripts.rs`). A clean exit, a hang, another status or another report
//! fails it.

use super::qemu::Boot;
use super::transcripts::{self, Mode};
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A test kernel that must end in a fault.
pub struct ExpectedFault {
    /// QEMU's exit status (see `kernel/src/qemu.rs`).
    status: i32,
    /// The file with the serial output it must print.
    serial: PathBuf,
}

#[derive(Deserialize)]
struct Manifest {
    package: Package,
}

#[derive(Deserialize)]
struct Package {
    #[serde(default)]
    metadata: Metadata,
}

#[derive(Deserialize, Default)]
struct Metadata {
    /// Test kernel name → the exit status it must end with.
    #[serde(rename = "expected-faults", default)]
    expected_faults: BTreeMap<String, i32>,
}

/// The expected faults of `kernel/Cargo.toml`, by test kernel.
pub fn expected(kernel_dir: &Path) -> Result<BTreeMap<String, ExpectedFault>> {
    let path = kernel_dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&path).with_context(|| format!("{}", path.display()))?;
    let manifest: Manifest = toml::from_str(&text)
        .with_context(|| format!("{}: not a valid manifest", path.display()))?;
    let mut faults = BTreeMap::new();
    for (name, status) in manifest.package.metadata.expected_faults {
        let serial = kernel_dir.join("tests").join(format!("{name}.serial"));
        if !serial.exists() {
            bail!(
                "{}: expects a fault of `{name}`, but {} (the serial output it must print) is missing",
                path.display(),
                serial.display()
            );
        }
        faults.insert(name, ExpectedFault { status, serial });
    }
    Ok(faults)
}

/// Boots the test kernel and requires its fault: the exit status, and the serial output of its
/// transcript (which `Mode::Bless` rewrites instead).
pub fn check(fault: &ExpectedFault, boot: Boot, logs: &Path, mode: Mode) -> Result<Duration> {
    let name = boot.name.clone();
    let meaning = "the expected fault's status";
    let finished = boot.start(logs)?.expect_status(fault.status, meaning)?;
    transcripts::check(&name, &finished.output, &fault.serial, mode)?;
    Ok(finished.elapsed)
}
