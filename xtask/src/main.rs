//! `cargo xtask`: the one front door for readers, contributors and CI.
//! Run `cargo xtask help` for the list of jobs.

mod bench;
mod book;
mod book_toml;
mod browser;
mod cmd;
mod compile_fail;
mod fonts;
mod highlight;
mod includes;
mod kernel;
mod lighthouse;
mod links;
mod listings;
mod miri;
mod miri_experiments;
mod pdf;
mod plain_mdbook;
mod runner;
mod summary;
mod tools;
mod type_sizes;

use anyhow::{Result, bail};
use std::path::{Path, PathBuf};
use std::time::Instant;

const HELP: &str = "\
cargo xtask <job>

  serve          install missing tools, build the book and serve it at http://localhost:3000
  test [WORD..]  install missing tools, then run every check (what CI runs);
                 with words, only the steps whose names contain one (e.g. `test pdf`)
  bless          rewrite the checked files from fresh runs: every output.txt, the compiler's
                 messages (listings/compile-fail/*.stderr), Miri's outputs (miri-output.txt) and
                 the type layouts of rustc -Zprint-type-sizes (type-sizes.txt)
  bench [WORD..] run the benchmarks (listings, kernel, runner) and rewrite the tables in
                 src/generated/, and check mdbook build's 3 s budget (build); with words, only
                 the parts whose names contain one (e.g. `bench runner`)
  miri           run under Miri the listings it checks (the step `listings under Miri`)
  pdf            build the offline PDF into book/pdf/ with headless Chromium
  install-tools  install the pinned tools from ci/tools.toml and the book's own from tools/
  kernel         run|test|bench: boot the companion kernel in QEMU, test it or measure it
  assets         rebuild the generated theme files: theme/highlight.js (the chapters' languages
                 only) and theme/fonts/ (mdBook's fonts subset to the characters the book uses)
  lighthouse [--pages WORD..] [--runs N] [--anchor DIR [--anchor-pages WORD..]]
                 measure every page with the pinned Lighthouse (mobile, simulated throttling,
                 served with gzip; median of N runs, 3 by default) and write the table to
                 target/lighthouse/report.md, beside the Async Book's figures (measured from
                 the built mdBook folder DIR, its pages chosen by --anchor-pages, or those
                 recorded in issue 18)
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
        "bless" => listings::bless(&root)
            .and_then(|()| compile_fail::bless(&root))
            .and_then(|()| miri::bless(&root))
            .and_then(|()| type_sizes::bless(&root)),
        "bench" => bench_job(&root, rest),
        "pdf" => tools::install(&root).and_then(|()| pdf::build(&root).map(|_| ())),
        "miri" => miri::check(&root),
        // Also Chromium, which tools/mdbook-diagrams draws mermaid's diagrams with.
        "install-tools" => tools::install(&root).and_then(|()| book::prepare(&root)),
        "kernel" => kernel::main(&root, rest),
        "assets" => highlight::generate(&root).and_then(|()| fonts::generate(&root)),
        "lighthouse" => lighthouse::main(&root, rest),
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => bail!("unknown job `{other}`\n\n{HELP}"),
    }
}

/// `cargo xtask bench [WORD..]`: every measurement, or only those whose names contain a word
/// (`cargo xtask bench runner` rewrites only the runner's table).
fn bench_job(root: &Path, words: &[String]) -> Result<()> {
    let parts: &[(&str, Step)] = &[
        ("listings", bench::write_tables),
        ("kernel", kernel::bench),
        ("runner", |root| runner::bench(root, false)),
        ("build", book::check_build_budget),
    ];
    let chosen = |name: &str| words.is_empty() || words.iter().any(|w| name.contains(w.as_str()));
    if !parts.iter().any(|(name, _)| chosen(name)) {
        let names: Vec<&str> = parts.iter().map(|(name, _)| *name).collect();
        bail!(
            "no benchmark matches {words:?}; they are: {}",
            names.join(", ")
        );
    }
    for (name, part) in parts {
        if chosen(name) {
            part(root)?;
        }
    }
    Ok(())
}

/// One check of `cargo xtask test`.
type Step = fn(&Path) -> Result<()>;

/// Every check, cheapest first; the first failure stops the run.
fn test(root: &Path, args: &[String]) -> Result<()> {
    // `cargo xtask test pdf browser` runs only the steps whose names contain one of the words.
    let chosen =
        |name: &str| args.is_empty() || args.iter().any(|word| name.contains(word.as_str()));
    tools::install(root)?;
    let steps: &[(&str, Step)] = &[
        ("format, lints and spelling", |root| {
            tools::lint(root).and_then(|()| lighthouse::check_pins(root))
        }),
        ("includes and listings", |root| {
            includes::check(root).and_then(|()| highlight::check(root))
        }),
        ("listing tests", listings::test),
        ("listing outputs", listings::check_outputs),
        ("benchmarks, quick mode", |root| {
            bench::check_quick(root).and_then(|()| runner::bench(root, true))
        }),
        ("listings under Miri", miri::check),
        ("type layouts (rustc -Zprint-type-sizes)", type_sizes::check),
        (
            "compiler messages (compile_fail .stderr)",
            compile_fail::check,
        ),
        ("code in the chapters (mdbook test)", book::test),
        ("book build and links", |root| {
            book::build_and_check_links(root)
                .and_then(|()| fonts::check(root, &root.join("book/html")))
        }),
        ("offline PDF", pdf::test),
        ("the book in a browser", browser::test),
        ("kernel in QEMU", kernel::test),
    ];
    if !steps.iter().any(|(name, _)| chosen(name)) {
        let names: Vec<&str> = steps.iter().map(|(name, _)| *name).collect();
        bail!(
            "no step matches {args:?}; the steps are: {}",
            names.join(", ")
        );
    }
    for (index, (name, step)) in steps.iter().enumerate() {
        if !chosen(name) {
            continue;
        }
        section(&format!("[{}/{}] {name}", index + 1, steps.len()));
        let started = Instant::now();
        step(root)?;
        eprintln!("ok: {name} ({:.1} s)", started.elapsed().as_secs_f64());
    }
    if args.is_empty() {
        section("all checks passed");
    } else {
        section("the chosen checks passed (run without arguments for all of them)");
    }
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
