//! The crates the chapters' code may use: `ci/book-deps`, built once into `target/book-deps` for
//! `mdbook test`, the compiler-message check and the local runner, with the versions cargo
//! resolved for them. book.rs, compile_fail.rs and runner.rs call down into this module.

use crate::cmd::Cmd;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The package whose dependencies are the book's crates.
const PACKAGE: &str = "book-deps";

/// Builds `ci/book-deps` into a folder of its own and returns its `deps` folder, which then holds
/// exactly one build of each crate (rustdoc refuses "multiple candidates").
pub fn build(root: &Path) -> Result<PathBuf> {
    let target = root.join("target/book-deps");
    let deps = target.join("debug/deps");
    let build = || {
        Cmd::new("cargo")
            .args(["build", "--quiet", "-p", PACKAGE, "--target-dir"])
            .arg(&target)
            .dir(root)
            .timeout(Duration::from_secs(10 * 60))
            .run()
    };
    build()?;
    if let Some(name) = duplicated_rlib(&deps)? {
        // A leftover build of an older version or feature set: start this folder afresh.
        eprintln!("target/book-deps holds two builds of `{name}`; building it afresh");
        std::fs::remove_dir_all(&target)?;
        build()?;
        if let Some(name) = duplicated_rlib(&deps)? {
            bail!("a fresh build of ci/book-deps holds two builds of `{name}`");
        }
    }
    Ok(deps)
}

/// `(name, version)` of each crate ci/book-deps depends on, with the version cargo resolved from
/// Cargo.lock (`cargo metadata`: cargo's own resolution, so it is right even where Cargo.lock
/// holds two versions of a crate).
pub fn crates(root: &Path) -> Result<Vec<(String, String)>> {
    crates_of(&crate::workspace::resolved(root)?)
}

fn crates_of(metadata: &cargo_metadata::Metadata) -> Result<Vec<(String, String)>> {
    let package = metadata
        .workspace_packages()
        .into_iter()
        .find(|p| p.name.as_str() == PACKAGE)
        .with_context(|| format!("the workspace has no package `{PACKAGE}`"))?;
    let node = metadata
        .resolve
        .as_ref()
        .and_then(|resolve| resolve.nodes.iter().find(|node| node.id == package.id))
        .with_context(|| format!("`cargo metadata` resolved no dependencies for `{PACKAGE}`"))?;
    let mut crates = Vec::new();
    for dependency in &node.deps {
        let normal = dependency
            .dep_kinds
            .iter()
            .any(|kind| kind.kind == cargo_metadata::DependencyKind::Normal);
        if !normal {
            continue;
        }
        let resolved = &metadata[&dependency.pkg];
        crates.push((resolved.name.to_string(), resolved.version.to_string()));
    }
    crates.sort();
    if crates.is_empty() {
        bail!("ci/book-deps/Cargo.toml has no [dependencies]");
    }
    Ok(crates)
}

/// The name of a crate with more than one `lib<name>-<hash>.rlib` in `dir`, if there is one.
fn duplicated_rlib(dir: &Path) -> Result<Option<String>> {
    let mut seen = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        let Some(stem) = name.strip_suffix(".rlib") else {
            continue;
        };
        let crate_name = stem.rsplit_once('-').map_or(stem, |(name, _hash)| name);
        if !seen.insert(crate_name.to_string()) {
            return Ok(Some(crate_name.trim_start_matches("lib").to_string()));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The versions come from cargo's resolution of book-deps itself, not from the first entry of
    /// Cargo.lock with the name: this workspace's Cargo.lock is the test's input.
    #[test]
    fn the_book_crates_are_book_deps_dependencies_with_their_resolved_versions() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let crates = crates(root).unwrap();
        let names: Vec<&str> = crates.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["futures", "pin-project-lite", "smol", "tokio"]);
        let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
        for (name, version) in &crates {
            let entry = format!("name = \"{name}\"\nversion = \"{version}\"\n");
            assert!(
                lock.contains(&entry),
                "{name} {version} is not in Cargo.lock"
            );
        }
    }

    #[test]
    fn a_second_build_of_a_crate_is_found() {
        let dir = std::env::temp_dir().join(format!("xtask-rlibs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for file in ["libtokio-1a.rlib", "libsmol-2b.rlib", "libtokio-1a.rmeta"] {
            std::fs::write(dir.join(file), "").unwrap();
        }
        assert_eq!(duplicated_rlib(&dir).unwrap(), None);
        std::fs::write(dir.join("libtokio-3c.rlib"), "").unwrap();
        assert_eq!(duplicated_rlib(&dir).unwrap().as_deref(), Some("tokio"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
