//! The page's chrome and the scripts' messages in a translated edition's language.
//!
//! `theme/ui-strings.toml` lists the English a reader meets outside the chapters, by the file it
//! is in: mdBook's page template (attribute values and element contents) and the scripts, mdBook's
//! and ours (string literals). `cargo xtask i18n extract` makes each one a message of the PO files;
//! here, in an edition that has a `po/LANG.po`, each string with a translation there (not fuzzy)
//! is replaced by it, wherever it is whole: in every page, and in the edition's copies of the
//! scripts, which are then renamed after their new content (as mdBook names them) and the pages'
//! references with them. In every edition, English included, a listed string that is not in
//! its files fails the build, naming it: mdBook's theme or a script changed, and the list must be
//! updated. The English edition is not changed.

use crate::pages::Page;
use anyhow::{Context, Result, bail};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The list, in the book's folder.
pub const LIST: &str = "theme/ui-strings.toml";
/// The key of the strings of mdBook's page template.
const PAGE: &str = "mdbook/index.hbs";

/// Where a key's strings are, and how each is written there.
#[derive(Debug, PartialEq)]
enum Place {
    /// Every page: a whole attribute value (`"…"`) or element content (`>…<`).
    Pages,
    /// The script `<folder>/<stem>-<hash>.js` of the HTML book: a whole string literal, in any of
    /// JavaScript's quotes (an attribute value inside one is written `"…"` too).
    Script { folder: &'static str, stem: String },
}

impl Place {
    fn of(key: &str) -> Result<Place> {
        if key == PAGE {
            return Ok(Place::Pages);
        }
        let script = |folder: &'static str, name: &str| {
            let stem = name
                .strip_suffix(".js")
                .filter(|s| !s.is_empty() && !s.contains('/'));
            stem.map(|stem| Place::Script {
                folder,
                stem: stem.to_string(),
            })
        };
        key.strip_prefix("mdbook/")
            .and_then(|name| script("", name))
            .or_else(|| key.strip_prefix("theme/").and_then(|name| script("theme", name)))
            .with_context(|| {
                format!(
                    "{LIST}: `{key}` is not a place of strings (`{PAGE}`, `mdbook/NAME.js` or `theme/NAME.js`)"
                )
            })
    }

    /// How `text` is written where it is whole in this place, each form in the same order for
    /// any text (so that a translation's forms replace the English ones).
    fn forms(&self, text: &str) -> [String; 3] {
        match self {
            Place::Pages => [format!("\"{text}\""), format!(">{text}<"), String::new()],
            Place::Script { .. } => ['\'', '"', '`'].map(|quote| {
                let escaped = text
                    .replace('\\', "\\\\")
                    .replace(quote, &format!("\\{quote}"));
                format!("{quote}{escaped}{quote}")
            }),
        }
    }
}

/// The list: for each place (its key), its strings.
pub fn read_list(root: &Path) -> Result<BTreeMap<String, Vec<String>>> {
    let path = root.join(LIST);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    toml::from_str(&text)
        .with_context(|| format!("{} is not a list of strings by place", path.display()))
}

/// The translations of `po/LANG.po` under `root`, when the edition `language` has one: English →
/// translation, for the messages translated and not fuzzy (as mdbook-gettext reads them).
fn translations(root: &Path, language: Option<&str>) -> Result<Option<HashMap<String, String>>> {
    let Some(language) = language else {
        return Ok(None);
    };
    let po = root.join("po").join(format!("{language}.po"));
    if !po.exists() {
        return Ok(None);
    }
    // polib 0.2 panics on a header without one of gettext's usual fields.
    let catalog = std::panic::catch_unwind(|| polib::po_file::parse(&po))
        .map_err(|_| {
            anyhow::anyhow!("its header lacks one of gettext's fields (msginit writes them)")
        })
        .and_then(|parsed| parsed.map_err(|error| anyhow::anyhow!("{error}")))
        .with_context(|| format!("cannot read {}", po.display()))?;
    Ok(Some(
        catalog
            .messages()
            .filter(|m| m.is_translated() && !m.is_fuzzy())
            .filter_map(|m| Some((m.msgid().to_string(), m.msgstr().ok()?.to_string())))
            .collect(),
    ))
}

