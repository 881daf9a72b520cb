//! mdBook's search index (`searchindex-<hash>.js` in the HTML book), read, rebuilt and written.
//!
//! The file (laid out as `crate::search_index_file` describes) holds the results and search
//! options, the address of each document (`doc_urls`) and an elasticlunr index whose document
//! store keeps each document's title, breadcrumbs and full text (for the teasers under each
//! result). The rebuilt index has the same documents, addresses, titles and breadcrumbs; only
//! each text loses the hidden lines, and the inverted index is made from what is left with the
//! same library, tokenizer, language and fields as mdBook's.
//!
//! Where the documents come from: book.toml turns mdBook's own indexing off, and mdBook writes an
//! index without documents; they are then made from the chapters (`crate::search_chapters`), as
//! mdBook would have made them. When mdBook's index holds documents, they are taken, and every
//! page's reading (`crate::search_page`) is checked against them: `cargo xtask test` builds the
//! book both ways and requires the same file. The file is named after what is written into it,
//! as mdBook names it (`searchindex-` and the first 4 bytes of its SHA-256 in hex), and the pages
//! and mdBook's searcher script are given the new name: the name mdBook gave it is that of its
//! own index, the same for every build when its indexing is off.
//!
//! One thing differs on purpose: each field's inverted index holds that field's own words.
//! elasticlunr-rs 3.0.2 counts a document's words across its fields as it goes (its `add_doc`
//! keeps one tally for all of them), so in mdBook's index the body field also holds the title's
//! words and the breadcrumbs field holds the title's and the body's: the whole text indexed twice.
//! elasticlunr.js, which searches the index, indexes each field on its own; here the body and
//! breadcrumbs fields are built that way too, each in an index of its own, and put in place of
//! the doubled ones. Search finds the same documents; a word of a section's text now counts once
//! (in its body), not twice, so titles and breadcrumbs weigh a little more in the ranking.
//!
//! How it is kept fast (the book has about 139,000 words; this was 0.35 s of the build): the
//! English stemmer runs once per distinct word (`crate::cached_english`); the bodies, most of the
//! words, are indexed in two halves, one on a thread of its own, whose inverted indexes
//! `crate::search_index_file` merges; and the file is written from typed parts, without a
//! `serde_json::Value` of the whole index. The output is the same, byte for byte, as the one
//! index per field built and written through a `Value`.

use crate::cached_english::CachedEnglish;
use crate::context::Chapter;
use crate::pages::Page;
use crate::search_chapters::{self, Made};
use crate::search_cjk::{self, Cjk};
use crate::search_index_file::{self, Document, Stored, StoredDocument};
use crate::search_page::{self, Section};
use anyhow::{Context, Result, bail};
use elasticlunr::{IndexBuilder, Language};
use sha2::{Digest, Sha256};
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

/// The budget of an edition in Chinese, Japanese or Korean, in bytes per character of the text
/// it indexes (the same text as above, its characters other than whitespace counted: words mean
/// little in text without spaces, and each character gives one pair). The zh-CN edition's index
/// measured 8.81 on 2026-12-05 (4,781,265 bytes for 542,529 characters; gzip -9: 740,270): 1.77
/// bytes a character for the stored text (three bytes a CJK character in UTF-8, the code and
/// English terms one), 7.0 for the inverted index, about one posting (`"12":{"tf":1.0}`) per pair
/// of each section. The budget leaves 10% over that: text a reader does not see (hidden lines
/// made the English index three times its size), or single characters indexed beside the pairs
/// (11.05 bytes a character, measured the same day), fails the build.
const CJK_BYTES_PER_CHARACTER: f64 = 9.7;

/// How the text is cut into the words of the index: as mdBook cuts English, or in pairs of
/// characters for an edition in Chinese, Japanese or Korean (`crate::search_cjk`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Words {
    English,
    Cjk,
}

impl Words {
    /// The words of an edition in `language` (book.toml's `book.language`; none is English).
    pub fn of(language: Option<&str>) -> Words {
        match language.is_some_and(search_cjk::is_cjk_language) {
            true => Words::Cjk,
            false => Words::English,
        }
    }
}

