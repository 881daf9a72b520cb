//! `src/SUMMARY.md` as mdBook reads it: parsed by mdBook's own parser (the `mdbook-summary` crate
//! of the pinned mdBook 0.5.4), so what the checks walk is what mdBook renders. `entries` keeps
//! every item in order (chapters numbered or not, drafts, part titles, separators); `chapters` the
//! written ones; `write_json` hands the same reading to the browser suite (tests/browser/).

use anyhow::{Context, Result};
use mdbook_summary::{Link, SummaryItem, parse_summary};
use serde::Serialize;
use std::path::Path;

/// One item of SUMMARY.md, in the order mdBook shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Entry {
    /// A written chapter: it has a page.
    Chapter(Chapter),
    /// `- [Title]()`: listed, not written yet, no page.
    Draft {
        title: String,
        number: Option<String>,
        part: Option<String>,
    },
    /// `# Part I — …`, above numbered chapters.
    Part { title: String },
    /// `---`.
    Separator,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chapter {
    /// The link's text in SUMMARY.md, as mdBook shows it in the sidebar (Markdown removed).
    pub title: String,
    /// The file under `src/`, e.g. `ch05-00-the-future-trait.md`.
    #[serde(rename = "md")]
    pub file: String,
    /// Its page in the built book, e.g. `ch05-00-the-future-trait.html`.
    pub html: String,
    /// Its section number (`5.`, `5.1.`), or none before and after the numbered chapters.
    pub number: Option<String>,
    /// 0 for an entry of the top level, 1 for one nested under it, and so on.
    pub depth: usize,
    /// The part heading above it (`Part II — Futures`): none before the first part and for the
    /// chapters after the numbered ones (the back matter after `---`).
    pub part: Option<String>,
    /// The chapter's own first heading, as its page shows it (Markdown backticks removed).
    pub heading: String,
}

/// Every entry of `<src>/SUMMARY.md`, in order, nested ones after their parent.
pub fn entries(src: &Path) -> Result<Vec<Entry>> {
    let path = src.join("SUMMARY.md");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    from_markdown(&text, src).with_context(|| format!("{}", path.display()))
}

/// The chapters that have a page, in order (drafts left out).
pub fn chapters(src: &Path) -> Result<Vec<Chapter>> {
    Ok(entries(src)?
        .into_iter()
        .filter_map(|entry| match entry {
            Entry::Chapter(chapter) => Some(chapter),
            _ => None,
        })
        .collect())
}

/// Writes `entries` as JSON (`{"entries": [{"kind": "chapter", "title", "md", "html", …}, …]}`)
/// for the browser suite, which reads SUMMARY.md through it.
pub fn write_json(src: &Path, out: &Path) -> Result<()> {
    #[derive(Serialize)]
    struct Summary {
        entries: Vec<Entry>,
    }
    let json = serde_json::to_string_pretty(&Summary {
        entries: entries(src)?,
    })?;
    std::fs::write(out, json + "\n").with_context(|| format!("cannot write {}", out.display()))
}

fn from_markdown(text: &str, src: &Path) -> Result<Vec<Entry>> {
    // mdBook's error names no file: the caller adds it.
    let summary = parse_summary(text).map_err(|error| anyhow::anyhow!("{error:#}"))?;
    let mut entries = Vec::new();
    // Part titles stand only among the numbered chapters: the chapters before and after them
    // (the back matter after `---`) belong to no part.
    let mut add = |items: &[SummaryItem]| -> Result<()> {
        let mut part = None;
        for item in items {
            match item {
                SummaryItem::PartTitle(title) => {
                    part = Some(plain(title));
                    entries.push(Entry::Part {
                        title: plain(title),
                    });
                }
                SummaryItem::Separator => entries.push(Entry::Separator),
                SummaryItem::Link(link) => add_link(&mut entries, link, 0, &part, src)?,
                // SummaryItem is non-exhaustive: a kind a later mdBook adds must be handled here.
                other => anyhow::bail!("an entry this parser does not know: {other:?}"),
            }
        }
        Ok(())
    };
    add(&summary.prefix_chapters)?;
    add(&summary.numbered_chapters)?;
    add(&summary.suffix_chapters)?;
    Ok(entries)
}

