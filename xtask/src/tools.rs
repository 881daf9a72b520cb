//! The pinned tools of `ci/tools.toml`: installing what is missing, and the lints that use them.

use crate::cmd::{Cmd, exists};
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

#[derive(Deserialize)]
struct Pins {
    /// crate name → exact version, installed with `cargo install --locked`.
    cargo: BTreeMap<String, String>,
    /// program (or absolute file path) → Debian package that provides it.
    apt: BTreeMap<String, String>,
}

fn pins(root: &Path) -> Result<Pins> {
    let path = root.join("ci/tools.toml");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
}

/// Installs every pinned cargo tool that is not installed at its pinned version.
pub fn install(root: &Path) -> Result<()> {
    check_rust_version()?;
    let installed = Cmd::new("cargo")
        .args(["install", "--list"])
        .quiet()
        .read()?;
    let missing: Vec<(String, String)> = pins(root)?
        .cargo
        .into_iter()
        .filter(|(name, version)| !installed.contains(&format!("{name} v{version}:")))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    crate::section("installing pinned tools");
    eprintln!(
        "Building {} tool(s) from source with `cargo install --locked`. The first time this takes \
         several minutes (about 6 for mdbook and its plugins on 2 cores); later runs skip it.",
        missing.len()
    );
    for (index, (name, version)) in missing.iter().enumerate() {
        eprintln!("[{}/{}] {name} {version}", index + 1, missing.len());
        Cmd::new("cargo")
            .args(["install", "--locked", name, "--version", version])
            .timeout(Duration::from_secs(40 * 60))
            .run()
            .with_context(|| format!("installing {name} {version} failed; see the output above"))?;
    }
    Ok(())
}

/// Makes sure a program (or, for a path starting with `/`, a file such as a font) from a Debian
/// package is there: installs it with apt-get on Debian as root, and otherwise says exactly what
/// to install.
pub fn require_system(root: &Path, program: &str) -> Result<()> {
    let present = || {
        if program.starts_with('/') {
            Path::new(program).exists()
        } else {
            exists(program)
        }
    };
    if present() {
        return Ok(());
    }
    let pins = pins(root)?;
    let package = pins
        .apt
        .get(program)
        .with_context(|| format!("ci/tools.toml names no package for `{program}`"))?;
    // SAFETY: geteuid has no preconditions.
    let root_user = unsafe { libc::geteuid() } == 0;
    if !(root_user && exists("apt-get")) {
        bail!(
            "`{program}` is missing. Install the package that provides it \
             (on Debian or Ubuntu: `sudo apt-get install {package}`) and run this again."
        );
    }
    crate::section(&format!(
        "installing {package} with apt-get (for `{program}`)"
    ));
    Cmd::new("apt-get")
        .args(["update", "-q"])
        .timeout(Duration::from_secs(10 * 60))
        .run()?;
    Cmd::new("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends", package])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .timeout(Duration::from_secs(20 * 60))
        .run()?;
    if !present() {
        bail!("installed {package}, but `{program}` is still missing");
    }
    Ok(())
}

fn check_rust_version() -> Result<()> {
    let version = Cmd::new("rustc").arg("--version").quiet().read()?;
    let minor: Option<u32> = version
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.split('.').nth(1))
        .and_then(|m| m.parse().ok());
    match minor {
        Some(minor) if minor >= 88 => Ok(()),
        _ => bail!(
            "this book needs Rust 1.88 or newer (edition 2024 and mdBook 0.5); found `{}`. \
             Run `rustup update stable`.",
            version.trim()
        ),
    }
}

/// `cargo fmt --check`, clippy with warnings as errors, and the spelling check.
pub fn lint(root: &Path) -> Result<()> {
    Cmd::new("cargo")
        .args(["fmt", "--all", "--check"])
        .dir(root)
        .run()
        .context("code is not formatted: run `cargo fmt --all`")?;
    Cmd::new("cargo")
        .args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--quiet",
            "--",
            "-D",
            "warnings",
        ])
        .dir(root)
        .timeout(Duration::from_secs(20 * 60))
        .run()?;
    Cmd::new("typos")
        .args(["--config", "ci/typos.toml"])
        .dir(root)
        .run()
        .context("spelling mistakes (listed above); fix them or add a word to ci/typos.toml")
}
