//! The translated editions: `po/LANG.po` files (gettext, through mdbook-i18n-helpers), English in
//! `src/` being the source. `cargo xtask i18n extract` writes the messages to translate,
//! `cargo xtask i18n update` brings each PO file up to date with the English, and the test step
//! `translations` checks every edition (see [`check`]).
//!
//! Each edition is built with `MDBOOK_BOOK__LANGUAGE=LANG` into `book/LANG/` (its `html/` is
//! served and published under `LANG/` beside the English pages). book.toml's `generated` and
//! `gettext` preprocessors say what is translated: the chapters' words and the generated
//! tables, never the listings.

mod rules;

use crate::cmd::Cmd;
use crate::files::files_with_extension;
use anyhow::{Context, Result, bail};
use regex::Regex;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the published site lives; an edition's pages are under `LANG/` of it.
const SITE_URL: &str = "/futures-from-the-ground-up/";

/// The languages that have an edition: one `po/LANG.po` each, in name order.
pub fn languages(root: &Path) -> Result<Vec<String>> {
    let po = root.join("po");
    if !po.is_dir() {
        return Ok(Vec::new());
    }
    let mut languages: Vec<String> = files_with_extension(&po, "po")?
        .iter()
        .filter_map(|path| path.file_stem()?.to_str().map(str::to_string))
        .collect();
    languages.sort();
    Ok(languages)
}

fn po_file(root: &Path, language: &str) -> PathBuf {
    root.join("po").join(format!("{language}.po"))
}

/// Runs mdbook-xgettext over the book (after the preprocessors that run before it: the
/// generated tables come in, the listings do not) and returns the template it wrote,
/// `target/i18n/messages.pot`. Messages carry their file, not their line (`granularity` 0), so
/// that an edit that moves a paragraph leaves the PO files alone.
fn extract_template(root: &Path) -> Result<PathBuf> {
    let out = root.join("target/i18n");
    std::fs::create_dir_all(&out)?;
    Cmd::new("mdbook")
        .args(["build", "--dest-dir"])
        .arg(&out)
        .env(
            "MDBOOK_OUTPUT",
            r#"{"xgettext": {"pot-file": "messages.pot", "granularity": 0}}"#,
        )
        .dir(root)
        .timeout(Duration::from_secs(120))
        .quiet()
        .run()
        .context("mdbook-xgettext could not extract the messages")?;
    let pot = out.join("messages.pot");
    if !pot.exists() {
        bail!("mdbook-xgettext wrote no {}", pot.display());
    }
    // The book's description (book.toml) is read on every page (<meta name="description">) and
    // on the PDF's cover: it is translated like a paragraph.
    let description = crate::book_toml::read(root)?.description()?.to_string();
    let mut template = std::fs::read_to_string(&pot)?;
    template.push_str(&format!(
        "\n#: book.toml\nmsgid {}\nmsgstr \"\"\n",
        po_string(&description)
    ));
    template.push_str(&ui_messages(root)?);
    std::fs::write(&pot, template)?;
    Ok(pot)
}

/// The English of the page around the chapters and of the scripts' messages: [`UI_STRINGS`], the
/// strings of each file in it by the file's name (tools/mdbook-finish's ui_strings.rs puts
/// their translations in an edition's pages and scripts).
const UI_STRINGS: &str = "theme/ui-strings.toml";
/// The key of [`UI_STRINGS`] for the strings of mdBook's page template, on every page.
const UI_PAGE: &str = "mdbook/index.hbs";

fn ui_strings(root: &Path) -> Result<std::collections::BTreeMap<String, Vec<String>>> {
    let path = root.join(UI_STRINGS);
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {UI_STRINGS}"))?;
    toml::from_str(&text).with_context(|| format!("{UI_STRINGS} is not a list of strings by file"))
}

