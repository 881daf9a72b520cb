//! mdBook's search index (`searchindex-<hash>.js` in the HTML book), read, rebuilt and written.
//!
//! The file is `window.search = Object.assign(window.search, JSON.parse('…'));` around JSON
//! with `\` and `'` escaped: the results and search options, the address of each document
//! (`doc_urls`) and an elasticlunr index whose document store keeps each document's title,
//! breadcrumbs and full text (for the teasers under each result). The rebuilt index has the same
//! documents, addresses, titles and breadcrumbs; only each text loses the hidden lines, and the
//! inverted index is made from what is left with the same library, tokenizer and fields as
//! mdBook's.
//!
//! One thing differs on purpose: each field's inverted index holds that field's own words.
//! elasticlunr-rs 3.0.2 counts a document's words across its fields as it goes (its `add_doc`
//! keeps one tally for all of them), so in mdBook's index the body field also holds the title's
//! words and the breadcrumbs field holds the title's and the body's: the whole text indexed twice.
//! elasticlunr.js, which searches the index, indexes each field on its own; here the body and
//! breadcrumbs fields are built that way too, each in an index of its own, and put in place of
//! the doubled ones. Search finds the same documents; a word of a section's text now counts once
//! (in its body), not twice, so titles and breadcrumbs weigh a little more in the ranking.

use crate::pages::Page;
use crate::search_page::{self, Section};
use anyhow::{Context, Result, bail};
use elasticlunr::{Index, IndexBuilder};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The Async Book's search index, in bytes per word of the text it indexes, counted the same way
/// (words of the headings and sections of its pages, as this program reads them, without hidden
/// lines): 1,229,564 bytes for 36,088 words, 34.07 per word (gzip -9: 167,580 bytes, 4.64).
/// Measured on 2026-12-05 from rust-lang/async-book (src/SUMMARY.md at commit
/// 001ed45cf63d25919ee1d253355f29ec1b2c0621, as rebuilt in /work/anchor/async-book, see its
/// README.txt) built by mdBook 0.5.4, by running this program on a copy of that build. Issue 18
/// asks that this book's index be no bigger per word.
const ANCHOR_BYTES_PER_WORD: f64 = 34.07;

/// Rewrites the index (see [`rewrite`]), says what it did in one line, and fails when the result
/// is bigger per word of text than the Async Book's.
pub fn finish(html: &Path, pages: &[Page], split_level: u8) -> Result<()> {
    let done = rewrite(html, pages, split_level)?;
    let per_word = done.after as f64 / done.words.max(1) as f64;
    eprintln!(
        "mdbook-finish: {} rewritten without hidden lines: {} documents, {} words, {} KB, {per_word:.1} bytes per word \
         (mdBook wrote {} KB, {:.1} per word; the Async Book's own: {ANCHOR_BYTES_PER_WORD})",
        done.file
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default(),
        done.documents,
        done.words,
        done.after / 1000,
        done.before / 1000,
        done.before as f64 / done.words.max(1) as f64,
    );
    check_size(done.after, done.words)
}

fn check_size(bytes: usize, words: usize) -> Result<()> {
    let per_word = bytes as f64 / words.max(1) as f64;
    if per_word > ANCHOR_BYTES_PER_WORD {
        bail!(
            "the search index is {per_word:.1} bytes per word of the text it indexes ({bytes} bytes, {words} words), more \
             than the Async Book's {ANCHOR_BYTES_PER_WORD} (issue 18: no bigger per word than it): what new text \
             is indexed that readers do not see?"
        );
    }
    Ok(())
}

const PREFIX: &str = "window.search = Object.assign(window.search, JSON.parse('";
const SUFFIX: &str = "'));";
/// The longest token mdBook indexes.
const MAX_TOKEN: usize = 80;

/// What a rewrite did, for one line of the build's output.
pub struct Rewritten {
    pub file: PathBuf,
    pub before: usize,
    pub after: usize,
    pub documents: usize,
    /// Words of the text a reader sees on the indexed pages: headings and sections, no hidden
    /// lines, no scripts or styles.
    pub words: usize,
}

