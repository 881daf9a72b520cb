//! Test kernels whose verdict is a fault: `kernel/Cargo.toml` lists each with the QEMU exit status
//! it must end with, and `kernel/tests/NAME.serial` holds the serial output it must print (with
//! addresses written `0x…`). A clean exit, a hang, another status or another report fails it.

use super::qemu::{Boot, indent};
use anyhow::{Context, Result, bail};
use regex::Regex;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
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

/// What may differ from run to run: addresses, and spaces at the ends of lines.
fn normalize(output: &str) -> String {
    static ADDRESS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"0x[0-9a-f]+").expect("pattern"));
    let lines: Vec<String> = output
        .lines()
        .map(|l| ADDRESS.replace_all(l.trim_end(), "0x…").into_owned())
        .collect();
    lines.join("\n").trim().to_string() + "\n"
}

/// Boots the test kernel and requires its fault: the exit status and the serial output.
pub fn check(fault: &ExpectedFault, boot: Boot, logs: &Path) -> Result<Duration> {
    let name = boot.name.clone();
    let meaning = "the expected fault's status";
    let finished = boot.start(logs)?.expect_status(fault.status, meaning)?;
    let expected = std::fs::read_to_string(&fault.serial)
        .with_context(|| format!("{}", fault.serial.display()))?;
    let printed = normalize(&finished.output);
    if normalize(&expected) != printed {
        bail!(
            "{name} ended with the expected status but printed another report.\nExpected ({}):\n{}Printed (addresses as 0x…):\n{}",
            fault.serial.display(),
            indent(&expected),
            indent(&printed)
        );
    }
    Ok(finished.elapsed)
}