/// [`UI_STRINGS`] as messages of the template, each once, its source the files it is in.
fn ui_messages(root: &Path) -> Result<String> {
    let mut messages: Vec<(&String, Vec<&String>)> = Vec::new();
    let list = ui_strings(root)?;
    for (file, strings) in &list {
        for english in strings {
            match messages.iter_mut().find(|(known, _)| *known == english) {
                Some((_, files)) => files.push(file),
                None => messages.push((english, vec![file])),
            }
        }
    }
    let mut out = String::new();
    for (english, files) in messages {
        let files: Vec<&str> = files.iter().map(|f| f.as_str()).collect();
        out.push_str(&format!(
            "\n#. the page around the chapters, or a script's message ({UI_STRINGS})\n#: {}\nmsgid {}\nmsgstr \"\"\n",
            files.join(" "),
            po_string(english)
        ));
    }
    Ok(out)
}

/// `text` as a PO string literal.
fn po_string(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
        .replace('\t', "\\t");
    format!("\"{escaped}\"")
}

/// One edition's translations, read from `po/LANG.po`: the English message → its translation,
/// for the messages translated and not fuzzy (mdbook-gettext's rule).
pub struct Translations(HashMap<String, String>);

impl Translations {
    pub fn read(root: &Path, language: &str) -> Result<Self> {
        let catalog = read_catalog(&po_file(root, language), &format!("po/{language}.po"))?;
        Ok(Translations(
            catalog
                .messages()
                .filter(|m| m.is_translated() && !m.is_fuzzy())
                .filter_map(|m| Some((m.msgid().to_string(), m.msgstr().ok()?.to_string())))
                .collect(),
        ))
    }

    /// The translation of `english`, if it has one.
    pub fn get(&self, english: &str) -> Option<&str> {
        self.0.get(english).map(String::as_str)
    }

    /// The translation of a title written without its Markdown (a part title as SUMMARY.md's
    /// reader gives it), itself without its Markdown, as mdbook-gettext finds SUMMARY.md's titles.
    pub fn plain(&self, title: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(english, _)| crate::summary::plain(english) == title)
            .map(|(_, translated)| crate::summary::plain(translated))
    }
}

/// The header fields polib (as mdbook-gettext uses it) requires: it panics on a file without one.
const HEADER_FIELDS: &[&str] = &[
    "Project-Id-Version",
    "POT-Creation-Date",
    "PO-Revision-Date",
    "Language-Team",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Language",
    "Plural-Forms",
];

/// A PO file read with polib, as mdbook-gettext reads it, after checking the header fields whose
/// absence would make polib (and mdbook-gettext) panic. `name` names the file in errors.
fn read_catalog(po: &Path, name: &str) -> Result<polib::catalog::Catalog> {
    let text = std::fs::read_to_string(po).with_context(|| format!("cannot read {name}"))?;
    let header = text
        .split("\n\n")
        .find(|entry| entry.contains("msgid \"\""))
        .unwrap_or("");
    let missing: Vec<&str> = HEADER_FIELDS
        .iter()
        .copied()
        .filter(|field| !header.contains(&format!("\"{field}:")))
        .collect();
    if !missing.is_empty() {
        bail!(
            "{name}: its header (the first entry, msgid \"\") lacks {}; mdbook-gettext cannot read \
             it without them (e.g. \"Plural-Forms: nplurals=1; plural=0;\\n\"; `msginit` writes them all)",
            missing.join(", ")
        );
    }
    polib::po_file::parse(po)
        .map_err(|error| anyhow::anyhow!("{error}"))
        .with_context(|| format!("reading {name}"))
}

/// `cargo xtask i18n extract`: the messages to translate, as `po/messages.pot` (a PO editor's
/// "update from template" reads it; git ignores it).
pub fn extract(root: &Path) -> Result<()> {
    crate::tools::install(root)?;
    let pot = extract_template(root)?;
    let dest = root.join("po/messages.pot");
    std::fs::copy(&pot, &dest)?;
    let count = std::fs::read_to_string(&dest)?.matches("\nmsgid ").count();
    eprintln!("{}: {count} messages", dest.display());
    Ok(())
}

