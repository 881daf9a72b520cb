//! theme/highlight.js, the override of mdBook's highlight.js (which registers some fifty
//! languages): highlight.js 10's core with only the languages the chapters' code blocks name,
//! built by `cargo xtask assets` from the npm packages pinned in ci/assets/, and the check that
//! every fence of the book has its language in it.

use crate::files::files_with_extension;
use crate::listings::relative;
use anyhow::{Context, Result, bail};
use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

pub const BUNDLE: &str = "theme/highlight.js";
/// Where the generator and its pinned npm packages live.
pub const GENERATORS: &str = "ci/assets";

/// The drawing preprocessors the book may use, with the fence language each one draws.
const DRAWING_PREPROCESSORS: &[(&str, &str)] = &[("mermaid", "mermaid"), ("svgbob", "bob")];

/// Fence languages that never reach highlight.js: those of the drawing preprocessors book.toml
/// configures.
fn drawn(root: &Path) -> Result<Vec<&'static str>> {
    let preprocessors = crate::book_toml::read(root)?.preprocessors()?;
    Ok(DRAWING_PREPROCESSORS
        .iter()
        .filter(|(preprocessor, _)| preprocessors.contains_key(*preprocessor))
        .map(|&(_, language)| language)
        .collect())
}

/// Every language a fenced block of the book names (every Markdown file under src/, the
/// generated tables the chapters include among them), with the first place that names it.
pub fn fence_languages(root: &Path) -> Result<BTreeMap<String, String>> {
    let drawn = drawn(root)?;
    let mut found = BTreeMap::new();
    for file in files_with_extension(&root.join("src"), "md")? {
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        for (language, line) in languages_in(&text, &drawn) {
            found
                .entry(language)
                .or_insert_with(|| format!("{}:{line}", relative(root, &file)));
        }
    }
    Ok(found)
}

/// The language of each fenced block (as mdBook reads the info string: the first word before a
/// comma or a space) with its line, leaving out blocks with none and the `drawn` ones.
fn languages_in(markdown: &str, drawn: &[&str]) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for (event, range) in Parser::new(markdown).into_offset_iter() {
        if let Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) = event {
            let language = info
                .split(|c: char| c == ',' || c.is_whitespace())
                .next()
                .unwrap_or("");
            if !language.is_empty() && !drawn.contains(&language) {
                let line = markdown[..range.start].lines().count() + 1;
                found.push((language.to_string(), line));
            }
        }
    }
    found
}

/// The names and aliases theme/highlight.js says it registers (its `languages:` header line).
fn bundled(bundle: &str) -> Result<BTreeSet<String>> {
    let line = bundle
        .lines()
        .take(10)
        .find_map(|l| l.trim().strip_prefix("languages: "))
        .with_context(|| {
            format!("{BUNDLE} has no `languages:` line in its header: rebuild it with `cargo xtask assets`")
        })?;
    Ok(line
        .trim_end_matches("*/")
        .split([';', ',', '(', ')'])
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect())
}

/// Part of the step "includes and listings": a chapter whose code block names a language the
/// bundle lacks would be shown unhighlighted, with a warning in the reader's console.
pub fn check(root: &Path) -> Result<()> {
    let bundle = std::fs::read_to_string(root.join(BUNDLE))
        .with_context(|| format!("cannot read {BUNDLE}: build it with `cargo xtask assets`"))?;
    let known = bundled(&bundle)?;
    let used = fence_languages(root)?;
    let missing: Vec<String> = used
        .iter()
        .filter(|(language, _)| !known.contains(*language))
        .map(|(language, at)| {
            format!("{at}: a ```{language} block, and {BUNDLE} has no language `{language}`")
        })
        .collect();
    if !missing.is_empty() {
        bail!(
            "{}\n(run `cargo xtask assets` to rebuild {BUNDLE} with the book's languages)",
            missing.join("\n")
        );
    }
    eprintln!(
        "{BUNDLE} highlights every language the chapters use: {}",
        used.keys().cloned().collect::<Vec<_>>().join(", ")
    );
    Ok(())
}

/// `cargo xtask assets`, first half: rebuilds theme/highlight.js for the book's languages.
pub fn generate(root: &Path) -> Result<()> {
    crate::tools::require_node()?;
    let generators = root.join(GENERATORS);
    crate::tools::npm_ci(&generators)?;
    let languages = fence_languages(root)?;
    crate::cmd::Cmd::new("node")
        .arg(generators.join("highlight.mjs"))
        .arg(root.join(BUNDLE))
        .args(languages.keys())
        .dir(&generators)
        .timeout(Duration::from_secs(120))
        .run()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_language_of_each_fence_as_mdbook_does() {
        let text = "# T\n\n```rust,compile_fail,E0277\nx\n```\n\n~~~text\ny\n~~~\n\n```\nz\n```\n\n\
                    ```mermaid\ngraph\n```\n\n```console title\n$ ls\n```\n";
        assert_eq!(
            languages_in(text, &["mermaid"]),
            [
                ("rust".to_string(), 3),
                ("text".to_string(), 7),
                ("console".to_string(), 19)
            ]
        );
    }

    #[test]
    fn reads_names_and_aliases_from_the_bundle_header() {
        let bundle = "/* highlight.js 10.7.3\n   languages: bash (sh, zsh); plaintext (text, txt); rust (rs) */\nvar hljs;";
        let names = bundled(bundle).unwrap();
        for name in [
            "bash",
            "sh",
            "zsh",
            "plaintext",
            "text",
            "txt",
            "rust",
            "rs",
        ] {
            assert!(names.contains(name), "{name} in {names:?}");
        }
        assert_eq!(names.len(), 8);
        assert!(bundled("var hljs;").is_err());
    }
}
