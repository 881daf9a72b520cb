//! `cargo xtask miri`: every listing that uses `unsafe` Rust (and calls no C functions, which
//! Miri cannot run) is run, and tested, under Miri, which stops at undefined behaviour. It needs
//! the nightly toolchain with Miri, so it is a job of its own, not a step of `cargo xtask test`.

use crate::cmd::Cmd;
use crate::includes::{files_with_extension, has_tests};
use crate::listings::{self, Listing};
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::time::Duration;

pub fn run(root: &Path) -> Result<()> {
    let installed = Cmd::new("rustup")
        .args(["+nightly", "component", "list", "--installed"])
        .quiet()
        .read()
        .unwrap_or_default();
    if !installed.lines().any(|c| c.starts_with("miri")) {
        bail!(
            "Miri is not installed: run `rustup toolchain install nightly --component miri` \
             (it needs a network connection to the Rust toolchain server)"
        );
    }
    let (all, _) = listings::discover(root)?;
    let mut checked = Vec::new();
    for listing in &all {
        if !wants_miri(listing)? {
            continue;
        }
        let mut jobs: Vec<&str> = Vec::new();
        if listing.binary.is_some() {
            jobs.push("run");
        }
        if has_tests(&listing.dir)? {
            jobs.push("test");
        }
        // A benchmark runs in its quick mode: Miri is far slower than a real run.
        let mut run_args: Vec<&str> = listing.meta.args.iter().map(String::as_str).collect();
        if listing.meta.bench.is_some() {
            run_args.push("--quick");
        }
        for job in jobs {
            let extra = if job == "run" {
                run_args.as_slice()
            } else {
                &[]
            };
            Cmd::new("cargo")
                .args(["+nightly", "miri", job, "--quiet", "-p", &listing.name])
                .arg("--")
                .args(extra)
                .dir(root)
                .env("MIRIFLAGS", "-Zmiri-disable-isolation")
                .timeout(Duration::from_secs(10 * 60))
                .capture()
                .and_then(|out| {
                    if out.status.success() {
                        Ok(())
                    } else {
                        bail!("{}", crate::cmd::tail(&out.stderr, 30))
                    }
                })
                .with_context(|| format!("`cargo miri {job}` of {}", listing.name))?;
        }
        checked.push(listing.name.as_str());
    }
    eprintln!(
        "{} listings ran clean under Miri: {}",
        checked.len(),
        checked.join(", ")
    );
    Ok(())
}

/// A listing with `unsafe` code and no `extern "C"` block.
fn wants_miri(listing: &Listing) -> Result<bool> {
    let mut uses_unsafe = false;
    for file in files_with_extension(&listing.dir, "rs")? {
        let text = std::fs::read_to_string(&file)?;
        if text.contains("extern \"C\"") {
            return Ok(false);
        }
        uses_unsafe |= text.contains("unsafe ");
    }
    Ok(uses_unsafe)
}
