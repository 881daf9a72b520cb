//! mdbook-hidden-lines: an mdBook preprocessor, for the html renderer only, that takes the
//! listings' hidden lines out of the chapter pages. Each `{{#rustdoc_include file:anchor}}` shows
//! its anchor and brings the rest of the file along as hidden lines, which were most of the
//! book's page weight. theme/hidden-lines.js fetches them back when a reader needs them: Run,
//! "show hidden lines", editing. `mdbook test` and the other renderers never run this
//! preprocessor (book.toml: `renderers = ["html"]`) and see every line.
//!
//! It first brings the listings in, running mdBook's own `links` code in this process (see
//! `links`): book.toml runs mdBook's `links` for `mdbook test` only, so the book reaches this
//! preprocessor unexpanded, a seventh of the bytes mdBook would otherwise write to it.
//!
//! # The contract with the finishing renderer (tools/mdbook-finish) and theme/hidden-lines.js
//!
//! **Files.** Each run empties `<build-dir>/hidden-lines/` and writes there one file per distinct
//! block text: `<name>` = the first 16 hex digits of the SHA-256 of the content, then `.txt`
//! (e.g. `3f2a9c0d1e2b4a5c.txt`). The content is the block's code as mdBook's html renderer shows
//! it with every line displayed (hidden lines without their `# `, `##` escapes undone, mdBook's
//! `fn main` wrapper where it would add one), lines joined by `\n`, no newline at the end, UTF-8.
//! Blocks that include the same file with different anchors have the same text and share one
//! file. `<build-dir>` is the book's build directory as mdBook resolves it (`build.build-dir`
//! relative to the book root, or `mdbook build -d DIR`). mdBook's html renderer empties
//! `<build-dir>/html/` before writing, so the finishing renderer, which runs after it, copies
//! `<build-dir>/hidden-lines/*` to `<build-dir>/html/hidden-lines/` and fails the build when a
//! page refers to a file that is not there.
//!
//! **References.** A block that had hidden lines is written as finished HTML:
//! `<pre class="playground"><code class="language-rust … hidden-lines=<name>:<count>:<ranges>">`
//! visible text `<span class="boring"></span></code></pre>` (`class="playground"` only on blocks
//! mdBook makes playgrounds). Every reference in a page therefore matches the regular expression
//! `hidden-lines=([0-9a-f]{16}\.txt):` (one class of a `<code>`), and names the file
//! `hidden-lines/<name>` relative to the book root (the page's `path_to_root`). `<count>` is the
//! number of lines in the file, `<ranges>` the hidden ones as 0-based inclusive `first-last`
//! ranges joined by `_` (`0-11_40-79`); every other line is one of the visible lines, in order.
//! The empty `<span class="boring">` is the marker that makes mdBook's book.js add the "show
//! hidden lines" button.

mod blocks;
mod links;
mod mdbook_rules;

use anyhow::{Context, Result, bail};
use mdbook_preprocessor::book::{Book, BookItem};
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

struct HiddenLines;

impl Preprocessor for HiddenLines {
    fn name(&self) -> &str {
        "hidden-lines"
    }

    fn run(
        &self,
        ctx: &PreprocessorContext,
        book: Book,
    ) -> mdbook_preprocessor::errors::Result<Book> {
        run(ctx, book)
    }

    /// Only the HTML pages fetch hidden lines; `mdbook test` must compile whole programs.
    fn supports_renderer(&self, renderer: &str) -> mdbook_preprocessor::errors::Result<bool> {
        Ok(renderer == "html")
    }
}

/// `supports RENDERER`, or the book in and out as JSON (tools/preprocessor-main).
fn main() {
    preprocessor_main::main(&HiddenLines)
}

fn settings(ctx: &PreprocessorContext) -> Result<blocks::Settings> {
    let runnable = ctx
        .config
        .get::<bool>("output.html.playground.runnable")
        .context("book.toml: output.html.playground.runnable")?
        .unwrap_or(true);
    let hidelines = ctx
        .config
        .get::<BTreeMap<String, String>>("output.html.code.hidelines")
        .context("book.toml: output.html.code.hidelines")?;
    if hidelines.is_some_and(|table| !table.is_empty()) {
        bail!(
            "book.toml sets output.html.code.hidelines; mdbook-hidden-lines handles Rust blocks only"
        );
    }
    let edition = ctx.config.rust.edition.map(|edition| {
        // RustEdition serializes as "2024"; mdBook's class is "edition2024".
        let year = serde_json::to_value(edition)
            .ok()
            .and_then(|value| value.as_str().map(str::to_string))
            .unwrap_or_default();
        format!("edition{year}")
    });
    Ok(blocks::Settings { runnable, edition })
}

