//! Reads `src/SUMMARY.md`: the written chapters in order, each with the part it belongs to.

use anyhow::{Context, Result};
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct Chapter {
    /// The file under `src/`, e.g. `ch05-00-the-future-trait.md`.
    pub file: String,
    /// The part heading above it (`# Part II — Futures`), if any.
    pub part: Option<String>,
    /// The chapter's own first heading, as its page shows it (Markdown backticks removed).
    pub heading: String,
}

/// The chapters that have a page (draft entries `- [Title]()` are skipped).
pub fn chapters(src: &Path) -> Result<Vec<Chapter>> {
    let text =
        std::fs::read_to_string(src.join("SUMMARY.md")).context("cannot read src/SUMMARY.md")?;
    let mut part = None;
    let mut chapters = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(title) = trimmed.strip_prefix("# ") {
            if title != "Summary" {
                part = Some(plain(title));
            }
            continue;
        }
        if trimmed == "---" {
            part = None; // back matter follows the separator
            continue;
        }
        let Some(start) = trimmed.find("](") else {
            continue;
        };
        let Some(end) = trimmed[start..].find(')') else {
            continue;
        };
        let file = &trimmed[start + 2..start + end];
        if file.is_empty() {
            continue;
        }
        let heading = first_heading(&src.join(file))?;
        chapters.push(Chapter {
            file: file.to_string(),
            part: part.clone(),
            heading,
        });
    }
    Ok(chapters)
}

fn first_heading(file: &Path) -> Result<String> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("SUMMARY.md lists {}, which cannot be read", file.display()))?;
    text.lines()
        .find_map(|l| l.strip_prefix("# "))
        .map(plain)
        .with_context(|| format!("{} has no `# ` heading", file.display()))
}

/// Heading text as a reader sees it: no Markdown backticks, single spaces, and straight quotes
/// (mdBook's smart punctuation curls them on the page).
pub fn plain(markdown: &str) -> String {
    markdown
        .replace('`', "")
        .replace(['\u{2018}', '\u{2019}'], "'")
        .replace(['\u{201C}', '\u{201D}'], "\"")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_of_headings() {
        assert_eq!(plain("The `Future`  Trait"), "The Future Trait");
        assert_eq!(
            plain("Rust\u{2019}s \u{201C}Choice\u{201D}"),
            "Rust's \"Choice\""
        );
    }
}