/// Rewrites the index (see [`rewrite`]), says what it did in one line, and fails when the result
/// is bigger per word of text than the Async Book's (an English edition) or per character than
/// [`CJK_BYTES_PER_CHARACTER`] (a CJK edition). Gives the file's old name and its new one.
pub fn finish(
    html: &Path,
    pages: &[Page],
    chapters: &[&Chapter],
    split_level: u8,
    words: Words,
) -> Result<(String, String)> {
    let done = rewrite(html, pages, chapters, split_level, words)?;
    if words == Words::Cjk {
        eprintln!(
            "mdbook-finish: {} written without hidden lines, in pairs of CJK characters: {} documents, {} characters, \
             {} KB, {:.2} bytes per character (budget {CJK_BYTES_PER_CHARACTER})",
            name_of(&done.file),
            done.documents,
            done.characters,
            done.after / 1000,
            done.after as f64 / done.characters.max(1) as f64,
        );
        check_cjk_size(done.after, done.characters)?;
        return Ok((done.old, name_of(&done.file)));
    }
    let per_word = done.after as f64 / done.words.max(1) as f64;
    let source = match done.made {
        true => "documents made from the chapters, mdBook's indexing off".to_string(),
        false => format!(
            "mdBook's documents; it wrote {} KB, {:.1} per word",
            done.before / 1000,
            done.before as f64 / done.words.max(1) as f64
        ),
    };
    eprintln!(
        "mdbook-finish: {} written without hidden lines: {} documents, {} words, {} KB, {per_word:.1} bytes per word \
         ({source}; the Async Book's own: {ANCHOR_BYTES_PER_WORD})",
        name_of(&done.file),
        done.documents,
        done.words,
        done.after / 1000,
    );
    check_size(done.after, done.words)?;
    Ok((done.old, name_of(&done.file)))
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

fn check_cjk_size(bytes: usize, characters: usize) -> Result<()> {
    let per_character = bytes as f64 / characters.max(1) as f64;
    if per_character > CJK_BYTES_PER_CHARACTER {
        bail!(
            "the search index is {per_character:.2} bytes per character of the text it indexes ({bytes} bytes, \
             {characters} characters other than whitespace), more than the budget of {CJK_BYTES_PER_CHARACTER} for an \
             edition in Chinese, Japanese or Korean: what new text is indexed that readers do not see?"
        );
    }
    Ok(())
}

/// The longest token mdBook indexes.
const MAX_TOKEN: usize = 80;

/// What a rewrite did, for one line of the build's output.
pub struct Rewritten {
    pub file: PathBuf,
    /// The name mdBook gave the file, which the pages and the searcher script hold.
    pub old: String,
    /// Whether the documents were made from the chapters (mdBook's index held none).
    pub made: bool,
    pub before: usize,
    pub after: usize,
    pub documents: usize,
    /// Words of the text a reader sees on the indexed pages: headings and sections, no hidden
    /// lines, no scripts or styles.
    pub words: usize,
    /// Characters of that text, whitespace not counted.
    pub characters: usize,
}

/// Rewrites the search index in `html` (a built HTML book, whose pages are `pages`) without the
/// hidden lines. When mdBook's index holds no documents (book.toml turns its indexing off), the
/// documents are made from `chapters` (`crate::search_chapters`); otherwise mdBook's are taken,
/// every page's reading checked against them. The file is then named after its content as mdBook
/// names it (`searchindex-` and the first 4 bytes of its SHA-256 in hex), so a changed index has
/// a new name; [`Rewritten`] gives the old name, which the pages and the searcher script hold.
/// mdBook's file stays until [`remove`] is called, once the pages name the new one.
pub fn rewrite(
    html: &Path,
    pages: &[Page],
    chapters: &[&Chapter],
    split_level: u8,
    words: Words,
) -> Result<Rewritten> {
    let file = find(html)?;
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let mut stored: Stored = search_index_file::decode(&text).with_context(|| {
        format!(
            "{} is not the search index mdBook 0.5.4 writes",
            file.display()
        )
    })?;
    let from_chapters = stored.doc_urls.is_empty();
    let made;
    let (documents, counted) = if from_chapters {
        made = search_chapters::documents(chapters, pages, split_level)?;
        stored.doc_urls = made.iter().map(|m| m.url.clone()).collect();
        documents_made(&made)
    } else {
        checked(pages, &stored, split_level)
            .with_context(|| format!("cannot rebuild {}", file.display()))?
    };
    let documents_count = stored.doc_urls.len();
    let indexes = index(&documents, words)?;
    let out = search_index_file::encode(&stored, &FIELDS, &indexes, &documents)
        .with_context(|| format!("cannot write {}", file.display()))?;
    let renamed = html.join(file_name(&out));
    std::fs::write(&renamed, &out)
        .with_context(|| format!("cannot write {}", renamed.display()))?;
    Ok(Rewritten {
        old: name_of(&file),
        made: from_chapters,
        file: renamed,
        before: text.len(),
        after: out.len(),
        documents: documents_count,
        words: counted.words,
        characters: counted.characters,
    })
}

/// Removes mdBook's index file `old` from `html`, once nothing names it.
pub fn remove(html: &Path, old: &str) -> Result<()> {
    let file = html.join(old);
    std::fs::remove_file(&file).with_context(|| format!("cannot remove {}", file.display()))
}

/// Puts the index's `new` name in place of its `old` one in `pages` (written back here, after
/// the other jobs wrote theirs) and in the scripts at the book's root that name it (mdBook's
/// searcher script); fails when no script names it. Gives how many pages named it.
pub fn rename_references(html: &Path, pages: &mut [Page], old: &str, new: &str) -> Result<usize> {
    let mut named = 0;
    for page in pages.iter_mut() {
        // Written already by the other jobs.
        page.changed = false;
    }
    for page in pages.iter_mut().filter(|p| p.html.contains(old)) {
        let renamed = page.html.replace(old, new);
        page.set(renamed);
        named += 1;
    }
    crate::pages::write_changed(pages)?;
    let mut scripts = 0;
    for entry in
        std::fs::read_dir(html).with_context(|| format!("cannot list {}", html.display()))?
    {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "js") || path.is_dir() {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if text.contains(old) {
            std::fs::write(&path, text.replace(old, new))
                .with_context(|| format!("cannot write {}", path.display()))?;
            scripts += 1;
        }
    }
    if scripts == 0 {
        bail!(
            "no script in {} names the search index {old}: mdBook's searcher script changed",
            html.display()
        );
    }
    Ok(named)
}

/// The name mdBook gives a search index holding `content`.
fn file_name(content: &str) -> String {
    hashed_name("searchindex", ".js", content.as_bytes())
}

/// The name mdBook gives its copy of a file `<name><suffix>` holding `content`:
/// `<name>-<hash><suffix>`, the hash the first 4 bytes of its SHA-256 in hex.
pub fn hashed_name(name: &str, suffix: &str, content: &[u8]) -> String {
    let digest = Sha256::digest(content);
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("{name}-{hex}{suffix}")
}

/// How much text a reader sees in the indexed documents.
#[derive(Default)]
struct Counted {
    words: usize,
    /// Characters other than whitespace.
    characters: usize,
}

impl Counted {
    fn add(&mut self, heading: &str, visible: &str) {
        for text in [heading, visible] {
            self.words += text.split_whitespace().count();
            self.characters += text.chars().filter(|c| !c.is_whitespace()).count();
        }
    }
}

fn name_of(file: &Path) -> String {
    file.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string()
}

/// The documents made from the chapters, with the text a reader sees, and how much it is.
fn documents_made(made: &[Made]) -> (Vec<Document<'_>>, Counted) {
    let mut counted = Counted::default();
    let documents = made
        .iter()
        .enumerate()
        .map(|(number, m)| {
            let visible = collapse(m.section.visible.trim());
            counted.add(&m.section.heading, &visible);
            Document {
                body: visible,
                breadcrumbs: &m.breadcrumbs,
                id: number.to_string(),
                title: &m.title,
            }
        })
        .collect();
    (documents, counted)
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

/// The documents mdBook stored, at the same addresses, each with the text a reader sees; and how
/// much text they show. Every document's full text, as read from its page, must be the text
/// mdBook stored, or nothing is written.
fn checked<'a>(
    book: &[Page],
    stored: &'a Stored,
    split_level: u8,
) -> Result<(Vec<Document<'a>>, Counted)> {
    let urls = &stored.doc_urls;
    let docs = &stored.index.document_store.docs;
    let mut pages: HashMap<&str, (Vec<Section>, usize)> = HashMap::new();
    let mut counted = Counted::default();
    let mut documents = Vec::with_capacity(urls.len());
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
        counted.add(&section.heading, &visible);
        documents.push(Document {
            body: visible,
            breadcrumbs,
            id: key,
            title,
        });
    }
    for (page, (sections, used)) in &pages {
        if *used != sections.len() {
            bail!(
                "{page} has {} sections as read here; mdBook indexed {used}",
                sections.len()
            );
        }
    }
    Ok((documents, counted))
}