/// Checks that every listed string is where the list says, and in an edition with a PO file puts
/// each translation in its place (`pages` are written back by the caller; the scripts here). Says
/// how many strings were translated.
pub fn finish(
    root: &Path,
    html: &Path,
    pages: &mut [Page],
    language: Option<&str>,
) -> Result<usize> {
    let list = read_list(root)?;
    let translations = translations(root, language)?;
    let mut translated = 0;
    for (key, strings) in &list {
        let place = Place::of(key)?;
        let pairs = strings
            .iter()
            .map(|english| {
                let translation = translations.as_ref().and_then(|t| t.get(english));
                replacements(&place, english, translation.map(String::as_str))
                    .with_context(|| format!("{LIST}: {english:?} ({key})"))
            })
            .collect::<Result<Vec<_>>>()?;
        translated += pairs.iter().filter(|p| !p.is_empty()).count();
        match &place {
            Place::Pages => {
                for english in strings {
                    let forms = place.forms(english);
                    let found = pages.iter().any(|page| {
                        let (before, _, after) = around_main(&page.html);
                        forms
                            .iter()
                            .any(|f| !f.is_empty() && (before.contains(f) || after.contains(f)))
                    });
                    if !found {
                        bail!(
                            "{LIST}: {english:?} ({key}) is on no page of {}: mdBook's page \
                             changed; update the list",
                            html.display()
                        );
                    }
                }
                let pairs: Vec<(String, String)> = pairs.into_iter().flatten().collect();
                if pairs.is_empty() {
                    continue;
                }
                for page in pages.iter_mut() {
                    let (before, main, after) = around_main(&page.html);
                    let (new_before, new_after) = (replace(before, &pairs), replace(after, &pairs));
                    if new_before != before || new_after != after {
                        let text = [new_before.as_str(), main, new_after.as_str()].concat();
                        page.set(text);
                    }
                }
            }
            Place::Script { folder, stem } => {
                let script = find_script(html, folder, stem)?;
                let text = std::fs::read_to_string(&script)
                    .with_context(|| format!("cannot read {}", script.display()))?;
                let mut changed = text.clone();
                for (english, pairs) in strings.iter().zip(&pairs) {
                    if !place.forms(english).iter().any(|f| text.contains(f)) {
                        bail!(
                            "{LIST}: {english:?} is not a whole string in {} ({key} changed; \
                             update the list)",
                            script.display()
                        );
                    }
                    changed = replace(&changed, pairs);
                }
                if changed != text {
                    rename(&script, stem, &changed, pages)?;
                }
            }
        }
    }
    Ok(translated)
}

/// The English forms of `english` in `place` and their translated forms; none without a
/// translation. A translation that cannot be written there (a quote in an attribute value) or
/// that drops a `${…}` of a script's template literal fails.
fn replacements(
    place: &Place,
    english: &str,
    translation: Option<&str>,
) -> Result<Vec<(String, String)>> {
    let Some(translation) = translation else {
        return Ok(Vec::new());
    };
    match place {
        Place::Pages if translation.contains('"') => {
            bail!("its translation {translation:?} holds a \" (write “…” instead)")
        }
        Place::Script { .. } => {
            let placeholders = |text: &str| {
                let mut found: Vec<String> = text
                    .split("${")
                    .skip(1)
                    .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
                    .collect();
                found.sort();
                found
            };
            if placeholders(english) != placeholders(translation) {
                bail!("its translation {translation:?} does not keep its ${{…}} placeholders");
            }
        }
        Place::Pages => {}
    }
    Ok(place
        .forms(english)
        .into_iter()
        .zip(place.forms(translation))
        .filter(|(from, _)| !from.is_empty())
        .collect())
}

/// A page as the part before its chapter (`<main>…</main>`), the chapter, and the part after:
/// the template's strings are looked for around the chapter only (print.html holds every
/// chapter). A page without one is all "before".
fn around_main(html: &str) -> (&str, &str, &str) {
    match (html.find("<main>"), html.rfind("</main>")) {
        (Some(start), Some(end)) if start < end => {
            (&html[..start], &html[start..end], &html[end..])
        }
        _ => (html, "", ""),
    }
}

