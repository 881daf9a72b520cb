//! Part of the step "book build and links": the book's search index is the one mdBook's own
//! indexing gives.
//!
//! book.toml turns mdBook's indexing off (`[output.html.search.chapter]` `"" = { enable = false
//! }`) and tools/mdbook-finish makes the documents from the chapters itself, as mdBook 0.5.4
//! would (its search_chapters.rs). To check that it does, the book is built a second time, into
//! target/, with mdBook's indexing back on (`MDBOOK_OUTPUT__HTML__SEARCH__CHAPTER='{}'`: mdBook
//! reads the value as JSON and puts an empty table in place of book.toml's), where mdbook-finish
//! takes mdBook's documents and checks its reading of every page against them. The two index
//! files must be the same, name and bytes, or this fails naming the first document that differs.
//!
//! Each translated edition ([`check_editions`]) is checked the same way, built again with its
//! language: its documents are then mdBook's, and mdbook-finish cuts them into the edition's
//! words both times (an edition in Chinese into pairs of characters: its search_cjk.rs), so the
//! check holds the documents to mdBook's and the words to one tokenizer.

use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::path::Path;

/// mdBook's own indexing turned back on (see the module's notes).
const INDEXING_ON: (&str, &str) = ("MDBOOK_OUTPUT__HTML__SEARCH__CHAPTER", "{}");

/// Builds the book with mdBook's indexing on and compares its search index with the one in
/// `html` (the book just built).
pub fn check(root: &Path, html: &Path) -> Result<()> {
    let scratch = root.join("target/search-index-check");
    crate::book::build_with(root, &scratch, &[INDEXING_ON])
        .context("building the book with mdBook's search indexing on")?;
    compare(
        &index_file(html)?,
        &index_file(&scratch.join("html"))?,
        &scratch,
    )
}

/// [`check`] for each translated edition, whose pages `crate::i18n::check` built into
/// `book/LANG/html`.
pub fn check_editions(root: &Path) -> Result<()> {
    for language in crate::i18n::languages(root)? {
        let html = root.join("book").join(&language).join("html");
        let scratch = root.join(format!("target/search-index-check-{language}"));
        crate::book::build_with(
            root,
            &scratch,
            &[INDEXING_ON, ("MDBOOK_BOOK__LANGUAGE", language.as_str())],
        )
        .with_context(|| {
            format!("building the {language} edition with mdBook's search indexing on")
        })?;
        compare(
            &index_file(&html)?,
            &index_file(&scratch.join("html"))?,
            &scratch,
        )
        .with_context(|| format!("the {language} edition's search index"))?;
        eprintln!("the {language} edition's search index: mdBook's documents, the same file");
    }
    Ok(())
}

/// The name and text of the one `searchindex-*.js` in `html`.
fn index_file(html: &Path) -> Result<(String, String)> {
    let mut found = Vec::new();
    for entry in
        std::fs::read_dir(html).with_context(|| format!("cannot list {}", html.display()))?
    {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.starts_with("searchindex") && name.ends_with(".js") {
            found.push(name);
        }
    }
    let [name] = found.as_slice() else {
        bail!(
            "{} holds {} searchindex-*.js files; expected one",
            html.display(),
            found.len()
        );
    };
    let path = html.join(name);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok((name.clone(), text))
}

