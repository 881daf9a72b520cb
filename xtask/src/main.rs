//! `cargo xtask`: the one front door for readers, contributors and CI.
//! Run `cargo xtask help` for the list of jobs.

mod bench;
mod book;
mod cmd;
mod includes;
mod links;
mod listings;
mod tools;

use anyhow::{Result, bail};
use std::path::{Path, PathBuf};
use std::time::Instant;

const HELP: &str = "\
cargo xtask <job>

  serve          install missing tools, build the book and serve it at http://localhost:3000
  test           install missing tools, then run every check (what CI runs)
  bless          rerun every listing that has an output.txt and rewrite that file
  bench          run the benchmarks and rewrite the tables in src/generated/
  install-tools  install the pinned tools from ci/tools.toml
  help           this text
";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let started = Instant::now();
    match run(&args) {
        Ok(()) => {}
        Err(error) => {
            eprintln!("\n\x1b[1;31merror:\x1b[0m {error:#}");
            eprintln!("(after {:.0} s)", started.elapsed().as_secs_f64());
            std::process::exit(1);
        }
    }
}

fn run(args: &[String]) -> Result<()> {
    let job = args.first().map(String::as_str).unwrap_or("help");
    let rest = &args[args.len().min(1)..];
    let root = project_root();
    match job {
        "serve" => book::serve(&root),
        "test" => test(&root, rest),
        "bless" => listings::bless(&root),
        "bench" => bench::write_tables(&root),
        "install-tools" => tools::install(&root),
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => bail!("unknown job `{other}`\n\n{HELP}"),
    }
}

/// One check of `cargo xtask test`.
type Step = fn(&Path) -> Result<()>;

/// Every check, cheapest first; the first failure stops the run.
fn test(root: &Path, args: &[String]) -> Result<()> {
    if let Some(arg) = args.first() {
        bail!("`cargo xtask test` takes no arguments (got `{arg}`)");
    }
    tools::install(root)?;
    let steps: &[(&str, Step)] = &[
        ("format, lints and spelling", tools::lint),
        ("includes and listings", includes::check),
        ("listing tests", listings::test),
        ("listing outputs", listings::check_outputs),
        ("benchmarks, quick mode", bench::check_quick),
        ("code in the chapters (mdbook test)", book::test),
        ("book build and links", book::build_and_check_links),
    ];
    for (index, (name, step)) in steps.iter().enumerate() {
        section(&format!("[{}/{}] {name}", index + 1, steps.len()));
        let started = Instant::now();
        step(root)?;
        eprintln!("ok: {name} ({:.1} s)", started.elapsed().as_secs_f64());
    }
    section("all checks passed");
    Ok(())
}

/// A heading in the output, so a long log can be skimmed.
pub fn section(title: &str) {
    eprintln!("\n\x1b[1;34m== {title}\x1b[0m");
}

/// The repository's root: the folder above `xtask/`.
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one folder below the root")
        .to_path_buf()
}