fn replace(text: &str, pairs: &[(String, String)]) -> String {
    let mut text = text.to_string();
    for (from, to) in pairs {
        if text.contains(from.as_str()) {
            text = text.replace(from.as_str(), to);
        }
    }
    text
}

/// The HTML book's copy of a script: `<folder>/<stem>-<hash>.js` (mdBook names every copy after
/// its content), exactly one.
fn find_script(html: &Path, folder: &str, stem: &str) -> Result<PathBuf> {
    let dir = html.join(folder);
    let mut found = Vec::new();
    let entries = match dir.is_dir() {
        true => Some(
            std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?,
        ),
        false => None,
    };
    for entry in entries.into_iter().flatten() {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let hash = name
            .strip_prefix(stem)
            .and_then(|rest| rest.strip_prefix('-'))
            .and_then(|rest| rest.strip_suffix(".js"));
        if hash.is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit())) {
            found.push(path);
        }
    }
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!(
            "{LIST} lists strings of {stem}.js, which {} does not hold (as {stem}-<hash>.js)",
            dir.display()
        ),
        _ => bail!(
            "{} holds {} copies of {stem}.js",
            dir.display(),
            found.len()
        ),
    }
}

/// Writes the translated `text` of `script` under the name mdBook would give it, removes the
/// English copy, and gives the pages that name it the new name.
fn rename(script: &Path, stem: &str, text: &str, pages: &mut [Page]) -> Result<()> {
    let old = script
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let new = crate::search_index::hashed_name(stem, ".js", text.as_bytes());
    let target = script.with_file_name(&new);
    std::fs::write(&target, text).with_context(|| format!("cannot write {}", target.display()))?;
    if target != script {
        std::fs::remove_file(script)
            .with_context(|| format!("cannot remove {}", script.display()))?;
    }
    for page in pages.iter_mut().filter(|p| p.html.contains(&old)) {
        let renamed = page.html.replace(&old, &new);
        page.set(renamed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_place_of_each_key() {
        assert_eq!(Place::of(PAGE).unwrap(), Place::Pages);
        assert_eq!(
            Place::of("theme/code-editor.js").unwrap(),
            Place::Script {
                folder: "theme",
                stem: "code-editor".into()
            }
        );
        assert_eq!(
            Place::of("mdbook/book.js").unwrap(),
            Place::Script {
                folder: "",
                stem: "book".into()
            }
        );
        let error = Place::of("book.js").unwrap_err().to_string();
        assert!(error.contains("`book.js` is not a place"), "{error}");
    }

    #[test]
    fn replaces_whole_strings_only_in_every_quote() {
        let script = Place::of("mdbook/searcher.js").unwrap();
        let pairs = replacements(&script, "No results for '", Some("没有“")).unwrap();
        let js =
            r#"a = 'No results for \'' + t; b = "No results for '"; c = 'No results for \'s';"#;
        assert_eq!(
            replace(js, &pairs),
            r#"a = '没有“' + t; b = "没有“"; c = 'No results for \'s';"#
        );
        let page = Place::Pages;
        let pairs = replacements(&page, "Print this book", Some("打印本书")).unwrap();
        let html =
            r#"<a title="Print this book">Print this book</a> <p>Print this book, or not</p>"#;
        assert_eq!(
            replace(html, &pairs),
            r#"<a title="打印本书">打印本书</a> <p>Print this book, or not</p>"#
        );
    }

    #[test]
    fn refuses_a_translation_that_cannot_stand_in_its_place() {
        let error = replacements(&Place::Pages, "Auto", Some("\"自动\"")).unwrap_err();
        assert!(error.to_string().contains("holds a \""), "{error}");
        let script = Place::of("theme/hidden-lines.js").unwrap();
        let error =
            replacements(&script, "hidden-lines/${file} is missing", Some("缺少文件")).unwrap_err();
        assert!(error.to_string().contains("placeholders"), "{error}");
        assert!(replacements(&script, "a ${file}", Some("${file} 甲")).is_ok());
    }

    /// A book folder with a list, a PO file, one page and mdBook's book.js.
    fn book(name: &str, list: &str) -> (PathBuf, PathBuf, Vec<Page>) {
        let root =
            std::env::temp_dir().join(format!("mdbook-finish-ui-{name}-{}", std::process::id()));
        let html = root.join("html");
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("theme")).unwrap();
        std::fs::create_dir_all(root.join("po")).unwrap();
        std::fs::create_dir_all(&html).unwrap();
        std::fs::write(root.join(LIST), list).unwrap();
        std::fs::write(
            root.join("po/zh-CN.po"),
            r#"msgid ""
msgstr ""
"Project-Id-Version: t\n"
"POT-Creation-Date: \n"
"PO-Revision-Date: \n"
"Language-Team: \n"
"Language: zh_CN\n"
"MIME-Version: 1.0\n"
"Content-Type: text/plain; charset=UTF-8\n"
"Content-Transfer-Encoding: 8bit\n"
"Plural-Forms: nplurals=1; plural=0;\n"

msgid "Copied!"
msgstr "已复制！"

msgid "Next chapter"
msgstr "下一章"
"#,
        )
        .unwrap();
        std::fs::write(html.join("book-0123abcd.js"), "showTooltip(e, 'Copied!');").unwrap();
        let page = Page {
            name: "a.html".into(),
            path: html.join("a.html"),
            html: r#"<a title="Next chapter"></a><main><p title="Next chapter"></p></main><script src="book-0123abcd.js"></script>"#.into(),
            changed: false,
        };
        (root, html, vec![page])
    }

    const LISTED: &str =
        "\"mdbook/index.hbs\" = [\"Next chapter\"]\n\"mdbook/book.js\" = [\"Copied!\"]\n";

    #[test]
    fn translates_an_edition_and_leaves_english_alone() {
        let (root, html, mut pages) = book("en", LISTED);
        assert_eq!(finish(&root, &html, &mut pages, Some("en")).unwrap(), 0);
        assert!(!pages[0].changed);
        assert!(html.join("book-0123abcd.js").exists());

        assert_eq!(finish(&root, &html, &mut pages, Some("zh-CN")).unwrap(), 2);
        let text = "showTooltip(e, '已复制！');";
        let renamed = crate::search_index::hashed_name("book", ".js", text.as_bytes());
        assert_eq!(std::fs::read_to_string(html.join(&renamed)).unwrap(), text);
        assert!(!html.join("book-0123abcd.js").exists());
        assert_eq!(
            pages[0].html,
            // The chapter's own words are left to the PO file's chapter messages.
            format!(
                r#"<a title="下一章"></a><main><p title="Next chapter"></p></main><script src="{renamed}"></script>"#
            )
        );
        // A PO file polib cannot read fails, naming it.
        std::fs::write(
            root.join("po/zh-CN.po"),
            "msgid \"\"\nmsgstr \"Content-Type: text/plain; charset=UTF-8\\n\"\n",
        )
        .unwrap();
        let error = format!(
            "{:#}",
            finish(&root, &html, &mut pages, Some("zh-CN")).unwrap_err()
        );
        assert!(error.contains("zh-CN.po: its header lacks"), "{error}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn fails_naming_a_listed_string_that_is_not_in_its_file() {
        let list = format!("{LISTED}\"theme/x.js\" = [\"Gone\"]\n");
        let (root, html, mut pages) = book("gone", &list);
        let error = finish(&root, &html, &mut pages, None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("lists strings of x.js"), "{error}");
        let list = LISTED.replace("Copied!", "Copied");
        let (root, html, mut pages) = book("gone", &list);
        let error = finish(&root, &html, &mut pages, None)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(r#""Copied" is not a whole string in"#),
            "{error}"
        );
        let list = LISTED.replace("Next chapter", "Next");
        let (root, html, mut pages) = book("gone", &list);
        let error = finish(&root, &html, &mut pages, None)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(r#""Next" (mdbook/index.hbs) is on no page"#),
            "{error}"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