/// The fields mdBook 0.5.4 indexes, in its order.
const FIELDS: [&str; 3] = ["title", "body", "breadcrumbs"];

/// The elasticlunr indexes of `documents`: of their titles and their breadcrumbs (all documents
/// each), and of their bodies in two parts, the first half of the text on a thread of its own
/// (most of the work is indexing the bodies' words). `search_index_file::encode` merges the parts
/// of a field; the title's index comes first, as it holds every document.
///
/// Each field has an index of its own because elasticlunr-rs 3.0.2 counts a document's words
/// across its fields as it goes (its `add_doc` keeps one tally for all of them): in mdBook's
/// index the body field also holds the title's words and the breadcrumbs field holds the title's
/// and the body's, the whole text indexed twice. elasticlunr.js, which searches the index,
/// indexes each field on its own, and so does this.
fn index(documents: &[Document], words: Words) -> Result<Vec<String>> {
    let total: usize = documents.iter().map(|d| d.body.len()).sum();
    let mut seen = 0;
    let half = documents
        .iter()
        .take_while(|d| {
            seen += d.body.len();
            seen <= total / 2
        })
        .count();
    let (first, second) = documents.split_at(half);
    let english = CachedEnglish::new();
    std::thread::scope(|scope| {
        let english = &english;
        let bodies = scope.spawn(|| field_index("body", first, |d| &d.body, english, words));
        let mut indexes = vec![
            field_index("title", documents, |d| d.title, english, words),
            field_index("breadcrumbs", documents, |d| d.breadcrumbs, english, words),
            field_index("body", second, |d| &d.body, english, words),
        ];
        indexes.push(bodies.join().unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "indexing the first half of the bodies panicked"
            ))
        }));
        indexes.into_iter().collect()
    })
}

