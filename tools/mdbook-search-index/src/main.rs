//! mdbook-search-index: an mdBook renderer that runs after the HTML one and rewrites its search
//! index without the listings' hidden lines.
//!
//! A chapter shows a listing through `{{#rustdoc_include file:anchor}}`: the anchored part is
//! shown, the rest of the file comes along as hidden lines (so Run and `mdbook test` get the whole
//! program). mdBook 0.5.4 indexes every text of the page, hidden lines included, and keeps each
//! section's whole text for the teasers: in this book that was two words of hidden code for every
//! word a reader sees, and the index a phone downloads when search opens tripled. The rewritten
//! index holds the same documents, addresses, titles and breadcrumbs, built by the same library
//! (elasticlunr-rs, mdBook's version) with mdBook's tokenizer, from the text a reader sees.
//!
//! book.toml runs it as `[output.search-index]` (`cargo xtask install-tools` installs it, as it
//! does every plugin of `tools/`): it reads the render context mdBook sends on stdin for where
//! the book is built and for `output.html.search.heading-split-level`, and checks the rewritten
//! index against the Async Book's size per word of text (below), failing the build above it. Any doubt (a page read differently from mdBook's
//! index, a missing file) fails the build, naming the page.

mod index;
mod page;

/// The Async Book's search index, in bytes per word of the text it indexes, counted the same way
/// (words of the headings and sections of its pages, as this program reads them, without hidden
/// lines): 1,229,564 bytes for 36,088 words, 34.07 per word (gzip -9: 167,580 bytes, 4.64). Measured on 2026-12-05 from rust-lang/async-book
/// (src/SUMMARY.md at commit 001ed45cf63d25919ee1d253355f29ec1b2c0621, as rebuilt in
/// /work/anchor/async-book, see its README.txt) built by mdBook 0.5.4, by running this program
/// on a copy of that build. Issue 18 asks that this book's index be no bigger per word.
const ANCHOR_BYTES_PER_WORD: f64 = 34.07;

use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::path::Path;

fn main() {
    if let Err(error) = run() {
        eprintln!("mdbook-search-index: {error:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let context: Value = serde_json::from_reader(std::io::stdin().lock())
        .context("stdin is not an mdBook render context (this program is run by `mdbook build`)")?;
    let destination = context["destination"]
        .as_str()
        .context("the render context has no destination")?;
    let html = Path::new(destination)
        .parent()
        .context("the renderer's folder has no parent")?
        .join("html");
    let search = &context["config"]["output"]["html"]["search"];
    if search["enable"] == Value::Bool(false) {
        return Ok(());
    }
    let split_level = search["heading-split-level"].as_u64().unwrap_or(3);
    let split_level =
        u8::try_from(split_level).context("heading-split-level is not a heading level")?;
    let done = index::rewrite(&html, split_level)?;
    let per_word = done.after as f64 / done.words.max(1) as f64;
    eprintln!(
        "mdbook-search-index: {} rewritten without hidden lines: {} documents, {} words, {} KB, {per_word:.1} bytes per word \
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
    if per_word > ANCHOR_BYTES_PER_WORD {
        bail!(
            "the search index is {per_word:.1} bytes per word of the text it indexes ({} bytes, {} words), more \
             than the Async Book's {ANCHOR_BYTES_PER_WORD} (issue 18: no bigger per word than it): what new text \
             is indexed that readers do not see?",
            done.after,
            done.words
        );
    }
    Ok(())
}