/// `cargo xtask i18n update`: every `po/LANG.po` merged with the English as it is now
/// (`msgmerge`): a new message is added untranslated, a changed one keeps its old translation
/// marked fuzzy (a PO editor shows both), a removed one is kept at the end as obsolete.
pub fn update(root: &Path) -> Result<()> {
    crate::tools::install(root)?;
    crate::tools::require_system(root, "msgmerge")?;
    let pot = extract_template(root)?;
    for language in languages(root)? {
        let po = po_file(root, &language);
        Cmd::new("msgmerge")
            .args(["--update", "--backup=none", "--quiet"])
            .arg(&po)
            .arg(&pot)
            .timeout(Duration::from_secs(60))
            .run()?;
        let name = format!("po/{language}.po");
        let review = review(&read_catalog(&po, &name)?);
        eprintln!(
            "{name}: {} messages; to translate: {} new, {} fuzzy (their English changed); {} of \
             figures or code alone need no translation (a PO editor lists them as untranslated)",
            review.total,
            review.untranslated.len(),
            review.fuzzy.len(),
            review.figures
        );
    }
    Ok(())
}

/// The test step `translations`: for each edition,
/// - its PO file is valid (`msgfmt --check`);
/// - merged with the English as it is now, no message that has words is untranslated or fuzzy
///   (a changed English paragraph fails until it is translated again: `cargo xtask i18n update`
///   marks it);
/// - every translation keeps its English message's code, links, numbers and markup ([`rules`]);
/// - the edition builds, with mdbook-linkcheck2 checking its links, and every `#fragment` link of
///   its pages resolves;
/// - each page shows exactly the English page's code blocks.
pub fn check(root: &Path) -> Result<()> {
    crate::tools::require_system(root, "msgmerge")?;
    let languages = languages(root)?;
    if languages.is_empty() {
        eprintln!("no po/LANG.po: no translated edition to check");
        return Ok(());
    }
    let pot = extract_template(root)?;
    // The English pages the editions' code blocks are compared with, built now: a page left by
    // an earlier build would hold an older listing.
    crate::book::build(root)?;
    let english = root.join("book/html");
    for language in &languages {
        check_catalog(root, language, &pot)?;
        let html = build(root, language)?;
        crate::book::check_diagrams_drawn(&html)?;
        crate::links::check_fragments(&html)?;
        check_code_blocks(&english, &html, language)?;
        check_ui_strings(root, &html, language)?;
        eprintln!(
            "the {language} edition: every message translated and checked; built, links and code blocks checked"
        );
    }
    Ok(())
}

/// Builds one edition into `book/LANG/` (its pages in `book/LANG/html/`, published under
/// `LANG/`), and returns the folder of its pages.
pub fn build(root: &Path, language: &str) -> Result<PathBuf> {
    let dest = root.join("book").join(language);
    let english = crate::book_toml::read(root)?.description()?.to_string();
    let translations = Translations::read(root, language)?;
    let description = translations.get(&english).unwrap_or(&english);
    Cmd::new("mdbook")
        .args(["build", "--dest-dir"])
        .arg(&dest)
        .env("MDBOOK_BOOK__LANGUAGE", language)
        .env(
            "MDBOOK_OUTPUT__HTML__SITE_URL",
            format!("{SITE_URL}{language}/"),
        )
        .env("MDBOOK_BOOK__DESCRIPTION", description)
        .dir(root)
        .timeout(Duration::from_secs(300))
        .run()
        .with_context(|| format!("building the {language} edition (po/{language}.po) failed"))?;
    Ok(dest.join("html"))
}