/// Rewrites the search index in `html` (a built HTML book, whose pages are `pages`) without the
/// hidden lines.
pub fn rewrite(html: &Path, pages: &[Page], split_level: u8) -> Result<Rewritten> {
    let file = find(html)?;
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let stored = decode(&text).with_context(|| {
        format!(
            "{} is not the search index mdBook 0.5.4 writes",
            file.display()
        )
    })?;
    let (index, words) = rebuild(pages, &stored, split_level)
        .with_context(|| format!("cannot rebuild {}", file.display()))?;
    let documents = stored.doc_urls.len();
    let out = encode(&Written {
        results_options: &stored.results_options,
        search_options: &stored.search_options,
        doc_urls: &stored.doc_urls,
        index,
    })?;
    std::fs::write(&file, &out).with_context(|| format!("cannot write {}", file.display()))?;
    Ok(Rewritten {
        file,
        before: text.len(),
        after: out.len(),
        documents,
        words,
    })
}

/// The one `searchindex-<hash>.js` of the book.
fn find(html: &Path) -> Result<PathBuf> {
    let mut found = Vec::new();
    for entry in
        std::fs::read_dir(html).with_context(|| format!("cannot list {}", html.display()))?
    {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with("searchindex") && name.ends_with(".js") {
            found.push(path);
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => bail!(
            "{} holds no searchindex-*.js: is [output.html.search] on?",
            html.display()
        ),
        _ => bail!(
            "{} holds {} searchindex-*.js files; expected one",
            html.display(),
            found.len()
        ),
    }
}

/// What this program reads of mdBook's search index: the addresses, the options it passes on as
/// they are, and each document's stored fields. mdBook's inverted index, most of the file, is
/// skipped without being built.
#[derive(Deserialize)]
struct Stored {
    results_options: Value,
    search_options: Value,
    doc_urls: Vec<String>,
    index: StoredIndex,
}

#[derive(Deserialize)]
struct StoredIndex {
    #[serde(rename = "documentStore")]
    document_store: StoredDocuments,
}

#[derive(Deserialize)]
struct StoredDocuments {
    docs: HashMap<String, StoredDocument>,
}

#[derive(Deserialize)]
struct StoredDocument {
    title: String,
    body: String,
    breadcrumbs: String,
}

/// The file written back, its fields in mdBook's order.
#[derive(Serialize)]
struct Written<'a> {
    results_options: &'a Value,
    search_options: &'a Value,
    doc_urls: &'a [String],
    index: Value,
}

fn decode(text: &str) -> Result<Stored> {
    let Some(inner) = text
        .strip_prefix(PREFIX)
        .and_then(|t| t.trim_end().strip_suffix(SUFFIX))
    else {
        bail!("it does not start with `{PREFIX}` and end with `{SUFFIX}`");
    };
    let mut json = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(at) = rest.find('\\') {
        json.push_str(&rest[..at]);
        let escaped = rest[at + 1..]
            .chars()
            .next()
            .context("it ends in a lone backslash")?;
        json.push(escaped);
        rest = &rest[at + 1 + escaped.len_utf8()..];
    }
    json.push_str(rest);
    Ok(serde_json::from_str(&json)?)
}

fn encode(written: &Written) -> Result<String> {
    let json = serde_json::to_string(written)?;
    Ok(format!(
        "{PREFIX}{}{SUFFIX}",
        json.replace('\\', "\\\\").replace('\'', "\\'")
    ))
}

