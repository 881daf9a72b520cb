//! The few things this renderer needs from the render context mdBook sends on stdin: where the
//! book is built, the chapters' names, paths and order (for the search index), a few settings of
//! `[output.html]` and its own section of book.toml.
//!
//! mdBook sends every renderer the whole book, every chapter's text included (several MB for this
//! book). The context is read into one buffer and parsed into the small structs below: serde
//! skips each chapter's text and every other unknown field without building anything from them.

use anyhow::{Context as _, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
pub struct RenderContext {
    /// The book's root folder (where book.toml is).
    #[serde(default)]
    pub root: PathBuf,
    /// `<build-dir>/finish`: this renderer's own folder, which it leaves empty.
    destination: PathBuf,
    #[serde(default)]
    pub config: Config,
    #[serde(default)]
    pub book: Book,
}

/// The book as this renderer gets it: no preprocessor runs for it (book.toml runs each for the
/// renderers that need it), so a chapter's path is its file's path under `src`.
#[derive(Default, Deserialize)]
pub struct Book {
    #[serde(default)]
    items: Vec<BookItem>,
}

#[derive(Deserialize)]
enum BookItem {
    Chapter(Chapter),
    Separator,
    PartTitle(serde::de::IgnoredAny),
}

#[derive(Deserialize)]
pub struct Chapter {
    pub name: String,
    /// `None` for a draft chapter.
    #[serde(default)]
    pub path: Option<PathBuf>,
    #[serde(default)]
    pub parent_names: Vec<String>,
    #[serde(default)]
    sub_items: Vec<BookItem>,
}

impl Book {
    /// The chapters mdBook renders, in its order (depth first, as `Book::chapters` in mdBook
    /// 0.5.4): draft chapters, which have no path, left out.
    pub fn chapters(&self) -> Vec<&Chapter> {
        fn walk<'b>(items: &'b [BookItem], out: &mut Vec<&'b Chapter>) {
            for item in items {
                if let BookItem::Chapter(chapter) = item {
                    if chapter.path.is_some() {
                        out.push(chapter);
                    }
                    walk(&chapter.sub_items, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.items, &mut out);
        out
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct Config {
    pub book: BookConfig,
    pub output: Output,
}

/// `[book]`, as this build sees it (`MDBOOK_BOOK__LANGUAGE` builds an edition).
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct BookConfig {
    pub language: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct Output {
    pub html: Html,
    /// Every other renderer's section, by name, this one's among them (see `own_settings`).
    #[serde(flatten)]
    renderers: BTreeMap<String, serde_json::Value>,
}

/// This renderer's section of book.toml, `[output.html-finish]`. A key it does not know fails
/// the build (a misspelt `head-scripts` would otherwise leave the pages unfinished in silence).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct Finish {
    /// mdBook's own keys for any renderer.
    #[serde(rename = "command")]
    _command: Option<String>,
    #[serde(rename = "optional")]
    _optional: Option<bool>,
    /// The `additional-js` files theme/head.hbs loads itself (see `head_scripts`).
    pub head_scripts: Vec<PathBuf>,
    /// The `additional-js` files only pages with Rust code need (see `head_scripts`).
    pub code_scripts: Vec<PathBuf>,
    /// The editions' names, for the language picker (see `language_picker`).
    pub language_picker: Option<crate::language_picker::Settings>,
}

#[derive(Default, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Html {
    pub search: Search,
    pub print: Print,
    pub additional_js: Vec<PathBuf>,
}

#[derive(Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Search {
    pub enable: bool,
    pub heading_split_level: u8,
    /// `[output.html.search.chapter]`: mdBook's indexing turned on or off by source-path prefix.
    pub chapter: BTreeMap<String, ChapterSearch>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ChapterSearch {
    pub enable: Option<bool>,
}

impl Default for Search {
    /// mdBook 0.5.4's defaults.
    fn default() -> Self {
        Search {
            enable: true,
            heading_split_level: 3,
            chapter: BTreeMap::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(default)]
pub struct Print {
    pub enable: bool,
}

impl Default for Print {
    fn default() -> Self {
        Print { enable: true }
    }
}

impl RenderContext {
    /// Reads the context from stdin.
    pub fn from_stdin() -> Result<RenderContext> {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .context("cannot read the render context from stdin")?;
        Self::parse(&bytes)
    }

    pub fn parse(bytes: &[u8]) -> Result<RenderContext> {
        serde_json::from_slice(bytes).context(
            "stdin is not an mdBook render context (this program is run by `mdbook build`)",
        )
    }

    /// `<build-dir>`: where mdBook builds every renderer's output.
    pub fn build_dir(&self) -> Result<&Path> {
        self.destination
            .parent()
            .context("the renderer's folder has no parent")
    }

    /// The name book.toml gives this renderer: `html-finish` for `[output.html-finish]`.
    pub fn name(&self) -> &str {
        self.destination
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
    }

    /// This renderer's section of book.toml.
    pub fn own_settings(&self) -> Result<Finish> {
        let name = self.name();
        match self.config.output.renderers.get(name) {
            None => Ok(Finish::default()),
            Some(section) => {
                Finish::deserialize(section).with_context(|| format!("book.toml's [output.{name}]"))
            }
        }
    }

    /// `<build-dir>/html`: the HTML renderer's book, which this one finishes. mdBook 0.5.4 runs
    /// the renderers in the alphabetical order of their names (the `[output.NAME]` keys), and
    /// names each one's folder after its key: a key that sorts before `html` would finish the
    /// previous build's book, so it is refused.
    pub fn html_dir(&self) -> Result<PathBuf> {
        let name = self.name();
        if name <= "html" {
            bail!(
                "book.toml runs this renderer as [output.{name}], which mdBook runs before [output.html] \
                 (it orders renderers by name): give it a name that sorts after \"html\", such as \
                 [output.html-finish] with command = \"mdbook-finish\""
            );
        }
        Ok(self.build_dir()?.join("html"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_settings_and_the_chapters_names_only() {
        let json =
            br#"{"version":"0.5.4","root":"/b","book":{"items":[{"Chapter":{"name":"N","content":"x\"y"}}]},
            "destination":"/b/book/html-finish",
            "config":{"book":{"title":"T","language":null},"output":{"html":{"search":{"heading-split-level":2},
            "additional-js":["theme/a.js"],"print":{"enable":false}},"finish":{}}}}"#;
        let context = RenderContext::parse(json).unwrap();
        assert_eq!(context.html_dir().unwrap(), Path::new("/b/book/html"));
        assert_eq!(context.root, Path::new("/b"));
        assert_eq!(context.config.book.language, None);
        let html = &context.config.output.html;
        assert!(html.search.enable);
        assert_eq!(html.search.heading_split_level, 2);
        assert!(!html.print.enable);
        assert_eq!(html.additional_js, [Path::new("theme/a.js")]);
        // A chapter without a path is a draft, which mdBook renders no page for.
        assert!(context.book.chapters().is_empty());
    }

    #[test]
    fn reads_its_own_section_and_refuses_an_unknown_key() {
        let json = br#"{"destination":"/b/html-finish","config":{"output":{"html":{},
            "html-finish":{"command":"mdbook-finish","head-scripts":["theme/a.js"]},
            "other":{"head-scripts":3}}}}"#;
        let context = RenderContext::parse(json).unwrap();
        let own = context.own_settings().unwrap();
        assert_eq!(own.head_scripts, [Path::new("theme/a.js")]);
        let json = br#"{"destination":"/b/html-finish","config":{"output":{
            "html-finish":{"head-script":["theme/a.js"]}}}}"#;
        let error = RenderContext::parse(json)
            .unwrap()
            .own_settings()
            .unwrap_err();
        let error = format!("{error:#}");
        assert!(
            error.starts_with("book.toml's [output.html-finish]: unknown field `head-script`"),
            "{error}"
        );
    }

    #[test]
    fn uses_mdbook_s_defaults_when_the_settings_are_absent() {
        let context =
            RenderContext::parse(br#"{"destination":"/b/html-finish","config":{}}"#).unwrap();
        let html = &context.config.output.html;
        assert!(html.search.enable && html.print.enable);
        assert_eq!(html.search.heading_split_level, 3);
    }

    #[test]
    fn refuses_a_name_that_mdbook_runs_before_html() {
        let context = RenderContext::parse(br#"{"destination":"/b/finish","config":{}}"#).unwrap();
        let error = context.html_dir().unwrap_err().to_string();
        assert!(error.contains("[output.finish]"), "{error}");
    }

    #[test]
    fn refuses_what_is_not_a_render_context() {
        assert!(RenderContext::parse(b"{\"book\":{}}").is_err());
    }
}
