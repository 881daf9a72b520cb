//! The language picker: on every page of every edition, a link to the same page in each other
//! edition, in the top bar's right-hand buttons (beside print), and a `<link rel="alternate"
//! hreflang>` to it in `<head>`.
//!
//! The editions are the source (book.toml's `[output.html-finish.language-picker] source`, whose
//! pages are at the site's root) and one per `po/LANG.po` (in name order), whose pages the site
//! holds under `LANG/`; their names, each in its own language, are that section's `names`. A name
//! without an edition, or an edition without a name, fails the build. With no `po/LANG.po` there
//! is no picker.
//!
//! The link is relative, so it works under the site's sub-path, with `mdbook serve` and from
//! files on disk: every edition has the same pages (the same SUMMARY.md), and headings keep their
//! English ids in every edition, so the same page and `#section` exist in each. Without
//! JavaScript the link goes to the same page; with it, a click carries the reader's current
//! `#section` along (`onclick`, a few bytes instead of a script file). 404.html has a `<base>`
//! (the edition's site-url), which the relative link resolves against as well.

use crate::pages::Page;
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// `[output.html-finish.language-picker]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The source's language (`book.language` as book.toml has it): its pages are at the root.
    pub source: String,
    /// Each edition's name in its own language, by language code (`zh-CN = "简体中文"`).
    pub names: BTreeMap<String, String>,
}

#[derive(Debug, PartialEq)]
pub struct Edition {
    pub code: String,
    pub name: String,
}

/// The editions: the source first, then one for each `po/LANG.po` under `root`, in name order.
pub fn editions(settings: &Settings, root: &Path) -> Result<Vec<Edition>> {
    let mut codes = vec![settings.source.clone()];
    let po = root.join("po");
    if po.is_dir() {
        let mut translated = Vec::new();
        for entry in
            std::fs::read_dir(&po).with_context(|| format!("cannot list {}", po.display()))?
        {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "po")
                && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
            {
                translated.push(stem.to_string());
            }
        }
        translated.sort();
        codes.extend(translated);
    }
    named(settings, codes)
}

fn named(settings: &Settings, codes: Vec<String>) -> Result<Vec<Edition>> {
    if settings.source.is_empty() {
        bail!(
            "book.toml's [output.html-finish.language-picker] has no `source` (the source's language)"
        );
    }
    if let Some(stale) = settings.names.keys().find(|code| !codes.contains(code)) {
        bail!(
            "book.toml's [output.html-finish.language-picker] names `{stale}`, which has no po/{stale}.po \
             and is not the source"
        );
    }
    codes
        .into_iter()
        .map(|code| match settings.names.get(&code) {
            Some(name) => Ok(Edition { name: name.clone(), code }),
            None => bail!(
                "book.toml's [output.html-finish.language-picker] `names` has no name for the `{code}` edition"
            ),
        })
        .collect()
}

/// Puts the picker on every page that has mdBook's top bar (and the alternates in its `<head>`),
/// for a build of the edition `current`; returns how many pages got it.
pub fn finish(pages: &mut [Page], editions: &[Edition], current: &str) -> Result<usize> {
    if editions.len() < 2 {
        return Ok(0);
    }
    if !editions.iter().any(|e| e.code == current) {
        bail!(
            "this build's language is `{current}`, which is neither the source nor a po/LANG.po: \
             no language picker can say where the reader is"
        );
    }
    let mut done = 0;
    for page in pages.iter_mut() {
        if let Some(html) = with_picker(&page.html, &page.name, editions, current)
            .with_context(|| format!("cannot put the language picker on {}", page.name))?
        {
            page.set(html);
            done += 1;
        }
    }
    Ok(done)
}

const BUTTONS: &str = "<div class=\"right-buttons\">";

/// `html` with the picker and the alternates, or `None` for a page without mdBook's top bar
/// (toc.html, the sidebar's frame).
fn with_picker(
    html: &str,
    name: &str,
    editions: &[Edition],
    current: &str,
) -> Result<Option<String>> {
    let Some(buttons) = html.find(BUTTONS) else {
        return Ok(None);
    };
    if html[buttons + 1..].contains(BUTTONS) {
        bail!("two `{BUTTONS}`");
    }
    let end = buttons
        + html[buttons..]
            .find("</div>")
            .context("the right-hand buttons' <div> is not closed")?;
    let Some(head) = html[..buttons].find("</head>") else {
        bail!("no </head> before the top bar");
    };
    let others: Vec<&Edition> = editions.iter().filter(|e| e.code != current).collect();
    let mut links = String::new();
    let mut alternates = String::new();
    for edition in &others {
        let href = escape(&href(name, &editions[0].code, current, &edition.code));
        let code = escape(&edition.code);
        links.push_str(&format!(
            "<a class=\"language-picker\" href=\"{href}\" hreflang=\"{code}\" lang=\"{code}\" \
             onclick=\"this.hash=location.hash\">{}</a>\n",
            escape(&edition.name)
        ));
        alternates.push_str(&format!(
            "<link rel=\"alternate\" hreflang=\"{code}\" href=\"{href}\">\n"
        ));
    }
    Ok(Some(format!(
        "{}{alternates}{}{links}{}",
        &html[..head],
        &html[head..end],
        &html[end..]
    )))
}