/// The index of one field of `documents`, `text` of each, with mdBook's tokenizer and language
/// (English, here with a cache of its stems shared by every index built with `english`), or, in
/// a CJK edition, with pairs of CJK characters (`crate::search_cjk`), serialized by
/// elasticlunr-rs. It keeps no documents (they are written from `Rebuilt::documents`).
fn field_index(
    field: &str,
    documents: &[Document],
    text: impl for<'d> Fn(&'d Document) -> &'d str,
    english: &CachedEnglish,
    words: Words,
) -> Result<String> {
    let (language, tokenizer): (Box<dyn Language>, Tokenizer) = match words {
        Words::English => (Box::new(english.clone()), tokenize),
        Words::Cjk => (Box::new(Cjk::new(english.clone())), search_cjk::tokenize),
    };
    let mut index = IndexBuilder::with_language(language)
        .save_docs(false)
        .add_field_with_tokenizer(field, Box::new(tokenizer))
        .build();
    for document in documents {
        index.add_doc(&document.id, [text(document)]);
    }
    Ok(serde_json::to_string(&index)?)
}

/// How a field's text is cut into tokens.
type Tokenizer = fn(&str) -> Vec<String>;

/// Words as mdBook 0.5.4 cuts them: at whitespace and hyphens, lower-cased, none longer than 80
/// bytes.
fn tokenize(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == '-')
        .filter(|word| !word.is_empty())
        .map(|word| word.trim().to_lowercase())
        .filter(|word| word.len() <= MAX_TOKEN)
        .collect()
}