/// `made` (mdbook-finish's own documents) against `mdbook` (made of mdBook's, built in
/// `scratch`), each a file's name and text: the same, or an error naming the first document that
/// differs.
fn compare(made: &(String, String), mdbook: &(String, String), scratch: &Path) -> Result<()> {
    if made == mdbook {
        return Ok(());
    }
    let what = format!(
        "the search index mdbook-finish made from the chapters ({}) is not the one it made from mdBook's \
         documents ({}, built with MDBOOK_OUTPUT__HTML__SEARCH__CHAPTER='{{}}' in {})",
        made.0,
        mdbook.0,
        scratch.display()
    );
    let (ours, theirs) = (decode(&made.1)?, decode(&mdbook.1)?);
    let urls = |index: &Value| index["doc_urls"].as_array().cloned().unwrap_or_default();
    let (our_urls, their_urls) = (urls(&ours), urls(&theirs));
    let docs = |index: &Value, number: usize| {
        index["index"]["documentStore"]["docs"][number.to_string()].clone()
    };
    for number in 0..our_urls.len().max(their_urls.len()) {
        let ours = (our_urls.get(number), docs(&ours, number));
        let theirs = (their_urls.get(number), docs(&theirs, number));
        if ours != theirs {
            bail!(
                "{what}: document {number} differs first:\n  made:     {}\n  mdBook's: {}",
                shown(ours.0, &ours.1, &theirs.1),
                shown(theirs.0, &theirs.1, &ours.1)
            );
        }
    }
    bail!("{what}: the documents are the same, the rest of the files differs")
}

/// A document's address and its stored fields that differ from `other`'s, each cut to 200
/// characters.
fn shown(url: Option<&Value>, doc: &Value, other: &Value) -> String {
    let mut out = url.unwrap_or(&Value::Null).to_string();
    for field in ["title", "breadcrumbs", "body"] {
        if doc[field] != other[field] {
            let value: String = doc[field].to_string().chars().take(200).collect();
            out.push_str(&format!(" {field}: {value}"));
        }
    }
    out
}

/// The JSON in a search index file: `window.search = Object.assign(window.search,
/// JSON.parse('…'));` with `\` and `'` escaped by a backslash.
fn decode(file: &str) -> Result<Value> {
    let inner = file
        .strip_prefix("window.search = Object.assign(window.search, JSON.parse('")
        .and_then(|rest| rest.trim_end().strip_suffix("'));"))
        .context("a search index file is not laid out as mdBook 0.5.4 writes it")?;
    let mut json = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        json.push(if c == '\\' {
            chars.next().unwrap_or(c)
        } else {
            c
        });
    }
    serde_json::from_str(&json).context("a search index file does not hold JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(docs: &[(&str, &str)]) -> (String, String) {
        let urls: Vec<&str> = docs.iter().map(|(url, _)| *url).collect();
        let stored: serde_json::Map<String, Value> = docs
            .iter()
            .enumerate()
            .map(|(n, (_, title))| (n.to_string(), serde_json::json!({ "title": title })))
            .collect();
        let json = serde_json::json!({ "doc_urls": urls,
            "index": { "documentStore": { "docs": stored } } });
        let text = format!(
            "window.search = Object.assign(window.search, JSON.parse('{}'));",
            json.to_string().replace('\\', "\\\\").replace('\'', "\\'")
        );
        ("searchindex-0.js".to_string(), text)
    }

    #[test]
    fn names_the_first_document_that_differs() {
        let scratch = Path::new("target/search-index-check");
        let mdbook = file(&[("a.html", "A's"), ("a.html#b", "B"), ("c.html", "C")]);
        assert!(compare(&mdbook, &mdbook, scratch).is_ok());
        let made = file(&[("a.html", "A's"), ("a.html#b", "B\\"), ("c.html", "C")]);
        let error = compare(&made, &mdbook, scratch).unwrap_err().to_string();
        assert!(error.contains("document 1 differs first"), "{error}");
        assert!(
            error.contains(r#"made:     "a.html#b" title: "B\\""#),
            "{error}"
        );
        let fewer = file(&[("a.html", "A's"), ("a.html#b", "B")]);
        let error = compare(&fewer, &mdbook, scratch).unwrap_err().to_string();
        assert!(error.contains("document 2 differs first"), "{error}");
        assert!(error.contains("made:     null title: null"), "{error}");
        let mut renamed = mdbook.clone();
        renamed.0 = "searchindex-1.js".to_string();
        let error = compare(&renamed, &mdbook, scratch).unwrap_err().to_string();
        assert!(error.contains("the documents are the same"), "{error}");
    }
}
