//! The listings' hidden lines, which pages fetch when a reader needs them, put into the book.
//!
//! tools/mdbook-hidden-lines (a preprocessor) takes the hidden lines out of the chapters and
//! stages what restores them in `<build-dir>/hidden-lines/`: it cannot write into
//! `<build-dir>/html/`, which mdBook's HTML renderer empties when it starts. This job copies the
//! staged files to `<build-dir>/html/hidden-lines/` and fails the build, naming the page, when a
//! page refers to a file that was not staged. A page refers to one by a class of a block's
//! `<code>`, `hidden-lines=<name>:<count>:<ranges>`, where `<name>` is 16 hex digits and `.txt`
//! (the format is documented at the top of tools/mdbook-hidden-lines/src/main.rs). When nothing
//! is staged (the preprocessor is not installed), it does nothing.

use crate::pages::Page;
use anyhow::{Context, Result, bail};
use std::collections::BTreeSet;
use std::path::Path;

pub const FOLDER: &str = "hidden-lines";

/// Copies what is staged in `build_dir` into `html` and checks every page's references; returns
/// how many files were staged, or `None` when nothing was.
pub fn finish(build_dir: &Path, html: &Path, pages: &[Page]) -> Result<Option<usize>> {
    let staged = build_dir.join(FOLDER);
    if !staged.is_dir() {
        return Ok(None);
    }
    let target = html.join(FOLDER);
    std::fs::create_dir_all(&target)
        .with_context(|| format!("cannot create {}", target.display()))?;
    let mut names = BTreeSet::new();
    for entry in
        std::fs::read_dir(&staged).with_context(|| format!("cannot list {}", staged.display()))?
    {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .with_context(|| format!("{}: a file name that is not UTF-8", path.display()))?
            .to_string();
        if !path.is_file() {
            bail!(
                "{}: expected only files in {}",
                path.display(),
                staged.display()
            );
        }
        std::fs::copy(&path, target.join(&name))
            .with_context(|| format!("cannot copy {} to {}", path.display(), target.display()))?;
        names.insert(name);
    }
    for page in pages {
        for name in references(&page.html) {
            if !names.contains(name) {
                bail!(
                    "{} refers to {FOLDER}/{name}, which tools/mdbook-hidden-lines did not stage in {}",
                    page.name,
                    staged.display()
                );
            }
        }
    }
    Ok(Some(names.len()))
}

/// The names of the staged files an HTML page refers to, each once per reference: every
/// `hidden-lines=<16 hex digits>.txt:`.
fn references(html: &str) -> Vec<&str> {
    const NAME: usize = 16 + ".txt".len();
    let pattern = format!("{FOLDER}=");
    html.match_indices(&pattern)
        .filter_map(|(at, _)| {
            let name = html.get(at + pattern.len()..at + pattern.len() + NAME)?;
            let (hash, extension) = name.split_at(16);
            let valid = hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                && extension == ".txt"
                && html[at + pattern.len() + NAME..].starts_with(':');
            valid.then_some(name)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0123456789abcdef.txt";
    const B: &str = "fedcba9876543210.txt";

    #[test]
    fn finds_the_classes_that_name_a_file_and_not_prose() {
        let html = "<pre><code class=\"language-rust hidden-lines=0123456789abcdef.txt:3:0-1\">\
            <pre><code class=\"language-rust hidden-lines=fedcba9876543210.txt:9:0-1_5-8 x\">\
            <p><code>hidden-lines=&lt;name&gt;:&lt;count&gt;</code>, <code>hidden-lines=</code> and \
            <code>hidden-lines/0123456789abcdef.txt</code></p>";
        assert_eq!(references(html), [A, B]);
    }

    #[test]
    fn copies_the_staged_files_and_fails_naming_a_page_that_refers_to_a_missing_one() {
        let build = std::env::temp_dir().join(format!("mdbook-finish-test-{}", std::process::id()));
        let html = build.join("html");
        std::fs::create_dir_all(build.join(FOLDER)).unwrap();
        std::fs::create_dir_all(&html).unwrap();
        std::fs::write(build.join(FOLDER).join(A), "fn main() {}\n").unwrap();
        let page = |name: &str, html: &str| Page {
            name: name.to_string(),
            path: build.join(name),
            html: html.to_string(),
            changed: false,
        };
        let good = page(
            "ch01.html",
            &format!("<code class=\"hidden-lines={A}:1:0-0\">"),
        );
        assert_eq!(finish(&build, &html, &[good]).unwrap(), Some(1));
        assert_eq!(
            std::fs::read_to_string(html.join(FOLDER).join(A)).unwrap(),
            "fn main() {}\n"
        );
        let bad = page(
            "ch02.html",
            &format!("<code class=\"hidden-lines={B}:1:0-0\">"),
        );
        let error = finish(&build, &html, &[bad]).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!("ch02.html refers to hidden-lines/{B}")),
            "{error}"
        );
        std::fs::remove_dir_all(&build).unwrap();
        // Nothing staged: nothing to do.
        assert_eq!(finish(&build, &html, &[]).unwrap(), None);
    }
}
