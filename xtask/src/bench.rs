//! Benchmarks: listings with `bench = "NAME"` in `[package.metadata.book]`.
//!
//! A benchmark binary prints a Markdown table on stdout. `cargo xtask bench` runs it in a release
//! build and writes `src/generated/NAME.md`: a line saying where and when it was measured, then
//! the table. A benchmark that draws plots writes them into the folder named by the environment
//! variable `BOOK_GENERATED` (as `NAME*.svg`). `cargo xtask test` runs every benchmark with
//! `--quick` in a debug build, so none can rot, and checks that its generated table exists.

use crate::cmd::Cmd;
use crate::listings::{self, Listing, relative};
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::time::Duration;

fn benches(root: &Path) -> Result<(Vec<Listing>, std::path::PathBuf)> {
    let (listings, target) = listings::discover(root)?;
    let benches: Vec<Listing> = listings
        .into_iter()
        .filter(|l| l.meta.bench.is_some())
        .collect();
    for bench in &benches {
        if bench.binary.is_none() {
            bail!("{}: a bench needs a binary", relative(root, &bench.dir));
        }
    }
    Ok((benches, target))
}

/// `cargo xtask bench`.
pub fn write_tables(root: &Path) -> Result<()> {
    let (benches, target) = benches(root)?;
    let generated = root.join("src/generated");
    std::fs::create_dir_all(&generated)?;
    let mut build = Cmd::new("cargo")
        .args(["build", "--release", "--quiet"])
        .dir(root)
        .timeout(Duration::from_secs(20 * 60));
    for bench in &benches {
        build = build.args(["-p", &bench.name]);
    }
    build.run()?;
    let provenance = provenance()?;
    for bench in &benches {
        let name = bench.meta.bench.as_deref().unwrap_or_default();
        crate::section(&format!("benchmark {name} ({})", bench.name));
        let table = run(
            bench,
            &target.join("release"),
            &[],
            &generated,
            Duration::from_secs(20 * 60),
        )?;
        let file = generated.join(format!("{name}.md"));
        let how = format!("`cargo xtask bench` (listing `{}`)", bench.name);
        let text = format!("{table}\n{}", note(&how, &provenance));
        std::fs::write(&file, text)?;
        eprintln!("wrote {}", relative(root, &file));
    }
    Ok(())
}

/// Part of `cargo xtask test`: every benchmark runs in quick mode and has a generated table.
pub fn check_quick(root: &Path) -> Result<()> {
    let (benches, target) = benches(root)?;
    let scratch = root.join("target/bench-quick");
    std::fs::create_dir_all(&scratch)?;
    for bench in &benches {
        let name = bench.meta.bench.as_deref().unwrap_or_default();
        run(
            bench,
            &target.join("debug"),
            &["--quick"],
            &scratch,
            Duration::from_secs(3 * 60),
        )?;
        let file = root.join(format!("src/generated/{name}.md"));
        if !file.exists() {
            bail!(
                "{} is missing: run `cargo xtask bench` and commit it",
                relative(root, &file)
            );
        }
    }
    eprintln!("{} benchmarks run in quick mode", benches.len());
    Ok(())
}

/// Runs a benchmark's binary from `profile_dir` (a build's `release` or `debug` folder), and
/// returns the Markdown table it printed.
fn run(
    bench: &Listing,
    profile_dir: &Path,
    args: &[&str],
    generated: &Path,
    timeout: Duration,
) -> Result<String> {
    let binary = profile_dir.join(bench.binary.as_deref().unwrap_or_default());
    let table = Cmd::new(binary)
        .args(args)
        .dir(&bench.dir)
        .env("BOOK_GENERATED", generated)
        .timeout(timeout)
        .read()
        .with_context(|| format!("benchmark {}", bench.name))?;
    check_table(&bench.name, &table)?;
    Ok(table)
}

fn check_table(name: &str, table: &str) -> Result<()> {
    let rows = table.lines().filter(|l| l.starts_with('|')).count();
    if rows < 3 {
        bail!("benchmark {name} printed no Markdown table (a header, a rule and a row):\n{table}");
    }
    Ok(())
}

/// The note under a generated table: how it was measured (`how`, e.g. "`cargo xtask bench`
/// (listing `NAME`)"), a sentence the translated editions translate once, then where and when
/// (`machine`: the CPU, rustc, the date), which changes with every run and reads the same in
/// every edition, so it is kept out of the messages to translate (`<!-- i18n:skip -->`):
/// otherwise each run of the benchmarks would leave every edition with messages to translate again.
pub fn note(how: &str, machine: &str) -> String {
    format!(
        "<small>Measured by {how}.</small>\n\n\
         <!-- i18n:skip (the machine and the date: the same in every edition) -->\n\n\
         <small>{machine}</small>\n"
    )
}

/// "<cpu> (<n> cores), rustc <version>, <date>": where and when a figure was measured.
pub fn provenance() -> Result<String> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, model)| model.trim().to_string())
        .unwrap_or_else(|| "an unknown CPU".to_string());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rustc = Cmd::new("rustc").arg("--version").quiet().read()?;
    let date = Cmd::new("date").args(["-u", "+%Y-%m-%d"]).quiet().read()?;
    Ok(format!(
        "{cpu} ({cores} cores), {}, {}",
        rustc.trim(),
        date.trim()
    ))
}