/// The index of the pages' visible text: the documents mdBook stored, at the same addresses,
/// each with the text a reader sees; and how many words they show. Every document's full text,
/// as read from its page, must be the text mdBook stored, or nothing is written.
fn rebuild(book: &[Page], stored: &Stored, split_level: u8) -> Result<(Value, usize)> {
    let urls = &stored.doc_urls;
    let docs = &stored.index.document_store.docs;
    let mut pages: HashMap<&str, (Vec<Section>, usize)> = HashMap::new();
    let mut words = 0;
    let mut indexes = FIELDS.map(builder);
    let mut documents = serde_json::Map::new();
    for (number, url) in urls.iter().enumerate() {
        let (page, id) = url.split_once('#').unwrap_or((url, ""));
        let key = number.to_string();
        let StoredDocument {
            title,
            body,
            breadcrumbs,
        } = docs
            .get(&key)
            .with_context(|| format!("document {key} ({url}) is not stored"))?;
        if !pages.contains_key(page) {
            let text = book
                .binary_search_by(|p| p.name.as_str().cmp(page))
                .map(|at| &book[at].html)
                .map_err(|_| anyhow::anyhow!("{url}: the book has no page {page}"))?;
            pages.insert(page, (search_page::sections(page, text, split_level)?, 0));
        }
        let (sections, next) = pages.get_mut(page).expect("inserted above");
        let Some(section) = sections.get(*next) else {
            bail!(
                "{url}: {page} has only {} sections as read here, mdBook indexed more",
                sections.len()
            );
        };
        *next += 1;
        if section.id != id {
            bail!(
                "{url}: the section read from {page} is #{}; mdBook's reader and this one differ",
                section.id
            );
        }
        let all = collapse(section.all.trim());
        if all != *body {
            let at = all
                .chars()
                .zip(body.chars())
                .take_while(|(a, b)| a == b)
                .count();
            let around = |s: &str| {
                s.chars()
                    .skip(at.saturating_sub(40))
                    .take(80)
                    .collect::<String>()
            };
            bail!(
                "{url}: the text read from the page differs from mdBook's from character {at}:\n  read:    {:?}\n  mdBook's: {:?}",
                around(&all),
                around(body)
            );
        }
        if !section.heading.trim().is_empty() && collapse(section.heading.trim()) != *title {
            bail!(
                "{url}: heading {:?} read, mdBook's title is {title:?}",
                section.heading.trim()
            );
        }
        let visible = collapse(section.visible.trim());
        words += section.heading.split_whitespace().count() + visible.split_whitespace().count();
        for (index, text) in indexes.iter_mut().zip([title, &visible, breadcrumbs]) {
            index.add_doc(&key, [text]);
        }
        documents.insert(
            key.clone(),
            serde_json::json!({"id": key, "title": title, "body": visible, "breadcrumbs": breadcrumbs}),
        );
    }
    for (page, (sections, used)) in &pages {
        if *used != sections.len() {
            bail!(
                "{page} has {} sections as read here; mdBook indexed {used}",
                sections.len()
            );
        }
    }
    Ok((assemble(indexes, documents)?, words))
}

/// One elasticlunr index of `FIELDS` from one index per field and the documents.
///
/// Each field has an index of its own because elasticlunr-rs 3.0.2 counts a document's words
/// across its fields as it goes (its `add_doc` keeps one tally for all of them): in mdBook's
/// index the body field also holds the title's words and the breadcrumbs field holds the title's
/// and the body's, the whole text indexed twice. elasticlunr.js, which searches the index,
/// indexes each field on its own, and so does this.
fn assemble(indexes: [Index; 3], documents: serde_json::Map<String, Value>) -> Result<Value> {
    let [first, rest @ ..] = indexes;
    let mut index = serde_json::to_value(&first)?;
    index["fields"] = serde_json::json!(FIELDS);
    for (field, single) in FIELDS[1..].iter().zip(rest) {
        let mut single = serde_json::to_value(&single)?;
        index["index"][field] = single["index"][field].take();
        let Value::Object(lengths) = single["documentStore"]["docInfo"].take() else {
            bail!("elasticlunr-rs wrote no documentStore.docInfo");
        };
        for (key, mut length) in lengths {
            index["documentStore"]["docInfo"][&key][field] = length[field].take();
        }
    }
    index["documentStore"]["docs"] = Value::Object(documents);
    index["documentStore"]["save"] = Value::Bool(true);
    Ok(index)
}

/// The fields mdBook 0.5.4 indexes, in its order.
const FIELDS: [&str; 3] = ["title", "body", "breadcrumbs"];

/// An index of one field with mdBook's tokenizer, which keeps no documents (`assemble` puts
/// them in).
fn builder(field: &str) -> Index {
    IndexBuilder::new()
        .save_docs(false)
        .add_field_with_tokenizer(field, Box::new(tokenize))
        .build()
}

/// Words as mdBook 0.5.4 cuts them: at whitespace and hyphens, lower-cased, none longer than 80
/// bytes.
fn tokenize(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == '-')
        .filter(|word| !word.is_empty())
        .map(|word| word.trim().to_lowercase())
        .filter(|word| word.len() <= MAX_TOKEN)
        .collect()
}

