//! mdbook-generated: an mdBook preprocessor that brings the files of `src/generated/` (tables and
//! notes written by `cargo xtask bench`) into the chapters, and nothing else.
//!
//! A translated edition is made by mdbook-gettext, which replaces each paragraph, heading, list
//! item and table cell of a chapter by its translation from `po/LANG.po`. What it sees is the
//! chapter as it stands when it runs, and mdbook-xgettext extracts the messages to translate from
//! the same text. The listings must not be there (their code and comments are shown as in
//! English, and `{{#include}}` lines keep them out of the messages), but the generated tables must
//! (their headers, row names and notes are words for the reader). So this preprocessor runs before
//! mdbook-gettext, for the html renderer and for mdbook-xgettext, and expands exactly the
//! whole-file includes whose path starts with `generated/`; mdbook-hidden-lines brings in the
//! rest later, with mdBook's own `links` code (`mdbook test` runs mdBook's `links`, which expands
//! both).
//!
//! The text put in is what mdBook's `links` puts in for a whole-file `{{#include}}`: the file's
//! lines joined by `\n`, without a final newline. A directive escaped as `\{{#include …}}` is
//! left for `links`, which removes the backslash. A file that cannot be read fails the build,
//! naming the chapter and the file.

use anyhow::{Context, Result};
use mdbook_preprocessor::book::{Book, BookItem};
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use std::path::Path;

struct Generated;

/// The directive's start; the path runs to the closing `}}`.
const OPEN: &str = "{{#include generated/";

impl Preprocessor for Generated {
    fn name(&self) -> &str {
        "generated"
    }

    fn run(
        &self,
        ctx: &PreprocessorContext,
        mut book: Book,
    ) -> mdbook_preprocessor::errors::Result<Book> {
        let src = ctx.root.join(&ctx.config.book.src);
        let mut failure = None;
        book.for_each_mut(|item| {
            let BookItem::Chapter(chapter) = item else {
                return;
            };
            let Some(path) = &chapter.path else {
                return; // a draft chapter
            };
            if failure.is_some() {
                return;
            }
            let dir = src.join(path.parent().unwrap_or(Path::new("")));
            match expand(&chapter.content, &dir) {
                Ok(content) => chapter.content = content,
                Err(error) => {
                    failure = Some(error.context(format!("in {}", path.display())));
                }
            }
        });
        failure.map_or(Ok(book), Err)
    }

    /// The html renderer and mdbook-xgettext. `mdbook test` has mdBook's `links`; the other
    /// renderers read no table.
    fn supports_renderer(&self, renderer: &str) -> mdbook_preprocessor::errors::Result<bool> {
        Ok(matches!(renderer, "html" | "xgettext"))
    }
}

/// `markdown` with each `{{#include generated/…}}` replaced by the file, read relative to `dir`.
fn expand(markdown: &str, dir: &Path) -> Result<String> {
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(at) = rest.find(OPEN) {
        let (before, directive) = rest.split_at(at);
        let Some(end) = directive.find("}}") else {
            break;
        };
        out.push_str(before);
        if before.ends_with('\\') {
            // Escaped: `links` shows it as written.
            out.push_str(&directive[..end + 2]);
        } else {
            let relative = directive["{{#include ".len()..end].trim();
            let file = dir.join(relative);
            let text = std::fs::read_to_string(&file).with_context(|| {
                format!(
                    "cannot read {{{{#include {relative}}}}} ({})",
                    file.display()
                )
            })?;
            out.push_str(&text.lines().collect::<Vec<_>>().join("\n"));
        }
        rest = &directive[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `supports RENDERER`, or the book in and out as JSON (tools/preprocessor-main).
fn main() {
    preprocessor_main::main(&Generated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("mdbook-generated-{name}-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("generated")).unwrap();
        std::fs::write(
            dir.join("generated/t.md"),
            "| a | b |\n|---|---|\n| 1 | 2 |\n",
        )
        .unwrap();
        dir
    }

    #[test]
    fn expands_generated_includes_only_and_as_links_would() {
        let dir = folder("expand");
        let text =
            "x\n\n{{#include generated/t.md}}\n\n```rust\n{{#include ../listings/a.rs}}\n```\n";
        assert_eq!(
            expand(text, &dir).unwrap(),
            "x\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```rust\n{{#include ../listings/a.rs}}\n```\n"
        );
    }

    #[test]
    fn leaves_an_escaped_directive_for_links() {
        let dir = folder("escaped");
        let text = "see `\\{{#include generated/t.md}}` here";
        assert_eq!(expand(text, &dir).unwrap(), text);
    }

    #[test]
    fn a_missing_file_is_named() {
        let dir = folder("missing");
        let error = expand("{{#include generated/nope.md}}", &dir).unwrap_err();
        assert!(
            format!("{error:#}").contains("generated/nope.md"),
            "{error:#}"
        );
    }
}