fn add_link(
    entries: &mut Vec<Entry>,
    link: &Link,
    depth: usize,
    part: &Option<String>,
    src: &Path,
) -> Result<()> {
    let number = link.number.as_ref().map(ToString::to_string);
    entries.push(match &link.location {
        None => Entry::Draft {
            title: link.name.clone(),
            number,
            part: part.clone(),
        },
        Some(location) => {
            let file = location.to_string_lossy().into_owned();
            Entry::Chapter(Chapter {
                title: link.name.clone(),
                html: html_page(&file),
                heading: first_heading(&src.join(&file))?,
                file,
                number,
                depth,
                part: part.clone(),
            })
        }
    });
    for item in &link.nested_items {
        match item {
            SummaryItem::Link(nested) => add_link(entries, nested, depth + 1, part, src)?,
            SummaryItem::Separator => entries.push(Entry::Separator),
            other => anyhow::bail!("an entry this parser does not know: {other:?}"),
        }
    }
    Ok(())
}

/// The page mdBook writes for a chapter's file: `.md` becomes `.html`, and a `README.md` becomes
/// its folder's `index.html` (mdBook's `index` preprocessor, on by default).
fn html_page(file: &str) -> String {
    let (dir, name) = file.rsplit_once('/').map_or(("", file), |(d, n)| (d, n));
    let stem = name.strip_suffix(".md").unwrap_or(name);
    let page = if stem.eq_ignore_ascii_case("readme") {
        "index".to_string()
    } else {
        stem.to_string()
    };
    if dir.is_empty() {
        format!("{page}.html")
    } else {
        format!("{dir}/{page}.html")
    }
}

fn first_heading(file: &Path) -> Result<String> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("SUMMARY.md lists {}, which cannot be read", file.display()))?;
    text.lines()
        .find_map(|l| l.strip_prefix("# "))
        .map(|heading| plain(without_attributes(heading)))
        .with_context(|| format!("{} has no `# ` heading", file.display()))
}