/// The PO file of `language`, valid and merged with the template `pot`: every message with words
/// translated, none fuzzy, each keeping its English message's code, links and figures.
fn check_catalog(root: &Path, language: &str, pot: &Path) -> Result<()> {
    let po = po_file(root, language);
    let name = format!("po/{language}.po");
    read_catalog(&po, &name)?;
    Cmd::new("msgfmt")
        .args(["--check", "--output-file=/dev/null"])
        .arg(&po)
        .quiet()
        .run()
        .with_context(|| format!("{name} is not a valid PO file (msgfmt --check)"))?;
    let merged = root.join(format!("target/i18n/{language}.merged.po"));
    Cmd::new("msgmerge")
        .args(["--quiet", "--no-wrap", "--output-file"])
        .arg(&merged)
        .arg(&po)
        .arg(pot)
        .timeout(Duration::from_secs(60))
        .run()?;
    Cmd::new("msgattrib")
        .args(["--no-obsolete", "--no-wrap", "--output-file"])
        .arg(&merged)
        .arg(&merged)
        .quiet()
        .run()?;
    let catalog = read_catalog(&merged, &format!("{name} merged with the English"))?;
    let Review {
        untranslated,
        fuzzy,
        broken,
        total,
        ..
    } = review(&catalog);
    let list = |items: &[String]| {
        let shown: Vec<&str> = items.iter().take(8).map(String::as_str).collect();
        let more = items.len().saturating_sub(shown.len());
        let more = if more > 0 {
            format!("\n  … and {more} more")
        } else {
            String::new()
        };
        format!("  {}{more}", shown.join("\n  "))
    };
    let mut report = Vec::new();
    if !untranslated.is_empty() || !fuzzy.is_empty() {
        report.push(format!(
            "{} of {total} messages untranslated and {} fuzzy (their English changed). Run \
             `cargo xtask i18n update`, then translate them in {name} (a PO editor such as \
             Poedit lists them; remove the fuzzy mark once a translation is right):\n{}",
            untranslated.len(),
            fuzzy.len(),
            list(&[fuzzy, untranslated].concat())
        ));
    }
    if !broken.is_empty() {
        report.push(format!(
            "{} translation(s) do not keep their English message's code, links, figures or \
             markup:\n{}",
            broken.len(),
            list(&broken)
        ));
    }
    if !report.is_empty() {
        bail!("{name}: {}", report.join("\n"));
    }
    eprintln!("{name}: {total} messages, every one with words translated and checked");
    Ok(())
}

/// What a PO file's messages need, each named by its file and first words.
struct Review {
    /// Messages with words and no translation.
    untranslated: Vec<String>,
    /// Messages whose English changed since they were translated.
    fuzzy: Vec<String>,
    /// Translations that break a rule of [`rules`], with the rule.
    broken: Vec<String>,
    /// Messages of figures, symbols and code alone, left untranslated: they read the same in
    /// every edition (mdbook-gettext shows the English), so they need no translation, though a PO
    /// editor lists them as untranslated.
    figures: usize,
    total: usize,
}

fn review(catalog: &polib::catalog::Catalog) -> Review {
    let letter = Regex::new(r"\p{L}").expect("pattern");
    let code = Regex::new(r"`[^`]*`").expect("pattern");
    let mut review = Review {
        untranslated: Vec::new(),
        fuzzy: Vec::new(),
        broken: Vec::new(),
        figures: 0,
        total: 0,
    };
    for message in catalog.messages() {
        let english = message.msgid();
        let translation = message.msgstr().unwrap_or_default();
        let where_ = format!("{}: {:?}", message.source(), excerpt(english));
        review.total += 1;
        if message.is_fuzzy() {
            review.fuzzy.push(where_);
        } else if translation.is_empty() {
            let words = if rules::is_block(english) {
                english.to_string()
            } else {
                code.replace_all(english, "").into_owned()
            };
            if letter.is_match(&words) {
                review.untranslated.push(where_);
            } else {
                review.figures += 1;
            }
        } else {
            for problem in rules::problems(english, translation) {
                review.broken.push(format!("{where_}: {problem}"));
            }
        }
    }
    review
}

