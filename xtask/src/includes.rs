//! Checks that tie chapters to listings: every `{{#include}}` / `{{#rustdoc_include}}` names a
//! file and anchor that exist, every listing crate is shown by some chapter, and every listing is
//! checked by something (a test, an output.txt, or a benchmark) and opens each of its files with a
//! `//!` header; every `compile_fail` block is a file of `listings/compile-fail/` followed by its
//! compiler message.

use crate::files::files_with_extension;
use crate::listings::{self, relative};
use anyhow::{Context, Result, bail};
use regex::Regex;
use std::path::Path;

pub fn check(root: &Path) -> Result<()> {
    let mut problems = Vec::new();
    let mut included = Vec::new();
    for chapter in files_with_extension(&root.join("src"), "md")? {
        let text = std::fs::read_to_string(&chapter)
            .with_context(|| format!("cannot read {}", chapter.display()))?;
        for include in find_includes(&text) {
            let at = format!("{}:{}", relative(root, &chapter), include.line);
            let file = chapter.parent().unwrap_or(root).join(&include.path);
            match std::fs::read_to_string(&file) {
                Err(_) => problems.push(format!(
                    "{at}: {{{{#{} {}}}}} names a file that does not exist",
                    include.kind, include.path
                )),
                Ok(body) => {
                    if let Some(anchor) = &include.anchor
                        && !has_anchor(&body, anchor)
                    {
                        problems.push(format!(
                            "{at}: {} has no `ANCHOR: {anchor}` … `ANCHOR_END: {anchor}` pair",
                            include.path
                        ));
                    }
                    included.push(file.canonicalize().unwrap_or(file));
                }
            }
        }
    }
    let (listings, _) = listings::discover(root)?;
    for listing in &listings {
        let dir = listing.dir.canonicalize().unwrap_or(listing.dir.clone());
        if !included.iter().any(|file| file.starts_with(&dir)) {
            problems.push(format!(
                "{}: no chapter includes any file of this listing",
                relative(root, &listing.dir)
            ));
        }
        if !listing.dir.join("output.txt").exists()
            && listing.meta.bench.is_none()
            && !has_tests(&listing.dir)?
        {
            problems.push(format!(
                "{}: nothing checks this listing (give it a #[test], an output.txt or a bench)",
                relative(root, &listing.dir)
            ));
        }
        for file in files_with_extension(&listing.dir, "rs")? {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            if let Some(problem) = header_problem(&text) {
                problems.push(format!("{}:1: {problem}", relative(root, &file)));
            }
        }
    }
    // Code that must not compile is shown with the compiler's message (see compile_fail.rs).
    problems.extend(crate::compile_fail::check_chapters(root)?);
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    eprintln!(
        "{} includes resolve; {} listings are each shown and checked; \
         every compile_fail block shows its message",
        included.len(),
        listings.len()
    );
    Ok(())
}

#[derive(Debug, PartialEq)]
struct Include {
    line: usize,
    kind: String,
    path: String,
    anchor: Option<String>,
}

fn find_includes(text: &str) -> Vec<Include> {
    let pattern = Regex::new(r"(\\?)\{\{#(include|rustdoc_include|playground)\s+([^\s}]+)")
        .expect("valid pattern");
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for capture in pattern.captures_iter(line) {
            if &capture[1] == "\\" {
                continue; // an escaped include, shown literally
            }
            let spec = &capture[3];
            let (path, selector) = match spec.split_once(':') {
                Some((path, selector)) => (path, Some(selector)),
                None => (spec, None),
            };
            // `file:12` and `file:3:9` select lines; anything else names an anchor.
            let anchor = selector
                .filter(|s| {
                    !s.split(':')
                        .all(|part| part.chars().all(|c| c.is_ascii_digit()))
                })
                .map(str::to_string);
            found.push(Include {
                line: index + 1,
                kind: capture[2].to_string(),
                path: path.to_string(),
                anchor,
            });
        }
    }
    found
}

fn has_anchor(body: &str, anchor: &str) -> bool {
    let begins = Regex::new(&format!(r"ANCHOR:\s*{}\b", regex::escape(anchor))).expect("pattern");
    let ends = Regex::new(&format!(r"ANCHOR_END:\s*{}\b", regex::escape(anchor))).expect("pattern");
    begins.is_match(body) && ends.is_match(body)
}

/// What is wrong with the first line of a listing's Rust file, if anything: every one opens with
/// a `//!` comment saying what the file is for, the one header style of the book's listings.
fn header_problem(text: &str) -> Option<&'static str> {
    let first = text.lines().next().unwrap_or("");
    if first.starts_with("//!") {
        None
    } else if first.starts_with("//") && !first.contains("ANCHOR") {
        Some("the header is a `//` comment; write it with `//!` (inner doc comment lines)")
    } else {
        Some("the file does not open with a `//!` header saying what it is for")
    }
}

/// Whether any Rust file below `dir` has a `#[test]`.
pub fn has_tests(dir: &Path) -> Result<bool> {
    for file in files_with_extension(dir, "rs")? {
        if std::fs::read_to_string(&file)?.contains("#[test]") {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_paths_anchors_and_line_ranges() {
        let text = "intro\n{{#rustdoc_include ../listings/a/src/main.rs:state}}\n\
                    {{#include ../x.txt:3:9}} and \\{{#include skipped.md}}\n{{#include y.md}}";
        let found = find_includes(text);
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].path, "../listings/a/src/main.rs");
        assert_eq!(found[0].anchor.as_deref(), Some("state"));
        assert_eq!((found[1].line, found[1].anchor.as_deref()), (3, None));
        assert_eq!(found[2].path, "y.md");
    }

    #[test]
    fn a_listing_header_is_an_inner_doc_comment() {
        assert_eq!(header_problem("//! A countdown.\nfn main() {}\n"), None);
        assert!(
            header_problem("// A countdown.\nfn main() {}\n")
                .unwrap()
                .contains("`//!`")
        );
        assert!(header_problem("// ANCHOR: all\nfn main() {}\n").is_some());
        assert!(header_problem("\n//! late\n").is_some());
        assert!(header_problem("").is_some());
    }

    #[test]
    fn anchors_need_both_ends() {
        assert!(has_anchor("// ANCHOR: run\nx\n// ANCHOR_END: run\n", "run"));
        assert!(!has_anchor("// ANCHOR: run\nx\n", "run"));
        assert!(!has_anchor(
            "// ANCHOR: running\n// ANCHOR_END: running",
            "run"
        ));
    }
}
