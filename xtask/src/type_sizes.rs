//! Type layouts the chapters quote. A listing's `type-sizes.txt` holds, for a few of its types,
//! the lines that `rustc -Zprint-type-sizes` (nightly only) prints about them: the header
//! `print-type-size type: `NAME`: …` and the indented lines under it. The check compiles the
//! listing again with that flag and compares the same types' lines; `cargo xtask bless`
//! rewrites them. Which types are kept is up to the file: add a header line to add a type.

use crate::cmd::Cmd;
use crate::listings::{self, Listing, normalize, relative, unified_diff};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::time::Duration;

const FILE: &str = "type-sizes.txt";
const HEADER: &str = "print-type-size type: `";

/// A step of `cargo xtask test`.
pub fn check(root: &Path) -> Result<()> {
    let chosen = chosen(root)?;
    for listing in &chosen {
        let file = listing.dir.join(FILE);
        let expected = read(&file)?;
        let actual = current(root, listing, &expected)?;
        if normalize(&expected) != normalize(&actual) {
            bail!(
                "{}: the layout rustc prints for these types changed\n{}\nIf the new layout is \
                 right, run `cargo xtask bless`, review the diff and what the chapter says about it.",
                relative(root, &file),
                unified_diff(&expected, &actual, FILE, "rustc -Zprint-type-sizes")
            );
        }
    }
    eprintln!("{} type-sizes.txt files match the compiler", chosen.len());
    Ok(())
}

/// `cargo xtask bless`: rewrites each `type-sizes.txt` for the types it already names.
pub fn bless(root: &Path) -> Result<()> {
    for listing in chosen(root)? {
        let file = listing.dir.join(FILE);
        let expected = read(&file)?;
        let actual = current(root, &listing, &expected)?;
        if expected != actual {
            std::fs::write(&file, &actual)
                .with_context(|| format!("cannot write {}", file.display()))?;
            eprintln!("blessed {}", relative(root, &file));
        }
    }
    Ok(())
}

fn chosen(root: &Path) -> Result<Vec<Listing>> {
    let (listings, _) = listings::discover(root)?;
    Ok(listings
        .into_iter()
        .filter(|listing| listing.dir.join(FILE).exists())
        .collect())
}

fn read(file: &Path) -> Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
}

/// The compiler's lines for the types `expected` names, in the same order.
fn current(root: &Path, listing: &Listing, expected: &str) -> Result<String> {
    let names = type_names(expected);
    if names.is_empty() {
        bail!(
            "{}: names no type (no line starting with `{HEADER}`)",
            listing.dir.join(FILE).display()
        );
    }
    let printed = print_type_sizes(root, listing)?;
    let mut out = String::new();
    for name in names {
        let block = block_of(&printed, &name).with_context(|| {
            format!(
                "{}: rustc -Zprint-type-sizes no longer prints the type `{name}`",
                listing.dir.join(FILE).display()
            )
        })?;
        out.push_str(&block);
    }
    Ok(out)
}

/// The names of the types whose header lines `text` holds.
fn type_names(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix(HEADER)?.split_once("`:"))
        .map(|(name, _)| name.to_string())
        .collect()
}

/// The header line of type `name` and the indented lines under it.
fn block_of(printed: &str, name: &str) -> Option<String> {
    let header = format!("{HEADER}{name}`:");
    let mut lines = printed
        .lines()
        .skip_while(|line| !line.starts_with(&header));
    let mut block = format!("{}\n", lines.next()?);
    for line in lines.take_while(|line| !line.starts_with(HEADER)) {
        block.push_str(line);
        block.push('\n');
    }
    Some(block)
}

/// Everything `-Zprint-type-sizes` prints for the listing's binary. A target folder of its own
/// keeps the flag away from the normal builds, and a fresh one makes sure rustc runs (cargo
/// prints nothing for a crate that is up to date).
fn print_type_sizes(root: &Path, listing: &Listing) -> Result<String> {
    let binary = listing
        .binary
        .as_ref()
        .with_context(|| format!("{}: has a {FILE} but no binary", listing.dir.display()))?;
    Cmd::new("rustc")
        .args(["+nightly", "--version"])
        .quiet()
        .read()
        .context(
            "-Zprint-type-sizes needs the nightly toolchain: run `rustup toolchain install \
             nightly --profile minimal`, then this again",
        )?;
    let target: PathBuf = root.join("target").join("type-sizes");
    let _ = std::fs::remove_dir_all(&target);
    Cmd::new("cargo")
        .args([
            "+nightly",
            "rustc",
            "--quiet",
            "-p",
            &listing.name,
            "--bin",
            binary,
        ])
        .arg("--target-dir")
        .arg(&target)
        .args(["--", "-Zprint-type-sizes"])
        .dir(root)
        .timeout(Duration::from_secs(10 * 60))
        .quiet()
        .read()
        .with_context(|| format!("rustc -Zprint-type-sizes on {}", listing.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRINTED: &str = "\
print-type-size type: `{async fn body of f()}`: 3 bytes, alignment: 1 bytes
print-type-size     discriminant: 1 bytes
print-type-size     variant `Suspend0`: 2 bytes
print-type-size type: `std::task::Poll<()>`: 1 bytes, alignment: 1 bytes
print-type-size     discriminant: 1 bytes
";

    #[test]
    fn a_block_ends_at_the_next_type() {
        let block = block_of(PRINTED, "{async fn body of f()}").unwrap();
        assert_eq!(block.lines().count(), 3);
        assert_eq!(type_names(&block), ["{async fn body of f()}"]);
    }

    #[test]
    fn a_type_that_is_not_printed_is_none() {
        assert_eq!(block_of(PRINTED, "{async fn body of g()}"), None);
    }
}