fn run(ctx: &PreprocessorContext, mut book: Book) -> Result<Book> {
    let settings = settings(ctx)?;
    let folder = ctx
        .root
        .join(&ctx.config.build.build_dir)
        .join("hidden-lines");
    let mut files = Staging::new(folder)?;
    links::expand(ctx, &mut book)?;
    let mut failure = None;
    book.for_each_mut(|item| {
        let BookItem::Chapter(chapter) = item else {
            return;
        };
        if failure.is_some() {
            return;
        }
        let source = chapter
            .source_path
            .as_deref()
            .unwrap_or(Path::new(&chapter.name))
            .display()
            .to_string();
        match rewrite(&chapter.content, &settings, &mut files) {
            Ok(content) => chapter.content = content,
            Err(error) => failure = Some(error.context(format!("in {source}"))),
        }
    });
    if let Some(error) = failure {
        return Err(error);
    }
    files.write()?;
    Ok(book)
}

/// `markdown` with every Rust block that has hidden lines replaced by its HTML.
fn rewrite(markdown: &str, settings: &blocks::Settings, files: &mut Staging) -> Result<String> {
    let found = blocks::find(markdown, settings)?;
    let mut out = String::with_capacity(markdown.len());
    let mut at = 0;
    for block in found {
        let name = files.add(block.full_text());
        out.push_str(&markdown[at..block.range.start]);
        out.push_str(&block.html(&name));
        at = block.range.end;
    }
    out.push_str(&markdown[at..]);
    Ok(out)
}

/// The shared files of one run, by name.
struct Staging {
    folder: PathBuf,
    texts: BTreeMap<String, String>,
}

impl Staging {
    /// Empties `folder` (what an earlier build wrote there is stale).
    fn new(folder: PathBuf) -> Result<Self> {
        if folder.exists() {
            std::fs::remove_dir_all(&folder)
                .with_context(|| format!("cannot empty {}", folder.display()))?;
        }
        Ok(Self {
            folder,
            texts: BTreeMap::new(),
        })
    }

    /// The file name for `text`, from its content.
    fn add(&mut self, text: String) -> String {
        let digest = Sha256::digest(text.as_bytes());
        let hex: String = digest[..8]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let name = format!("{hex}.txt");
        self.texts.entry(name.clone()).or_insert(text);
        name
    }

    fn write(&self) -> Result<()> {
        std::fs::create_dir_all(&self.folder)
            .with_context(|| format!("cannot create {}", self.folder.display()))?;
        for (name, text) in &self.texts {
            let path = self.folder.join(name);
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_of_one_file_share_one_name_and_the_rest_of_the_chapter_stays() {
        let settings = blocks::Settings {
            runnable: true,
            edition: None,
        };
        let dir = std::env::temp_dir().join(format!("hidden-lines-test-{}", std::process::id()));
        let mut files = Staging::new(dir.clone()).unwrap();
        let md = "Intro\n\n```rust\nfn main() {}\n# fn a() {}\n```\n\nMiddle\n\n```rust\n# fn main() {}\nfn a() {}\n```\nEnd\n";
        let out = rewrite(md, &settings, &mut files).unwrap();
        assert_eq!(files.texts.len(), 1);
        let name = files.texts.keys().next().unwrap().clone();
        assert_eq!(files.texts[&name], "fn main() {}\nfn a() {}");
        assert_eq!(
            out,
            format!(
                "Intro\n\n<pre class=\"playground\"><code class=\"language-rust hidden-lines={name}:2:1-1\">fn main() {{}}&#10;<span class=\"boring\"></span></code></pre>\n\nMiddle\n\n<pre class=\"playground\"><code class=\"language-rust hidden-lines={name}:2:0-0\">fn a() {{}}<span class=\"boring\"></span></code></pre>\nEnd\n"
            )
        );
        files.write().unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join(&name)).unwrap(),
            "fn main() {}\nfn a() {}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
