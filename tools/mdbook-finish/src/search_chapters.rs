//! The search documents of the book's chapters, made here as mdBook 0.5.4's indexer makes them
//! (`index_chapter` in mdbook-html's html_handlebars/search.rs), for a book that turns mdBook's
//! own indexing off: book.toml's `[output.html.search.chapter]` `"" = { enable = false }` (the
//! empty prefix matches every chapter) leaves mdBook writing the search UI, scripts and options
//! around an index without documents, and saves it indexing the whole text (doubled: see
//! `crate::search_index`) only for `crate::search_index` to index it again.
//!
//! Each chapter mdBook renders (draft chapters have no page), in the book's order, is read from
//! its page by `crate::search_page`, one document per section:
//!
//! - its address is the page's (the chapter's path, `.md` made `.html`, with `/`), and `#id` of
//!   the section's heading; the text of a page before any heading has no `#` (mdBook makes it a
//!   document of its own only on a page without headings, and otherwise the first heading's);
//! - its title is the heading's text, or, for a section without one, the first breadcrumb;
//! - its breadcrumbs start as the chapter's parent names and its name; the end of each heading
//!   down to the split level pushes the section's heading text as it stands then (a heading
//!   without an id too: it pushes the text of the heading before it), and each section after a
//!   document pops one (see `Section::closed`).
//!
//! When mdBook's index does hold documents (`cargo xtask test` builds the book once so, with
//! `MDBOOK_OUTPUT__HTML__SEARCH__CHAPTER='{}'`), `crate::search_index` takes mdBook's and checks
//! its reading of every page against them, and the two builds' index files must be the same.

use crate::context::{Chapter, ChapterSearch};
use crate::pages::Page;
use crate::search_page::{self, Section};
use anyhow::{Result, bail};
use std::collections::BTreeMap;
use std::path::Path;

/// One document: its address, title and breadcrumbs as mdBook stores them (trimmed, runs of
/// whitespace collapsed), and its section of the page.
#[derive(Debug)]
pub struct Made {
    pub url: String,
    pub title: String,
    pub breadcrumbs: String,
    pub section: Section,
}

/// Refuses `[output.html.search.chapter]` keys other than `""`: this renderer indexes every
/// chapter, and cannot know what an author who left some out of mdBook's index meant.
pub fn check_settings(chapter: &BTreeMap<String, ChapterSearch>) -> Result<()> {
    if let Some(key) = chapter.keys().find(|key| !key.is_empty()) {
        bail!(
            "book.toml's [output.html.search.chapter] has the key {key:?}: mdbook-finish indexes every chapter, \
             and takes only \"\" = {{ enable = false }} (which turns mdBook's own indexing off for all of them)"
        );
    }
    Ok(())
}

/// The documents of `chapters` (mdBook's order, no drafts), read from `pages` (sorted by name).
pub fn documents(chapters: &[&Chapter], pages: &[Page], split_level: u8) -> Result<Vec<Made>> {
    let mut made = Vec::new();
    for chapter in chapters {
        let Some(path) = &chapter.path else {
            continue;
        };
        if path
            .file_stem()
            .is_some_and(|stem| stem.eq_ignore_ascii_case("readme"))
        {
            bail!(
                "{}: mdBook renders a README chapter as index.html, which this renderer, run without the \
                 index preprocessor, cannot know; name the file index.md",
                path.display()
            );
        }
        let page = page_name(path);
        let Ok(at) = pages.binary_search_by(|p| p.name.as_str().cmp(&page)) else {
            bail!(
                "chapter {:?} ({}): the book has no page {page}",
                chapter.name,
                path.display()
            );
        };
        let sections = search_page::sections(&page, &pages[at].html, split_level)?;
        let mut crumbs = chapter.parent_names.clone();
        crumbs.push(chapter.name.clone());
        for section in sections {
            crumbs.extend(section.closed.iter().cloned());
            let title = match section.heading.is_empty() {
                true => crumbs.first().cloned().unwrap_or_default(),
                false => section.heading.clone(),
            };
            let url = match section.id.is_empty() {
                true => page.clone(),
                false => format!("{page}#{}", section.id),
            };
            made.push(Made {
                url,
                title: stored(&title),
                breadcrumbs: stored(&crumbs.join(" » ")),
                section,
            });
            crumbs.pop();
        }
    }
    Ok(made)
}

/// The page of a chapter at `path`: `.md` made `.html`, with `/`.
fn page_name(path: &Path) -> String {
    path.with_extension("html")
        .to_string_lossy()
        .replace('\\', "/")
}