/// A heading without its attribute block (`# Title {#id}`: every heading of the book names its
/// anchor, which the page does not show).
fn without_attributes(heading: &str) -> &str {
    let heading = heading.trim_end();
    match heading.rfind(" {") {
        Some(at) if heading.ends_with('}') => heading[..at].trim_end(),
        _ => heading,
    }
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

    /// A book folder in target/ with the given SUMMARY.md and a page for each chapter it names.
    fn book(name: &str, summary: &str, files: &[&str]) -> std::path::PathBuf {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../target/summary-tests")
            .join(name);
        let _ = std::fs::remove_dir_all(&src);
        std::fs::create_dir_all(src.join("sub")).expect("folder");
        std::fs::write(src.join("SUMMARY.md"), summary).expect("SUMMARY.md");
        for file in files {
            let heading = format!("# Heading of `{file}` {{#heading}}\n\ntext\n");
            std::fs::write(src.join(file), heading).expect("chapter");
        }
        src
    }

    fn chapter(entry: &Entry) -> &Chapter {
        match entry {
            Entry::Chapter(chapter) => chapter,
            other => panic!("not a chapter: {other:?}"),
        }
    }

    #[test]
    fn every_kind_of_entry_in_mdbooks_order() {
        let src = book(
            "kinds",
            "# Summary\n\n[Intro](intro.md)\n\n# Part I — `Future`s\n\n- [One](one.md)\n    - [Nested](sub/README.md)\n- [Not yet]()\n\n---\n\n- [Two](two.md)\n\n# Part II\n\n- [Three](three.md)\n\n---\n\n[Glossary](glossary.md)\n[After](after.md)\n",
            &[
                "intro.md",
                "one.md",
                "sub/README.md",
                "two.md",
                "three.md",
                "glossary.md",
                "after.md",
            ],
        );
        let entries = entries(&src).expect("parses");
        let kinds: Vec<String> = entries
            .iter()
            .map(|e| match e {
                Entry::Chapter(c) => format!("{} {}", c.number.as_deref().unwrap_or("-"), c.file),
                Entry::Draft { title, number, .. } => {
                    format!("{} draft {title}", number.as_deref().unwrap_or("-"))
                }
                Entry::Part { title } => format!("part {title}"),
                Entry::Separator => "---".to_string(),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "- intro.md",
                "part Part I — Futures",
                "1. one.md",
                "1.1. sub/README.md",
                "2. draft Not yet",
                "---",
                "3. two.md",
                "part Part II",
                "4. three.md",
                "---",
                "- glossary.md",
                "- after.md",
            ]
        );
        let nested = chapter(&entries[3]);
        assert_eq!((nested.depth, nested.html.as_str()), (1, "sub/index.html"));
        assert_eq!(nested.heading, "Heading of sub/README.md");
        assert_eq!(nested.part.as_deref(), Some("Part I — Futures"));
        // A separator inside the numbered chapters keeps the part; mdBook's back matter after the
        // last `---` belongs to none.
        assert_eq!(
            chapter(&entries[6]).part.as_deref(),
            Some("Part I — Futures")
        );
        assert_eq!(chapter(&entries[10]).part, None);
        assert_eq!(chapter(&entries[11]).part, None);
        assert_eq!(chapter(&entries[0]).part, None);
        let written: Vec<String> = chapters(&src)
            .unwrap()
            .into_iter()
            .map(|c| c.html)
            .collect();
        assert_eq!(written.len(), 7, "the draft has no page: {written:?}");
    }

    #[test]
    fn json_for_the_browser_suite() {
        let src = book("json", "[Intro](intro.md)\n\n- [A `B`]()\n", &["intro.md"]);
        let out = src.join("summary.json");
        write_json(&src, &out).expect("writes");
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"entries": [
                {"kind": "chapter", "title": "Intro", "md": "intro.md", "html": "intro.html",
                 "number": null, "depth": 0, "part": null, "heading": "Heading of intro.md"},
                {"kind": "draft", "title": "A B", "number": "1.", "part": null},
            ]})
        );
    }

    #[test]
    fn a_missing_chapter_and_bad_markdown_are_named() {
        let src = book("missing", "- [Gone](gone.md)\n", &[]);
        let error = format!("{:#}", entries(&src).unwrap_err());
        assert!(
            error.contains("SUMMARY.md lists") && error.contains("gone.md"),
            "{error}"
        );
        let src = book(
            "bad",
            "- [One](one.md)\n\n[Prefix after numbered](one.md)\n\n- [x](one.md)\n",
            &["one.md"],
        );
        let error = format!("{:#}", entries(&src).unwrap_err());
        assert!(
            error.starts_with(&format!("{}", src.join("SUMMARY.md").display())),
            "{error}"
        );
    }

    #[test]
    fn the_books_summary_reads_as_before() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../src");
        let chapters = chapters(&src).expect("src/SUMMARY.md");
        assert_eq!(chapters[0].file, "introduction.md");
        assert_eq!(chapters[0].part, None);
        let ch05 = chapters
            .iter()
            .find(|c| c.file.starts_with("ch05-"))
            .unwrap();
        assert_eq!(ch05.part.as_deref(), Some("Part II — Futures"));
        assert_eq!(ch05.heading, "The Future Trait");
        let last = chapters.last().unwrap();
        assert!(last.file.starts_with("appendix-"), "{}", last.file);
        assert_eq!(
            last.part, None,
            "the appendices after `---` belong to no part"
        );
    }

    #[test]
    fn plain_text_of_headings() {
        assert_eq!(plain("The `Future`  Trait"), "The Future Trait");
        assert_eq!(
            plain("Rust\u{2019}s \u{201C}Choice\u{201D}"),
            "Rust's \"Choice\""
        );
    }
}
