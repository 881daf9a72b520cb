//! book.toml, read as mdBook reads it: through mdBook's own typed configuration
//! (`mdbook_preprocessor::config`, from the crates of the pinned mdBook 0.5.4, so a key mdBook
//! would refuse is refused here too), once per use, with the file named in every error.

use anyhow::{Context, Result};
use mdbook_preprocessor::config::{Config, HtmlConfig};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A preprocessor's table (`[preprocessor.NAME]`): the keys mdBook itself reads; a plugin's own
/// keys are allowed and left alone.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct Preprocessor {
    /// The program to run, when it is not `mdbook-NAME`.
    pub command: Option<String>,
    /// Preprocessors this one runs after.
    pub after: Vec<String>,
    /// Preprocessors this one runs before.
    pub before: Vec<String>,
}

/// The book's settings, from `<root>/book.toml`.
pub struct BookToml {
    pub config: Config,
    /// `book.toml` as the errors name it.
    name: String,
}

/// Reads `<root>/book.toml` (mdBook's environment overrides, `MDBOOK_*`, are not applied: the
/// tooling reads the file the repository holds).
pub fn read(root: &Path) -> Result<BookToml> {
    let path = root.join("book.toml");
    let name = path.display().to_string();
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {name}"))?;
    parse(&text, name)
}

fn parse(text: &str, name: String) -> Result<BookToml> {
    let config = text
        .parse::<Config>()
        .map_err(|error| anyhow::anyhow!("{:#}", error))
        .with_context(|| format!("{name} is not a valid mdBook configuration"))?;
    Ok(BookToml { config, name })
}

impl BookToml {
    /// `[book] title`.
    pub fn title(&self) -> Result<&str> {
        self.config
            .book
            .title
            .as_deref()
            .with_context(|| format!("{} has no [book] title", self.name))
    }

    /// `[book] description`.
    pub fn description(&self) -> Result<&str> {
        self.config
            .book
            .description
            .as_deref()
            .with_context(|| format!("{} has no [book] description", self.name))
    }

    /// The chapters' folder (`[book] src`, mdBook's default `src`), under `root`.
    pub fn src_dir(&self, root: &Path) -> PathBuf {
        root.join(&self.config.book.src)
    }

    /// `[rust] edition` as rustc takes it; without one mdBook leaves rustdoc at its default, 2015.
    pub fn edition(&self) -> Result<String> {
        Ok(match self.config.rust.edition {
            Some(edition) => serde_json::to_value(edition)?
                .as_str()
                .with_context(|| format!("{}: [rust] edition is not a string", self.name))?
                .to_string(),
            None => "2015".to_string(),
        })
    }

    /// `[output.html]`, or mdBook's defaults when the table is absent.
    pub fn html(&self) -> Result<HtmlConfig> {
        Ok(self
            .config
            .get::<HtmlConfig>("output.html")
            .map_err(|error| anyhow::anyhow!("{:#}", error))
            .with_context(|| format!("{}: [output.html] is not valid", self.name))?
            .unwrap_or_default())
    }

    /// The path the hosted site lives under (`[output.html] site-url`), always with a slash at
    /// each end: `/futures-from-the-ground-up/`, or `/` without one.
    pub fn site_path(&self) -> Result<String> {
        let site = self.html()?.site_url.unwrap_or_default();
        let site = site.trim_matches('/');
        Ok(if site.is_empty() {
            "/".to_string()
        } else {
            format!("/{site}/")
        })
    }

    /// Every `[preprocessor.NAME]` table, by name.
    pub fn preprocessors(&self) -> Result<BTreeMap<String, Preprocessor>> {
        self.config
            .preprocessors()
            .map_err(|error| anyhow::anyhow!("{:#}", error))
            .with_context(|| format!("{}: a [preprocessor.*] table is not valid", self.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(text: &str) -> BookToml {
        parse(text, "book.toml".into()).expect("valid")
    }

    #[test]
    fn reads_the_repository_book_toml() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let book = read(&root).expect("book.toml reads");
        assert_eq!(book.title().unwrap(), "Futures from the Ground Up");
        assert_eq!(book.edition().unwrap(), "2024");
        assert_eq!(book.site_path().unwrap(), "/futures-from-the-ground-up/");
        assert!(book.html().unwrap().print.enable);
        let preprocessors = book.preprocessors().unwrap();
        assert_eq!(preprocessors["diagrams"].after, ["mermaid", "svgbob"]);
        assert_eq!(
            preprocessors["mermaid"].command.as_deref(),
            Some("mdbook-mermaid")
        );
    }

    #[test]
    fn defaults_are_mdbooks() {
        let book = book("[book]\ntitle = \"T\"\n");
        assert_eq!(book.edition().unwrap(), "2015");
        assert_eq!(book.site_path().unwrap(), "/");
        assert_eq!(book.src_dir(Path::new("/r")), Path::new("/r/src"));
        assert!(book.preprocessors().unwrap().is_empty());
        let no_description = book.description().unwrap_err().to_string();
        assert_eq!(no_description, "book.toml has no [book] description");
    }

    #[test]
    fn site_url_gets_both_slashes() {
        let book = book("[output.html]\nsite-url = \"site\"\n");
        assert_eq!(book.site_path().unwrap(), "/site/");
    }

    #[test]
    fn a_key_mdbook_refuses_is_refused_naming_the_file() {
        let error = parse("[book]\nsubtitle = \"T\"\n", "some/book.toml".into())
            .err()
            .expect("unknown key in [book]");
        let message = format!("{error:#}");
        assert!(message.starts_with("some/book.toml is not a valid mdBook configuration"));
        assert!(message.contains("subtitle"), "{message}");
        let html = book("[output.html]\nsite-url = 3\n").html().unwrap_err();
        assert!(format!("{html:#}").starts_with("book.toml: [output.html] is not valid"));
    }
}