/// Runs of two or more whitespace characters become one space, as mdBook stores text.
fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Where the current run of whitespace started, and how many characters it has.
    let mut run: Option<(usize, usize)> = None;
    let flush = |out: &mut String, run: Option<(usize, usize)>, end: usize| {
        if let Some((start, length)) = run {
            out.push_str(if length >= 2 { " " } else { &text[start..end] });
        }
    };
    for (at, c) in text.char_indices() {
        if c.is_whitespace() {
            let (start, length) = run.unwrap_or((at, 0));
            run = Some((start, length + 1));
        } else {
            flush(&mut out, run.take(), at);
            out.push(c);
        }
    }
    flush(&mut out, run, text.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fails_above_the_async_book_s_size_per_word() {
        assert!(check_size(3400, 100).is_ok());
        assert!(check_size(3408, 100).is_err());
    }

    #[test]
    fn decodes_what_it_encodes() {
        let text = "it's a \\ and a \"quote\"";
        let doc = serde_json::json!({"title": "t", "body": text, "breadcrumbs": "b"});
        let written = Written {
            results_options: &Value::Null,
            search_options: &Value::Null,
            doc_urls: &["a.html#x".to_string()],
            index: serde_json::json!({"documentStore": {"docs": {"0": doc}}}),
        };
        let stored = decode(&encode(&written).unwrap()).unwrap();
        assert_eq!(stored.index.document_store.docs["0"].body, text);
        assert_eq!(stored.doc_urls, ["a.html#x"]);
    }

    /// A one-page book as mdBook 0.5.4 indexes it: its hidden line is in the stored text and,
    /// in the rebuilt index, neither in the text nor in the words; each field holds its own words.
    #[test]
    fn rebuilds_from_the_visible_text_with_one_index_per_field() {
        let html = "<main><h1 id=\"top\">Readiness</h1><p>wake</p><pre><code>\
            <span class=\"boring\">fn secret() {}\n</span>poll();</code></pre></main>";
        let page = Page {
            name: "a.html".to_string(),
            path: "a.html".into(),
            html: html.to_string(),
            changed: false,
        };
        let body = "wake fn secret() {}\npoll();";
        let json = serde_json::json!({"results_options": {}, "search_options": {},
            "doc_urls": ["a.html#top"], "index": {"documentStore": {"docs": {"0":
            {"id": "0", "title": "Readiness", "body": body, "breadcrumbs": "Book » Readiness"}}}}});
        let stored: Stored = serde_json::from_value(json).unwrap();
        let (index, words) = rebuild(&[page], &stored, 3).unwrap();
        assert_eq!(words, 3);
        assert_eq!(index["fields"], serde_json::json!(FIELDS));
        let doc = &index["documentStore"]["docs"]["0"];
        assert_eq!(doc["body"], "wake poll();");
        assert_eq!(doc["title"], "Readiness");
        let info = &index["documentStore"]["docInfo"]["0"];
        assert_eq!(
            (info["title"].as_u64(), info["body"].as_u64()),
            (Some(1), Some(2))
        );
        let root = |field: &str| index["index"][field]["root"].to_string();
        assert!(root("body").contains("\"w\"") && !root("body").contains("\"s\""));
        // The title's word is in the title's index only, not the body's (mdBook's doubling).
        assert!(root("title").contains("\"r\"") && !root("body").contains("\"r\""));
        assert!(root("breadcrumbs").contains("\"b\""));
        assert!(!root("breadcrumbs").contains("\"w\""));

        let mut wrong = stored;
        wrong.index.document_store.docs.get_mut("0").unwrap().body = "other".to_string();
        let error = rebuild(&[], &wrong, 3).unwrap_err().to_string();
        assert!(error.contains("the book has no page a.html"), "{error}");
    }

    #[test]
    fn collapses_runs_but_keeps_a_lone_newline() {
        assert_eq!(collapse("a \n b\nc  d"), "a b\nc d");
    }

    #[test]
    fn tokenizes_at_whitespace_and_hyphens() {
        assert_eq!(
            tokenize("Self-referential  Futures\tpoll"),
            ["self", "referential", "futures", "poll"]
        );
    }
}
