//! Experiments a chapter asks the reader to try under Miri: a listing changed on purpose (one
//! piece of text replaced by another), run under Miri in a copy of its own, where Miri must stop
//! with an error. What it prints, Miri's error included, is kept in `miri-NAME.txt` beside the
//! listing for the chapter to show, so the chapter's account of the mistake is checked too.
//!
//! ```toml
//! [[package.metadata.book.miri-experiment]]
//! name = "borrow-in-wake"   # the output goes to miri-borrow-in-wake.txt
//! file = "src/main.rs"
//! replace = "unsafe { Arc::from_raw(data.cast::<Counts>()) }"   # must occur exactly once
//! with = "unsafe { &*data.cast::<Counts>() }"
//! ```

use crate::cmd::Cmd;
use crate::listings::{Experiment, Listing, relative, unified_diff};
use anyhow::{Context, Result, bail};
use regex::Regex;
use std::path::Path;
use std::sync::LazyLock;
use std::time::Duration;

/// Runs each experiment of `listing`, each run limited to `timeout` (miri.rs's, as for the
/// listings); checks its output file, or rewrites it when `bless`. Returns the mismatches.
pub fn run_all(
    root: &Path,
    listing: &Listing,
    bless: bool,
    timeout: Duration,
) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for experiment in &listing.meta.miri_experiment {
        let actual = run(root, listing, experiment, timeout)?;
        let file = listing.dir.join(format!("miri-{}.txt", experiment.name));
        let name = relative(root, &file);
        let expected = std::fs::read_to_string(&file).unwrap_or_default();
        if expected == actual {
            continue;
        }
        if bless {
            std::fs::write(&file, &actual).with_context(|| format!("cannot write {name}"))?;
            eprintln!("blessed {name}");
        } else {
            problems.push(format!(
                "{name}: Miri reports something else for the experiment `{}` of {}\n{}",
                experiment.name,
                listing.name,
                unified_diff(&expected, &actual, &name, "under Miri")
            ));
        }
    }
    Ok(problems)
}

/// The changed listing's stdout, then Miri's normalised report.
fn run(
    root: &Path,
    listing: &Listing,
    experiment: &Experiment,
    timeout: Duration,
) -> Result<String> {
    let at = format!("{} (experiment `{}`)", listing.name, experiment.name);
    let copy = root
        .join("target/miri-experiments")
        .join(format!("{}-{}", listing.name, experiment.name));
    let _ = std::fs::remove_dir_all(&copy);
    for file in crate::files::files_with_extension(&listing.dir.join("src"), "rs")? {
        let inside = file.strip_prefix(&listing.dir)?;
        std::fs::create_dir_all(copy.join(inside).parent().context("a file has a folder")?)?;
        std::fs::copy(&file, copy.join(inside))?;
    }
    std::fs::write(copy.join("Cargo.toml"), manifest(root, listing)?)?;
    let changed = copy.join(&experiment.file);
    let text = std::fs::read_to_string(&changed)
        .with_context(|| format!("{at}: no file {}", experiment.file))?;
    let count = text.matches(&experiment.replace).count();
    if count != 1 {
        bail!(
            "{at}: the text to replace occurs {count} times in {} (it must occur once)",
            experiment.file
        );
    }
    std::fs::write(
        &changed,
        text.replace(&experiment.replace, &experiment.with),
    )?;
    let out = Cmd::new("cargo")
        .args(["+nightly", "miri", "run", "--quiet", "--manifest-path"])
        .arg(copy.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(root.join("target/miri-experiments/target"))
        .dir(root)
        .timeout(timeout)
        .capture()?;
    if out.status.success() {
        bail!("{at}: Miri finds nothing wrong, but the chapter says it stops with an error");
    }
    Ok(format!("{}{}", out.stdout, normalise(&out.stderr)))
}

/// A manifest for the copy: a workspace of its own, with the book's edition. The listing may not
/// have dependencies (none of the experiments needs one).
fn manifest(root: &Path, listing: &Listing) -> Result<String> {
    let path = listing.dir.join("Cargo.toml");
    let original: toml::Value = toml::from_str(&std::fs::read_to_string(&path)?)
        .with_context(|| format!("{} is not valid TOML", path.display()))?;
    if original
        .get("dependencies")
        .and_then(toml::Value::as_table)
        .is_some_and(|deps| !deps.is_empty())
    {
        bail!(
            "{}: a listing with a Miri experiment may not have dependencies",
            path.display()
        );
    }
    let edition = crate::book_toml::read(root)?.edition()?;
    Ok(format!(
        "[package]\nname = \"{}\"\nversion = \"0.1.0\"\nedition = \"{edition}\"\npublish = false\n\n\
         [workspace]\n",
        listing.name
    ))
}

/// Replaces what changes between machines and toolchains: the standard library's folder and
/// line numbers in it, allocation numbers, and the standard library's source lines that Miri
/// quotes (the lines of the book's own code, and every message, stay).
fn normalise(stderr: &str) -> String {
    static RUST: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\S*/lib/rustlib/src/rust/(\S+?):\d+:\d+(: \d+:\d+)?").expect("pattern")
    });
    static ALLOC: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\balloc\d+\b").expect("pattern"));
    static QUOTED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\s*\d*\s*\|").expect("pattern"));
    let text = RUST.replace_all(stderr, "$$RUST/$1:LL:COL");
    let text = ALLOC.replace_all(&text, "ALLOC");
    let mut lines = Vec::new();
    let mut in_std = false;
    for line in text.lines() {
        if line.trim_start().starts_with("-->") {
            in_std = line.contains("$RUST/");
        } else if QUOTED.is_match(line) {
            if in_std {
                continue;
            }
        } else {
            in_std = false;
        }
        lines.push(line.trim_end());
    }
    lines.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_library_quotes_and_numbers_are_replaced_the_books_lines_stay() {
        let stderr = "error: memory leaked: alloc657 (Rust heap, size: 48, align: 8), allocated here:\n\
   --> /root/.rustup/toolchains/nightly-x86_64-unknown-linux-gnu/lib/rustlib/src/rust/library/alloc/src/sync.rs:427:25\n\
    |\n\
427 |           let x: Box<_> = Box::new(ArcInner {\n\
    | |__________^\n\
    = note: stack backtrace:\n\
                at /root/.rustup/toolchains/nightly/lib/rustlib/src/rust/library/alloc/src/sync.rs:427:25: 431:11\n\
   --> src/main.rs:85:18\n\
 85 |     let counts = Arc::new(Counts::default());\n";
        assert_eq!(
            normalise(stderr),
            "error: memory leaked: ALLOC (Rust heap, size: 48, align: 8), allocated here:\n\
   --> $RUST/library/alloc/src/sync.rs:LL:COL\n\
    = note: stack backtrace:\n\
                at $RUST/library/alloc/src/sync.rs:LL:COL\n\
   --> src/main.rs:85:18\n\
 85 |     let counts = Arc::new(Counts::default());\n"
        );
    }
}
