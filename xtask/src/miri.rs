//! Listings under Miri, the interpreter that stops at undefined behaviour and leaked memory.
//! It runs every listing with `unsafe` code that calls no C function (Miri cannot run those),
//! and every listing whose chapter says what Miri reports (`miri = true` in its
//! `[package.metadata.book]`, or a `miri-output.txt`). Each binary's stdout under Miri must match
//! `miri-output.txt` where Miri prints something else than a real run (the chapter shows that
//! file), and `output.txt` otherwise; a listing's tests run too. Benchmarks run in quick mode.
//! The experiments a chapter proposes under Miri are checked too (see miri_experiments.rs).
//! A step of `cargo xtask test`, and `cargo xtask miri` on its own.

use crate::cmd::Cmd;
use crate::files::files_with_extension;
use crate::includes::has_tests;
use crate::listings::{self, Listing, normalize, relative, unified_diff};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Stdout under Miri, where it differs from a real run's `output.txt`.
const MIRI_OUTPUT: &str = "miri-output.txt";

/// How long one listing's run or test may take under Miri (the whole step takes about a minute).
const TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// `cargo xtask miri` and the step of `cargo xtask test`.
pub fn check(root: &Path) -> Result<()> {
    let started = Instant::now();
    let mut checked = Vec::new();
    let mut problems = Vec::new();
    for listing in chosen(root)? {
        if let Some(problem) = run(root, &listing, Mode::Check)? {
            problems.push(problem);
        }
        problems.extend(crate::miri_experiments::run_all(
            root, &listing, false, TIMEOUT,
        )?);
        if has_tests(&listing.dir)? {
            miri(root, &listing, "test", &[])?;
        }
        checked.push(listing.name);
    }
    if !problems.is_empty() {
        bail!(
            "{}\nIf Miri's new output is right, run `cargo xtask bless` and review the diff \
             (and what the chapter says about it).",
            problems.join("\n")
        );
    }
    eprintln!(
        "{} listings ran clean under Miri in {:.0} s, their output as expected: {}",
        checked.len(),
        started.elapsed().as_secs_f64(),
        checked.join(", ")
    );
    Ok(())
}

/// `cargo xtask bless`: rewrites every `miri-output.txt` from a fresh run under Miri.
pub fn bless(root: &Path) -> Result<()> {
    for listing in chosen(root)? {
        if let Some(problem) = run(root, &listing, Mode::Bless)? {
            bail!("{problem}");
        }
        crate::miri_experiments::run_all(root, &listing, true, TIMEOUT)?;
    }
    Ok(())
}

#[derive(PartialEq)]
enum Mode {
    Check,
    Bless,
}

/// Runs a listing's binary under Miri and compares (or blesses) its stdout; returns the
/// mismatch, if any.
fn run(root: &Path, listing: &Listing, mode: Mode) -> Result<Option<String>> {
    if listing.binary.is_none() {
        return Ok(None);
    }
    let mut args: Vec<&str> = listing.meta.args.iter().map(String::as_str).collect();
    if listing.meta.bench.is_some() {
        args.push("--quick");
    }
    let actual = miri(root, listing, "run", &args)?;
    let Some(expected_file) = expected_file(listing) else {
        return Ok(None);
    };
    let expected = std::fs::read_to_string(&expected_file).unwrap_or_default();
    if normalize(&expected) == normalize(&actual) {
        return Ok(None);
    }
    let name = relative(root, &expected_file);
    if mode == Mode::Bless && expected_file.ends_with(MIRI_OUTPUT) {
        std::fs::write(&expected_file, &actual).with_context(|| format!("cannot write {name}"))?;
        eprintln!("blessed {name}");
        return Ok(None);
    }
    Ok(Some(format!(
        "{name}: `{}` prints something else under Miri\n{}{}",
        listing.name,
        unified_diff(&expected, &actual, &name, "under Miri"),
        if expected_file.ends_with("output.txt") {
            format!(
                "(where Miri is meant to differ from a real run, keep its output in {MIRI_OUTPUT})"
            )
        } else {
            String::new()
        }
    )))
}

/// The file Miri's stdout must match: `miri-output.txt`, else `output.txt`, else none.
fn expected_file(listing: &Listing) -> Option<PathBuf> {
    [MIRI_OUTPUT, "output.txt"]
        .iter()
        .map(|name| listing.dir.join(name))
        .find(|file| file.exists())
}

/// `cargo +nightly miri JOB -p LISTING -- ARGS`; fails on undefined behaviour, a leak or any
/// other failure, with Miri's report. Returns the program's stdout.
fn miri(root: &Path, listing: &Listing, job: &str, args: &[&str]) -> Result<String> {
    let out = Cmd::new("cargo")
        .args([
            "+nightly",
            "miri",
            job,
            "--quiet",
            "-p",
            &listing.name,
            "--",
        ])
        .args(args)
        .dir(root)
        .timeout(TIMEOUT)
        .capture()
        .with_context(|| format!("`cargo miri {job}` of {}", listing.name))?;
    if !out.status.success() {
        bail!(
            "`cargo miri {job}` of {} failed ({}):\n{}",
            listing.name,
            out.status,
            crate::cmd::tail(&out.stderr, 40)
        );
    }
    Ok(out.stdout)
}

/// The listings that run under Miri.
fn chosen(root: &Path) -> Result<Vec<Listing>> {
    crate::tools::require_miri(root)?;
    let (all, _) = listings::discover(root)?;
    let mut chosen = Vec::new();
    let mut calling_c = Vec::new();
    for listing in all {
        let code = Code::of(&listing)?;
        if listing.meta.miri
            || !listing.meta.miri_experiment.is_empty()
            || listing.dir.join(MIRI_OUTPUT).exists()
            || (code.uses_unsafe && !code.calls_c)
        {
            chosen.push(listing);
        } else if code.uses_unsafe {
            calling_c.push(listing.name);
        }
    }
    if !calling_c.is_empty() {
        eprintln!(
            "not run under Miri, because they call C functions, which Miri cannot run: {}",
            calling_c.join(", ")
        );
    }
    Ok(chosen)
}

/// What a listing's code contains, as far as Miri is concerned.
struct Code {
    uses_unsafe: bool,
    /// An `extern "C"` block: functions Miri cannot run.
    calls_c: bool,
}

impl Code {
    fn of(listing: &Listing) -> Result<Code> {
        let mut code = Code {
            uses_unsafe: false,
            calls_c: false,
        };
        for file in files_with_extension(&listing.dir, "rs")? {
            let text = std::fs::read_to_string(&file)?;
            code.calls_c |= text.contains("extern \"C\"");
            code.uses_unsafe |= text.contains("unsafe ");
        }
        Ok(code)
    }
}
