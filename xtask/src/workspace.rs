//! Cargo's reading of this workspace (`cargo metadata`), for the modules that need it:
//! book_deps.rs (the crates the chapters may use, as cargo resolved them) and tools.rs (the
//! crates of tools/ and what they are built with).

use crate::cmd::Cmd;
use anyhow::{Context, Result};
use cargo_metadata::Metadata;
use std::path::Path;
use std::time::Duration;

/// The workspace with its dependencies resolved (`resolve`), as Cargo.lock pins them.
pub fn resolved(root: &Path) -> Result<Metadata> {
    read(root, &[])
}

/// The workspace's own packages, their manifests as cargo reads them (`--no-deps`: nothing
/// resolved, so no `resolve`).
pub fn packages(root: &Path) -> Result<Metadata> {
    read(root, &["--no-deps"])
}

fn read(root: &Path, options: &[&str]) -> Result<Metadata> {
    let json = Cmd::new("cargo")
        .args(["metadata", "--format-version", "1"])
        .args(options)
        .dir(root)
        .timeout(Duration::from_secs(2 * 60))
        .quiet()
        .read()?;
    cargo_metadata::MetadataCommand::parse(json)
        .context("`cargo metadata` printed something that is not its JSON")
}
