//! `cargo xtask`: the one front door for readers, contributors and CI.
//! Run `cargo xtask help` for the list of jobs (defined in cli.rs).

mod bench;
mod book;
mod book_deps;
mod book_toml;
mod browser;
mod cli;
mod cmd;
mod compile_fail;
mod files;
mod fonts;
mod highlight;
mod i18n;
mod imports;
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
mod search_index;
mod site;
mod summary;
mod tools;
mod type_sizes;
mod workspace;

use anyhow::{Result, bail};
use cli::Job;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn main() {
    // A misspelt job or option ends here, with clap's message and a suggestion.
    let cli = <cli::Cli as clap::Parser>::parse();
    let started = Instant::now();
    match run(cli.job) {
        Ok(()) => {}
        Err(error) => {
            eprintln!("\n\x1b[1;31merror:\x1b[0m {error:#}");
            eprintln!("(after {:.0} s)", started.elapsed().as_secs_f64());
            std::process::exit(1);
        }
    }
}

fn run(job: Job) -> Result<()> {
    let root = project_root();
    match job {
        Job::Serve => site::serve(&root),
        Job::TranslationsRenderer => site::render_translations(&root),
        Job::Test { words } => test(&root, &words),
        Job::Bless => listings::bless(&root)
            .and_then(|()| compile_fail::bless(&root))
            .and_then(|()| miri::bless(&root))
            .and_then(|()| type_sizes::bless(&root)),
        Job::Bench { words } => bench_job(&root, &words),
        Job::Pdf => tools::install(&root).and_then(|()| site::publish(&root)),
        Job::Miri => miri::check(&root),
        // Also Chromium, which tools/mdbook-diagrams draws mermaid's diagrams with.
        Job::InstallTools => tools::install(&root).and_then(|()| book::prepare(&root)),
        Job::Kernel { job } => kernel::main(&root, job),
        Job::Assets => highlight::generate(&root).and_then(|()| fonts::generate(&root)),
        Job::Lighthouse(options) => lighthouse::main(&root, &options),
        Job::I18n { job } => match job {
            cli::I18nJob::Extract => i18n::extract(&root),
            cli::I18nJob::Update => i18n::update(&root),
        },
    }
}

/// `cargo xtask bench [WORD..]`: every measurement, or only those whose names contain a word
/// (`cargo xtask bench runner` rewrites only the runner's table).
fn bench_job(root: &Path, words: &[String]) -> Result<()> {
    let parts: &[(&str, Step)] = &[
        ("listings", bench::write_tables),
        ("kernel", kernel::bench),
        ("runner", |root| runner::bench(root, false)),
        ("build", book::measure_build),
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
    // `cargo xtask test PDF browser` runs only the steps whose names contain one of the words
    // (case-sensitive: "offline PDF", "the book in a browser").
    let chosen =
        |name: &str| args.is_empty() || args.iter().any(|word| name.contains(word.as_str()));
    let steps: &[(&str, Step)] = &[
        ("format, lints and spelling", |root| {
            tools::lint(root)
                .and_then(|()| imports::check(root))
                .and_then(|()| lighthouse::check_pins(root))
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
                .and_then(|()| search_index::check(root, &root.join("book/html")))
        }),
        ("translated editions (po/)", |root| {
            i18n::check(root)
                .and_then(|()| search_index::check_editions(root))
                .and_then(|()| site::check_serve(root))
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
    // Only once the words are known to choose a step: installing can take minutes.
    tools::install(root)?;
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
