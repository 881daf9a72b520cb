//! mdBook's `links` preprocessor, run in this process for the html renderer.
//!
//! `{{#include}}`, `{{#rustdoc_include}}` and `{{#playground}}` bring the listings into the
//! chapters, and the listings, hidden lines and all, are most of the book's text. mdBook sends a
//! preprocessor the whole book as JSON in many small writes, so a book expanded before it reaches
//! this preprocessor cost the build about a quarter of a second in writing alone. book.toml
//! therefore lets mdBook's own `links` run only for `mdbook test`, and this module runs the same
//! code (`mdbook_driver`'s `LinkPreprocessor`, at the version of the installed mdbook) for html,
//! on the chapters as written, before their hidden lines are taken out.
//!
//! Two things differ from mdBook's own run, both on the safe side:
//! - what `links` reports (a file it cannot read, say) goes to the tracing log, which mdBook
//!   prints and then builds the page with the directive left in it; here an error fails the
//!   build, naming the chapter, and a warning is printed with the chapter's name. An anchor that
//!   is not in the file is not reported by `links` at all (the include is empty, in mdBook's
//!   build as in this one): `cargo xtask test includes` (xtask/src/includes.rs) catches that;
//! - `{{#title}}` sets a page's title through the context mdBook keeps in its own process, which a
//!   preprocessor cannot hand back: a chapter using it fails the build instead of losing its title.

use anyhow::{Result, bail};
use mdbook_driver::builtin_preprocessors::LinkPreprocessor;
use mdbook_preprocessor::book::{Book, BookItem, Chapter};
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Expands every chapter's links as mdBook's `links` would, or fails naming the first chapter
/// whose expansion reported an error.
pub fn expand(ctx: &PreprocessorContext, book: &mut Book) -> Result<()> {
    let mut failure = None;
    book.for_each_mut(|item| {
        let BookItem::Chapter(chapter) = item else {
            return;
        };
        if failure.is_none()
            && let Err(error) = expand_chapter(ctx, chapter)
        {
            failure = Some(error);
        }
    });
    failure.map_or(Ok(()), Err)
}

/// One chapter, alone in a book of its own, so that what `links` reports is known to be about it.
fn expand_chapter(ctx: &PreprocessorContext, chapter: &mut Chapter) -> Result<()> {
    if chapter.path.is_none() {
        return Ok(()); // a draft chapter: nothing to expand
    }
    let source = chapter
        .source_path
        .as_deref()
        .or(chapter.path.as_deref())
        .unwrap_or(Path::new(&chapter.name))
        .display()
        .to_string();
    // The chapter without its sub-chapters (for_each_mut visits them next), which are not cloned.
    let sub_items = std::mem::take(&mut chapter.sub_items);
    let alone = Chapter {
        content: std::mem::take(&mut chapter.content),
        ..chapter.clone()
    };
    chapter.sub_items = sub_items;
    let reports = Reports::default();
    let subscriber = tracing_subscriber::registry().with(reports.clone());
    let expanded = tracing::subscriber::with_default(subscriber, || {
        LinkPreprocessor::new().run(ctx, Book::new_with_items(vec![BookItem::Chapter(alone)]))
    })?;
    let Some(BookItem::Chapter(done)) = expanded.items.into_iter().next() else {
        bail!("mdBook's links preprocessor returned no chapter for {source}");
    };
    chapter.content = done.content;
    let reports = reports.take();
    if reports.iter().any(|(level, _)| *level == Level::ERROR) {
        // mdBook logs an error, then its causes as warnings ("Caused By: …"): one line.
        let all: Vec<&str> = reports
            .iter()
            .map(|(_, message)| message.as_str())
            .collect();
        bail!("in {source}: {}", all.join("; "));
    }
    for (_, message) in &reports {
        eprintln!("mdbook-hidden-lines: warning in {source}: {message}");
    }
    if !ctx.chapter_titles.borrow().is_empty() {
        bail!(
            "in {source}: {{{{#title}}}} is not supported (mdBook's html renderer would not see it: \
             book.toml runs mdBook's `links` only for `mdbook test`, and tools/mdbook-hidden-lines for html)"
        );
    }
    Ok(())
}

/// The warnings and errors logged while it is the tracing subscriber's layer.
#[derive(Clone, Default)]
struct Reports(Arc<Mutex<Vec<(Level, String)>>>);

impl Reports {
    fn take(&self) -> Vec<(Level, String)> {
        std::mem::take(
            &mut self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }
}

impl<S: Subscriber> Layer<S> for Reports {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let level = *event.metadata().level();
        if level > Level::WARN {
            return; // INFO, DEBUG, TRACE: more verbose than WARN
        }
        let mut message = Message::default();
        event.record(&mut message);
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push((level, message.0));
    }
}

/// An event's fields as one line: the message, then any other field as `name=value`.
#[derive(Default)]
struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, "{}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mdbook_preprocessor::config::Config;

    /// A book root holding `listing.rs`, and a context for it.
    fn book_root(name: &str) -> (std::path::PathBuf, PreprocessorContext) {
        let root =
            std::env::temp_dir().join(format!("hidden-lines-links-{name}-{}", std::process::id()));
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(
            root.join("src/listing.rs"),
            "use std::fmt;\n// ANCHOR: shown\nfn shown() {}\n// ANCHOR_END: shown\n",
        )
        .unwrap();
        let ctx = PreprocessorContext::new(root.clone(), Config::default(), "html".to_string());
        (root, ctx)
    }

    fn chapter(content: &str) -> Book {
        let chapter = Chapter::new("One", content.to_string(), "one.md", Vec::new());
        Book::new_with_items(vec![BookItem::Chapter(chapter)])
    }

    fn content(book: &Book) -> &str {
        match &book.items[0] {
            BookItem::Chapter(chapter) => &chapter.content,
            _ => unreachable!(),
        }
    }

    #[test]
    fn expands_as_mdbook_does() {
        let (root, ctx) = book_root("ok");
        let mut book = chapter(
            "```rust\n{{#rustdoc_include listing.rs:shown}}\n```\n\\{{#include listing.rs}}\n",
        );
        expand(&ctx, &mut book).unwrap();
        assert_eq!(
            content(&book),
            "```rust\n# use std::fmt;\nfn shown() {}\n```\n{{#include listing.rs}}\n"
        );
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_missing_file_fails_naming_the_chapter() {
        let (root, ctx) = book_root("missing");
        let mut book = chapter("{{#include missing.rs}}\n");
        let error = expand(&ctx, &mut book).unwrap_err().to_string();
        assert!(
            error.starts_with("in one.md: ") && error.contains("missing.rs"),
            "{error}"
        );
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn a_title_directive_fails() {
        let (root, ctx) = book_root("title");
        let mut book = chapter("{{#title Another}}\n# One\n");
        let error = expand(&ctx, &mut book).unwrap_err().to_string();
        assert!(error.contains("{{#title}} is not supported"), "{error}");
        std::fs::remove_dir_all(root).unwrap();
    }
}