/// The first words of a message, for naming it.
fn excerpt(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    match line.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_string(),
    }
}

/// The two lines from a little before their first difference, so that the difference shows.
fn around_difference(a: &str, b: &str) -> (String, String) {
    let same = a
        .char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((at, _), _)| at);
    let start = a[..same]
        .char_indices()
        .rev()
        .nth(30)
        .map_or(0, |(at, _)| at);
    let cut = |line: &str| {
        let from = if line.is_char_boundary(start) {
            start
        } else {
            0
        };
        let shown: String = line[from..].chars().take(90).collect();
        format!("{}{shown}", if from > 0 { "…" } else { "" })
    };
    (cut(a), cut(b))
}

/// Each page of the edition in `html` shows the code blocks of the English page of the same name,
/// in the same order, character for character (diagrams are drawings, not `<pre>` blocks, and
/// their labels are translated).
fn check_code_blocks(english: &Path, html: &Path, language: &str) -> Result<()> {
    let block = Regex::new(r"(?s)<pre\b.*?</pre>").expect("pattern");
    let mut pages = 0;
    let mut blocks = 0;
    for page in files_with_extension(english, "html")? {
        let relative = page.strip_prefix(english).unwrap_or(&page);
        let translated = html.join(relative);
        // The edition's own pages when it sits in the site, and the PDF step's copy of print.html
        // (xtask/src/pdf.rs), which an interrupted PDF build can leave behind.
        if relative.starts_with(language)
            || relative.starts_with("hidden-lines")
            || relative == Path::new("print-pdf.html")
        {
            continue;
        }
        let read = |path: &Path| {
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
        };
        let (a, b) = (read(&page)?, read(&translated)?);
        let (a, b): (Vec<&str>, Vec<&str>) = (
            block.find_iter(&a).map(|m| m.as_str()).collect(),
            block.find_iter(&b).map(|m| m.as_str()).collect(),
        );
        if let Some(index) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) {
            let (x, y) = (
                a.get(index).copied().unwrap_or("(none)"),
                b.get(index).copied().unwrap_or("(none)"),
            );
            let line = x
                .lines()
                .zip(y.lines())
                .position(|(x, y)| x != y)
                .unwrap_or(0);
            let (x_line, y_line) = (
                x.lines().nth(line).unwrap_or("(no such line)"),
                y.lines().nth(line).unwrap_or("(no such line)"),
            );
            let at = around_difference(x_line, y_line);
            bail!(
                "{language}/{}: code block {} differs from the English page's, line {} (the \
                 code of a translated edition is the English code):\n  English: {}\n  \
                 {language}: {}",
                relative.display(),
                index + 1,
                line + 1,
                at.0,
                at.1,
            );
        }
        pages += 1;
        blocks += a.len();
    }
    eprintln!("{language}: {blocks} code blocks on {pages} pages, each the English one");
    Ok(())
}