/// Runs of two or more whitespace characters become one space, as mdBook stores text; a lone
/// whitespace character stays as it is.
pub fn collapse(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(char::is_whitespace) {
        out.push_str(&rest[..start]);
        let run = &rest[start..];
        let end = run.find(|c: char| !c.is_whitespace()).unwrap_or(run.len());
        match run[..end].chars().nth(1) {
            Some(_) => out.push(' '),
            None => out.push_str(&run[..end]),
        }
        rest = &run[end..];
    }
    out.push_str(rest);
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
    fn fails_above_the_cjk_budget_per_character() {
        assert!(check_cjk_size(970, 100).is_ok());
        let error = check_cjk_size(971, 100).unwrap_err().to_string();
        assert!(error.contains("9.71 bytes per character"), "{error}");
        assert!(error.contains("971 bytes, 100 characters"), "{error}");
    }

    #[test]
    fn indexes_a_cjk_edition_in_pairs_and_english_as_before() {
        assert_eq!(Words::of(Some("zh-CN")), Words::Cjk);
        assert_eq!(Words::of(Some("en")), Words::English);
        assert_eq!(Words::of(None), Words::English);
        let documents = [Document {
            body: "唤醒器（waker）被调用 polling".to_string(),
            breadcrumbs: "书 » 唤醒",
            id: "0".to_string(),
            title: "构建唤醒器",
        }];
        let cjk = index(&documents, Words::Cjk).unwrap().join("");
        for token in [
            "\"唤\":{\"docs\":{},\"df\":0,\"醒\"",
            "\"醒\":{\"docs\":{},\"df\":0,\"器\"",
            "\"l\":{\"docs\":{\"0\"",
        ] {
            assert!(cjk.contains(token), "{token} not in {cjk}");
        }
        assert!(cjk.contains(r#""pipeline":["trimmer-cjk","stopWordFilter","stemmer-cjk"]"#));
        let english = index(&documents, Words::English).unwrap().join("");
        assert!(english.contains(r#""pipeline":["trimmer","stopWordFilter","stemmer"]"#));
        assert!(!english.contains("\"醒\":{\"docs\":{},\"df\":0,\"器\""));
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
        let (documents, counted) = checked(&[page], &stored, 3).unwrap();
        assert_eq!((counted.words, counted.characters), (3, 20));
        let indexes = index(&documents, Words::English).unwrap();
        let file = search_index_file::encode(&stored, &FIELDS, &indexes, &documents).unwrap();
        let file: serde_json::Value = search_index_file::decode(&file).unwrap();
        let index = &file["index"];
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

        drop(documents);
        let mut wrong = stored;
        wrong.index.document_store.docs.get_mut("0").unwrap().body = "other".to_string();
        let Err(error) = checked(&[], &wrong, 3) else {
            panic!("a book without the indexed page rebuilt");
        };
        let error = error.to_string();
        assert!(error.contains("the book has no page a.html"), "{error}");
    }

    /// mdBook 0.5.4 named this index, which it wrote for a book of one chapter, "A", that says
    /// "Wake", searchindex-8f52066b.js.
    #[test]
    fn names_the_file_as_mdbook_does() {
        let written = r#"window.search = Object.assign(window.search, JSON.parse('{"results_options":{"limit_results":30,"teaser_word_count":30},"search_options":{"bool":"OR","expand":true,"fields":{"body":{"boost":1},"breadcrumbs":{"boost":1},"title":{"boost":2}}},"doc_urls":["a.html"],"index":{"fields":["title","body","breadcrumbs"],"pipeline":["trimmer","stopWordFilter","stemmer"],"ref":"id","version":"0.9.5","index":{"body":{"root":{"docs":{},"df":0,"w":{"docs":{},"df":0,"a":{"docs":{},"df":0,"k":{"docs":{},"df":0,"e":{"docs":{"0":{"tf":1.0}},"df":1}}}}}},"breadcrumbs":{"root":{"docs":{},"df":0,"w":{"docs":{},"df":0,"a":{"docs":{},"df":0,"k":{"docs":{},"df":0,"e":{"docs":{"0":{"tf":1.0}},"df":1}}}}}},"title":{"root":{"docs":{},"df":0}}},"documentStore":{"save":true,"docs":{"0":{"body":"Wake","breadcrumbs":"A","id":"0","title":"A"}},"docInfo":{"0":{"body":1,"breadcrumbs":0,"title":0}},"length":1},"lang":"English"}}'));"#;
        assert_eq!(file_name(written), "searchindex-8f52066b.js");
    }

    #[test]
    fn renames_the_index_in_the_pages_and_the_searcher_script() {
        let html =
            std::env::temp_dir().join(format!("mdbook-finish-rename-{}", std::process::id()));
        std::fs::create_dir_all(&html).unwrap();
        let script = html.join("searcher-1.js");
        std::fs::write(&script, "load('searchindex-0a.js');").unwrap();
        let page = |name: &str, text: &str| Page {
            name: name.to_string(),
            path: html.join(name),
            html: text.to_string(),
            changed: true,
        };
        let mut pages = [
            page("a.html", "x = \"searchindex-0a.js\";"),
            page("b.html", "no search"),
        ];
        let named = rename_references(&html, &mut pages, "searchindex-0a.js", "searchindex-1b.js");
        assert_eq!(named.unwrap(), 1);
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();
        assert_eq!(read(&html.join("a.html")), "x = \"searchindex-1b.js\";");
        // Written already by the other jobs: not written again.
        assert!(!html.join("b.html").exists());
        assert_eq!(read(&script), "load('searchindex-1b.js');");
        let error = rename_references(&html, &mut pages, "searchindex-0a.js", "searchindex-2c.js")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("no script in"), "{error}");
        std::fs::remove_dir_all(&html).unwrap();
    }

    #[test]
    fn collapses_runs_but_keeps_a_lone_newline() {
        assert_eq!(collapse("a \n b\nc  d"), "a b\nc d");
        assert_eq!(collapse("\u{a0}x\t\u{a0}y\u{2003}"), "\u{a0}x y\u{2003}");
    }

    #[test]
    fn tokenizes_at_whitespace_and_hyphens() {
        assert_eq!(
            tokenize("Self-referential  Futures\tpoll"),
            ["self", "referential", "futures", "poll"]
        );
    }
}
