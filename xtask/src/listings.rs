//! The listing crates under `listings/`: finding them, running their tests, and checking (or
//! blessing) the `output.txt` beside every binary listing that has one.
//!
//! A listing can say more about itself in its Cargo.toml:
//!
//! ```toml
//! [package.metadata.book]
//! args = ["--small"]   # arguments for the run whose stdout output.txt records
//! bench = "ch04-waiting-costs"   # a benchmark; see bench.rs
//! miri = true   # its chapter says what Miri reports: run it under Miri (see miri.rs)
//! # and [[package.metadata.book.miri-experiment]] tables: see miri_experiments.rs
//! ```

use crate::cmd::Cmd;
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long one listing may run when its output is checked.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct Listing {
    pub name: String,
    /// The crate's folder, `listings/chNN-…/listing-NN-MM-…`.
    pub dir: PathBuf,
    /// The binary target, if the listing has one.
    pub binary: Option<String>,
    pub meta: BookMeta,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BookMeta {
    #[serde(default)]
    pub args: Vec<String>,
    pub bench: Option<String>,
    #[serde(default)]
    pub miri: bool,
    /// The chapter's experiments under Miri (see miri_experiments.rs).
    #[serde(default)]
    pub miri_experiment: Vec<Experiment>,
}

/// One `[[package.metadata.book.miri-experiment]]` of a listing (miri_experiments.rs runs it).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    pub name: String,
    pub file: String,
    pub replace: String,
    pub with: String,
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    target_directory: PathBuf,
}

#[derive(Deserialize)]
struct Package {
    name: String,
    manifest_path: PathBuf,
    targets: Vec<Target>,
    metadata: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
}

/// Every listing crate of the workspace, sorted by folder, and cargo's target folder.
pub fn discover(root: &Path) -> Result<(Vec<Listing>, PathBuf)> {
    let json = Cmd::new("cargo")
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .dir(root)
        .quiet()
        .read()?;
    let metadata: Metadata = serde_json::from_str(&json).context("cannot read `cargo metadata`")?;
    let listings_dir = root.join("listings");
    let mut listings = Vec::new();
    for package in metadata.packages {
        let dir = package
            .manifest_path
            .parent()
            .context("manifest without a folder")?
            .to_path_buf();
        if !dir.starts_with(&listings_dir) {
            continue;
        }
        let meta = match package.metadata.as_ref().and_then(|m| m.get("book")) {
            Some(book) => BookMeta::deserialize(book).with_context(|| {
                format!(
                    "{}: [package.metadata.book] is not valid",
                    package.manifest_path.display()
                )
            })?,
            None => BookMeta::default(),
        };
        let binary = package
            .targets
            .iter()
            .find(|t| t.kind.iter().any(|k| k == "bin"))
            .map(|t| t.name.clone());
        listings.push(Listing {
            name: package.name,
            dir,
            binary,
            meta,
        });
    }
    listings.sort_by(|a, b| a.dir.cmp(&b.dir));
    Ok((listings, metadata.target_directory))
}

/// `cargo test --workspace`: the listings' own tests (and the xtask's).
pub fn test(root: &Path) -> Result<()> {
    Cmd::new("cargo")
        .args(["test", "--workspace", "--quiet"])
        .dir(root)
        .timeout(Duration::from_secs(30 * 60))
        .run()
}

/// Runs every binary listing that has an `output.txt` and compares what it prints.
pub fn check_outputs(root: &Path) -> Result<()> {
    let (listings, target) = build_binaries(root)?;
    let mut checked = 0;
    for listing in listings.iter().filter(|l| expected_path(l).exists()) {
        let expected_file = expected_path(listing);
        let expected = std::fs::read_to_string(&expected_file)
            .with_context(|| format!("cannot read {}", expected_file.display()))?;
        let actual = run_listing(listing, &target)?;
        if normalize(&expected) != normalize(&actual) {
            bail!(
                "{}: the output of `{}` changed\n{}\nIf the new output is right, run `cargo xtask bless` and review the diff.",
                relative(root, &expected_file),
                listing.name,
                unified_diff(
                    &expected,
                    &actual,
                    "output.txt (expected)",
                    "the listing printed"
                )
            );
        }
        checked += 1;
    }
    eprintln!("{checked} listing outputs match their output.txt");
    Ok(())
}

/// `cargo xtask bless`: rewrites every `output.txt` from a fresh run of its listing.
pub fn bless(root: &Path) -> Result<()> {
    let (listings, target) = build_binaries(root)?;
    for listing in listings.iter().filter(|l| expected_path(l).exists()) {
        let actual = run_listing(listing, &target)?;
        let file = expected_path(listing);
        let old = std::fs::read_to_string(&file).unwrap_or_default();
        if old != actual {
            std::fs::write(&file, &actual)
                .with_context(|| format!("cannot write {}", file.display()))?;
            eprintln!("blessed {}", relative(root, &file));
        }
    }
    Ok(())
}

fn build_binaries(root: &Path) -> Result<(Vec<Listing>, PathBuf)> {
    let (listings, target) = discover(root)?;
    let mut build = Cmd::new("cargo")
        .args(["build", "--quiet"])
        .dir(root)
        .timeout(Duration::from_secs(20 * 60));
    for listing in listings.iter().filter(|l| l.binary.is_some()) {
        build = build.args(["-p", &listing.name]);
    }
    build.run()?;
    for listing in &listings {
        if expected_path(listing).exists() && listing.binary.is_none() {
            bail!(
                "{}: has an output.txt but no binary to run",
                listing.dir.display()
            );
        }
    }
    Ok((listings, target))
}

/// Runs a listing's binary from its own folder and returns its stdout.
pub fn run_listing(listing: &Listing, target: &Path) -> Result<String> {
    let binary = listing.binary.as_ref().context("listing has no binary")?;
    let out = Cmd::new(target.join("debug").join(binary))
        .args(&listing.meta.args)
        .dir(&listing.dir)
        .timeout(RUN_TIMEOUT)
        .quiet()
        .capture()
        .with_context(|| format!("listing {}", listing.name))?;
    if !out.status.success() {
        bail!(
            "listing {} exited with {}:\n{}",
            listing.name,
            out.status,
            crate::cmd::tail(&out.stderr, 30)
        );
    }
    Ok(out.stdout)
}

fn expected_path(listing: &Listing) -> PathBuf {
    listing.dir.join("output.txt")
}

/// Text compared line by line, without trailing spaces or blank lines at the end.
pub fn normalize(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim_end().to_string()
}

/// A diff from what a checked-in file expects to what a program printed, headed by their names.
pub fn unified_diff(
    expected: &str,
    actual: &str,
    expected_name: &str,
    actual_name: &str,
) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header(expected_name, actual_name)
        .to_string()
}

pub fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}
