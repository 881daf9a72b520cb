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

use crate::page::{self, Section};
use anyhow::{Context, Result, bail};
use elasticlunr::{Index, IndexBuilder};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

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

/// Rewrites the search index in `html` (a built HTML book) without the hidden lines.
pub fn rewrite(html: &Path, split_level: u8) -> Result<Rewritten> {
    let file = find(html)?;
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let mut json = decode(&text).with_context(|| {
        format!(
            "{} is not the search index mdBook 0.5.4 writes",
            file.display()
        )
    })?;
    let (documents, words) = rebuild(html, &mut json, split_level)
        .with_context(|| format!("cannot rebuild {}", file.display()))?;
    let out = encode(&json)?;
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

fn decode(text: &str) -> Result<Value> {
    let Some(inner) = text
        .strip_prefix(PREFIX)
        .and_then(|t| t.trim_end().strip_suffix(SUFFIX))
    else {
        bail!("it does not start with `{PREFIX}` and end with `{SUFFIX}`");
    };
    let mut json = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        json.push(if c == '\\' {
            chars.next().context("it ends in a lone backslash")?
        } else {
            c
        });
    }
    Ok(serde_json::from_str(&json)?)
}

fn encode(json: &Value) -> Result<String> {
    let json = serde_json::to_string(json)?;
    Ok(format!(
        "{PREFIX}{}{SUFFIX}",
        json.replace('\\', "\\\\").replace('\'', "\\'")
    ))
}

/// Replaces `json["index"]` with one built from the pages' visible text; returns how many
/// documents it holds and how many words they show. Every document's full text, as read from its page, must be the text
/// mdBook stored, or nothing is written.
fn rebuild(html: &Path, json: &mut Value, split_level: u8) -> Result<(usize, usize)> {
    let urls: Vec<String> =
        serde_json::from_value(json["doc_urls"].clone()).context("no doc_urls")?;
    let docs = json["index"]["documentStore"]["docs"]
        .as_object()
        .context("no documentStore.docs")?;
    let mut pages: HashMap<String, (Vec<Section>, usize)> = HashMap::new();
    let mut words = 0;
    let mut index = builder(FIELDS);
    let mut body_index = builder(&["body"]);
    let mut breadcrumbs_index = builder(&["breadcrumbs"]);
    for (number, url) in urls.iter().enumerate() {
        let (page, id) = url.split_once('#').unwrap_or((url, ""));
        let key = number.to_string();
        let stored = docs
            .get(&key)
            .with_context(|| format!("document {key} ({url}) is not stored"))?;
        let field = |name: &str| {
            stored[name]
                .as_str()
                .map(str::to_string)
                .with_context(|| format!("document {key} has no {name}"))
        };
        let (title, body, breadcrumbs) = (field("title")?, field("body")?, field("breadcrumbs")?);
        if !pages.contains_key(page) {
            let text = std::fs::read_to_string(html.join(page))
                .with_context(|| format!("cannot read {page}"))?;
            pages.insert(
                page.to_string(),
                (page::sections(page, &text, split_level)?, 0),
            );
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
        if all != body {
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
                around(&body)
            );
        }
        if !section.heading.trim().is_empty() && collapse(section.heading.trim()) != title {
            bail!(
                "{url}: heading {:?} read, mdBook's title is {title:?}",
                section.heading.trim()
            );
        }
        let visible = collapse(section.visible.trim());
        words += section.heading.split_whitespace().count() + visible.split_whitespace().count();
        index.add_doc(&key, [title.as_str(), &visible, breadcrumbs.as_str()]);
        body_index.add_doc(&key, [&visible]);
        breadcrumbs_index.add_doc(&key, [&breadcrumbs]);
    }
    for (page, (sections, used)) in &pages {
        if *used != sections.len() {
            bail!(
                "{page} has {} sections as read here; mdBook indexed {used}",
                sections.len()
            );
        }
    }
    let mut rebuilt = serde_json::to_value(&index)?;
    // The title comes first, so its field holds its own words already.
    for (field, single) in [("body", &body_index), ("breadcrumbs", &breadcrumbs_index)] {
        rebuilt["index"][field] = serde_json::to_value(single)?["index"][field].take();
    }
    json["index"] = rebuilt;
    Ok((urls.len(), words))
}

/// The fields mdBook 0.5.4 indexes, in its order.
const FIELDS: &[&str] = &["title", "body", "breadcrumbs"];

/// An index of `fields` with mdBook's tokenizer; the full one keeps the documents (for teasers).
fn builder(fields: &[&str]) -> Index {
    let mut builder = IndexBuilder::new().save_docs(fields.len() == FIELDS.len());
    for field in fields {
        builder = builder.add_field_with_tokenizer(field, Box::new(tokenize));
    }
    builder.build()
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
    let mut run = String::new();
    for c in text.chars() {
        if c.is_whitespace() {
            run.push(c);
            continue;
        }
        flush(&mut out, &mut run);
        out.push(c);
    }
    flush(&mut out, &mut run);
    out
}

fn flush(out: &mut String, run: &mut String) {
    if run.chars().count() >= 2 {
        out.push(' ');
    } else {
        out.push_str(run);
    }
    run.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_what_it_encodes() {
        let json = serde_json::json!({"a": "it's a \\ and a \"quote\""});
        assert_eq!(decode(&encode(&json).unwrap()).unwrap(), json);
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