/// The address of page `name` (relative to its edition's root, `/`-separated) in the edition
/// `to`, relative to the same page in `from`; the `source` edition is at the site's root, every
/// other one under its code.
fn href(name: &str, source: &str, from: &str, to: &str) -> String {
    let mut up = "../".repeat(name.matches('/').count());
    if from != source {
        up.push_str("../");
    }
    if to == source {
        format!("{up}{name}")
    } else {
        format!("{up}{to}/{name}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(names: &[(&str, &str)]) -> Settings {
        Settings {
            source: "en".into(),
            names: names
                .iter()
                .map(|(c, n)| (c.to_string(), n.to_string()))
                .collect(),
        }
    }

    fn two() -> Vec<Edition> {
        named(
            &settings(&[("en", "English"), ("zh-CN", "简体中文")]),
            vec!["en".into(), "zh-CN".into()],
        )
        .unwrap()
    }

    const PAGE: &str = "<html><head><title>x</title></head><body><div class=\"right-buttons\">\
                        <a href=\"print.html\">p</a>\n</div><main>x</main></body></html>";

    #[test]
    fn links_the_same_page_of_the_other_edition_both_ways() {
        let en = with_picker(PAGE, "ch05-00-x.html", &two(), "en")
            .unwrap()
            .unwrap();
        assert!(en.contains(
            "<a href=\"print.html\">p</a>\n<a class=\"language-picker\" href=\"zh-CN/ch05-00-x.html\" \
             hreflang=\"zh-CN\" lang=\"zh-CN\" onclick=\"this.hash=location.hash\">简体中文</a>\n</div>"
        ), "{en}");
        assert!(en.contains(
            "<link rel=\"alternate\" hreflang=\"zh-CN\" href=\"zh-CN/ch05-00-x.html\">\n</head>"
        ));
        let zh = with_picker(PAGE, "print.html", &two(), "zh-CN")
            .unwrap()
            .unwrap();
        assert!(
            zh.contains("href=\"../print.html\" hreflang=\"en\" lang=\"en\""),
            "{zh}"
        );
        assert_eq!(href("a/b.html", "en", "zh-CN", "en"), "../../a/b.html");
        assert_eq!(href("a/b.html", "en", "en", "fr"), "../fr/a/b.html");
        assert_eq!(href("b.html", "en", "fr", "zh-CN"), "../zh-CN/b.html");
    }

    #[test]
    fn leaves_a_page_without_the_top_bar_and_refuses_one_it_cannot_read() {
        assert_eq!(
            with_picker("<html>toc</html>", "toc.html", &two(), "en").unwrap(),
            None
        );
        let twice = PAGE.replace("<main>", "<div class=\"right-buttons\"></div><main>");
        assert!(with_picker(&twice, "a.html", &two(), "en").is_err());
        let headless = PAGE.replace("</head>", "");
        assert!(with_picker(&headless, "a.html", &two(), "en").is_err());
    }

    #[test]
    fn every_edition_has_a_name_and_every_name_an_edition() {
        let codes = || vec!["en".to_string(), "zh-CN".to_string()];
        let missing = named(&settings(&[("en", "English")]), codes()).unwrap_err();
        assert!(
            missing
                .to_string()
                .contains("no name for the `zh-CN` edition"),
            "{missing}"
        );
        let stale = settings(&[("en", "English"), ("zh-CN", "中文"), ("fr", "Français")]);
        let error = named(&stale, codes()).unwrap_err();
        assert!(error.to_string().contains("names `fr`"), "{error}");
        let mut pages = vec![Page {
            name: "a.html".into(),
            path: "a.html".into(),
            html: PAGE.into(),
            changed: false,
        }];
        assert!(finish(&mut pages, &two(), "fr").is_err());
        let alone = named(&settings(&[("en", "English")]), vec!["en".into()]).unwrap();
        assert_eq!(finish(&mut pages, &alone, "en").unwrap(), 0);
        assert_eq!(finish(&mut pages, &two(), "en").unwrap(), 1);
        assert!(pages[0].changed);
    }
}