/// No page or script of the edition in `html` still holds a string of [`UI_STRINGS`] in English:
/// as a whole attribute value or element content of a page (around its chapter), or a whole string literal (in any
/// quote) or attribute value of the script it is listed for (`mdbook/NAME.js`, `theme/NAME.js`:
/// the edition's copy, `NAME-<hash>.js`).
fn check_ui_strings(root: &Path, html: &Path, language: &str) -> Result<()> {
    let mut english = Vec::new();
    for (file, strings) in ui_strings(root)? {
        let (folder, stem) = match file.strip_suffix(".js") {
            _ if file == UI_PAGE => ("", None),
            Some(script) => match script.rsplit_once('/') {
                Some(("mdbook", stem)) => ("", Some(stem.to_string())),
                Some(("theme", stem)) => ("theme", Some(stem.to_string())),
                _ => bail!("{UI_STRINGS}: `{file}` is not a file of strings"),
            },
            None => bail!("{UI_STRINGS}: `{file}` is not a file of strings"),
        };
        let copies: Vec<PathBuf> = files_with_extension(
            &html.join(folder),
            if stem.is_some() { "js" } else { "html" },
        )?
        .into_iter()
        .filter(|path| match &stem {
            None => true,
            Some(stem) => {
                path.parent() == Some(&html.join(folder))
                    && path
                        .file_name()
                        .and_then(|n| n.to_str())
                        .and_then(|n| n.strip_prefix(&format!("{stem}-")))
                        .is_some_and(|hash| hash.len() == 11)
            }
        })
        .collect();
        if copies.is_empty() {
            bail!("{language}: no copy of {file} in {}", html.display());
        }
        for copy in copies {
            let mut text = std::fs::read_to_string(&copy)
                .with_context(|| format!("reading {}", copy.display()))?;
            // A page's chapter (`<main>`) is translated by its own messages.
            if let (Some(start), Some(end)) = (text.find("<main>"), text.rfind("</main>"))
                && stem.is_none()
                && start < end
            {
                text.replace_range(start..end, "");
            }
            for string in &strings {
                let whole = if file == UI_PAGE {
                    vec![format!("\"{string}\""), format!(">{string}<")]
                } else {
                    ["\"", "'", "`"]
                        .iter()
                        .map(|q| {
                            let escaped =
                                string.replace('\\', "\\\\").replace(q, &format!("\\{q}"));
                            format!("{q}{escaped}{q}")
                        })
                        .collect()
                };
                if whole.iter().any(|w| text.contains(w.as_str())) {
                    let relative = copy.strip_prefix(html).unwrap_or(&copy);
                    english.push(format!("{}: {string:?} ({file})", relative.display()));
                }
            }
        }
    }
    if !english.is_empty() {
        let shown = english
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n  ");
        bail!(
            "the {language} edition shows {} string(s) of {UI_STRINGS} in English (translate them in \
             po/{language}.po; tools/mdbook-finish puts them in):\n  {shown}",
            english.len()
        );
    }
    eprintln!("{language}: the page around the chapters and the scripts' messages translated");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_po_file_without_a_header_field_is_named_not_a_panic() {
        let dir = std::env::temp_dir().join(format!("xtask-i18n-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let po = dir.join("xx.po");
        let header = "msgid \"\"\nmsgstr \"\"\n\"Project-Id-Version: x\\n\"\n\"POT-Creation-Date: \\n\"\n\"PO-Revision-Date: \\n\"\n\"Language-Team: \\n\"\n\"MIME-Version: 1.0\\n\"\n\"Content-Type: text/plain; charset=UTF-8\\n\"\n\"Content-Transfer-Encoding: 8bit\\n\"\n\"Language: xx\\n\"\n";
        std::fs::write(&po, format!("{header}\nmsgid \"a\"\nmsgstr \"b\"\n")).unwrap();
        let error = read_catalog(&po, "po/xx.po").err().expect("refused");
        assert!(
            format!("{error:#}").contains("lacks Plural-Forms"),
            "{error:#}"
        );
        let plural = "\"Plural-Forms: nplurals=1; plural=0;\\n\"\n";
        std::fs::write(
            &po,
            format!("{header}{plural}\nmsgid \"a\"\nmsgstr \"b\"\n"),
        )
        .unwrap();
        assert!(read_catalog(&po, "po/xx.po").is_ok());
    }

    #[test]
    fn the_difference_of_two_code_lines_is_shown() {
        let english = format!(
            "{}# every kernel test in QEMU",
            "cargo xtask kernel test    ".repeat(3)
        );
        let chinese = english.replace("every kernel test", "每个内核测试");
        let (a, b) = around_difference(&english, &chinese);
        assert!(
            a.contains("# every kernel") && b.contains("# 每个内核"),
            "{a} / {b}"
        );
    }
}