/// Text as mdBook stores it: trimmed, runs of whitespace collapsed.
fn stored(text: &str) -> String {
    crate::search_index::collapse(text.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::RenderContext;

    /// The chapters of a small book as mdBook 0.5.4 sends them (a part title, a separator, a
    /// draft chapter with a chapter under it), and their pages' `<main>` as mdBook wrote them.
    fn book() -> (RenderContext, Vec<Page>) {
        let json = r#"{"destination": "/b/html-finish", "book": {"items": [
            {"PartTitle": "First part"},
            {"Chapter": {"name": "Part", "content": "x", "number": [1], "path": "part.md",
                "source_path": "part.md", "parent_names": [], "sub_items": [
                {"Chapter": {"name": "Plain", "content": "y", "path": "part/plain.md",
                    "source_path": "part/plain.md", "parent_names": ["Part"], "sub_items": []}},
                {"Chapter": {"name": "Draft", "content": "", "path": null, "source_path": null,
                    "parent_names": ["Part"], "sub_items": [
                    {"Chapter": {"name": "Under", "content": "z", "path": "part/under.md",
                        "source_path": "part/under.md", "parent_names": ["Part", "Draft"],
                        "sub_items": []}}]}}]}},
            "Separator"]}}"#;
        let context = RenderContext::parse(json.as_bytes()).unwrap();
        let page = |name: &str, main: &str| Page {
            name: name.to_string(),
            path: name.into(),
            html: format!("<html><main>\n{main}\n</main></html>"),
            changed: false,
        };
        let pages = vec![
            page(
                "part.html",
                "<p>Before any heading.</p>\n<h1 id=\"top\"><a class=\"header\" href=\"#top\">Top</a></h1>\n\
                 <p>Intro words.</p>\n<h2>No id here</h2>\n\n<p>Middle words.</p>\n\
                 <h4 id=\"deep\"><a class=\"header\" href=\"#deep\">Deep</a></h4>\n<p>Deep words.</p>\n\
                 <h2 id=\"second\"><a class=\"header\" href=\"#second\">Second</a></h2>\n<p>Second words.</p>",
            ),
            page("part/plain.html", "<p>Only text, no heading.</p>"),
            page(
                "part/under.html",
                "<h2 id=\"a\"><a class=\"header\" href=\"#a\">A</a></h2>\n<p>a text</p>\n<h3>loose</h3>\n\n\
                 <h2 id=\"b\"><a class=\"header\" href=\"#b\">B</a></h2>\n<p>b text</p>",
            ),
        ];
        (context, pages)
    }

    /// The documents are those mdBook 0.5.4 itself made of this book (built from Markdown with
    /// these pages by stock `mdbook build`; its searchindex file read back), quirks included: the
    /// end of a heading without an id pushes the previous heading's text onto the breadcrumbs
    /// again ("Top » Top"), a heading below the split level is body text, the text before the
    /// first heading belongs to the first heading's document, a page without headings is one
    /// document titled with its first breadcrumb (the parent's name), and a draft chapter has no
    /// page but its name is in its children's breadcrumbs.
    #[test]
    fn makes_the_documents_mdbook_makes() {
        let (context, pages) = book();
        let made = documents(&context.book.chapters(), &pages, 3).unwrap();
        let got: Vec<(&str, &str, &str, String)> = made
            .iter()
            .map(|m| {
                let body = crate::search_index::collapse(m.section.all.trim());
                (
                    m.url.as_str(),
                    m.title.as_str(),
                    m.breadcrumbs.as_str(),
                    body,
                )
            })
            .collect();
        let want = [
            (
                "part.html#top",
                "Top",
                "Part » Top » Top",
                "Before any heading. Intro words. No id here Middle words. Deep Deep words.",
            ),
            (
                "part.html#second",
                "Second",
                "Part » Top » Second",
                "Second words.",
            ),
            (
                "part/plain.html",
                "Part",
                "Part » Plain",
                "Only text, no heading.",
            ),
            (
                "part/under.html#a",
                "A",
                "Part » Draft » Under » A » A",
                "a text loose",
            ),
            (
                "part/under.html#b",
                "B",
                "Part » Draft » Under » A » B",
                "b text",
            ),
        ];
        let want: Vec<(&str, &str, &str, String)> = want
            .iter()
            .map(|&(u, t, b, body)| (u, t, b, body.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn refuses_a_readme_chapter_a_missing_page_and_keys_for_some_chapters() {
        let (context, pages) = book();
        let chapters = context.book.chapters();
        let error = documents(&chapters, &pages[..2], 3)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("the book has no page part/under.html"),
            "{error}"
        );
        let json = r#"{"destination": "/b/html-finish", "book": {"items": [{"Chapter":
            {"name": "Intro", "content": "", "path": "README.md", "parent_names": []}}]}}"#;
        let readme = RenderContext::parse(json.as_bytes()).unwrap();
        let error = documents(&readme.book.chapters(), &pages, 3)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("README.md: mdBook renders a README chapter as index.html"),
            "{error}"
        );

        let settings = |keys: &[&str]| -> BTreeMap<String, ChapterSearch> {
            keys.iter()
                .map(|k| {
                    (
                        k.to_string(),
                        ChapterSearch {
                            enable: Some(false),
                        },
                    )
                })
                .collect()
        };
        assert!(check_settings(&settings(&[])).is_ok());
        assert!(check_settings(&settings(&[""])).is_ok());
        let error = check_settings(&settings(&["", "part/under.md"]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("has the key \"part/under.md\""), "{error}");
    }
}
