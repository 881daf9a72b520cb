//! The offline PDF. `cargo xtask pdf` prints a copy of mdBook's print page with headless
//! Chromium; `cargo xtask test` also checks the result: outline, page numbers, fonts, diagrams,
//! margins, page breaks and links.
//!
//! mdBook's print.html calls `window.print()` on load, which stops headless Chromium from
//! printing it. Rather than fork mdBook's theme, we write `print-pdf.html` beside it without that
//! call, with the book's fonts inline (text waits for them), `theme/pdf.css`, a cover and part
//! title pages, then print that copy and remove it.

mod breaks;
mod fonts;
mod layout;

use crate::book_toml::{self, BookToml};
use crate::cmd::Cmd;
use crate::summary::{self, Chapter};
use crate::{book, listings::relative, tools};
use anyhow::{Context, Result, bail};
use regex::Regex;
use std::path::{Path, PathBuf};
use std::time::Duration;

const AUTO_PRINT: &str = "window.setTimeout(window.print, 100);";
const PAGE_BREAK: &str = r#"<div style="break-before: page; page-break-before: always;"></div>"#;
/// Headless Chromium as root on a machine with no network: no sandbox, no background traffic.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];
const CJK_FONT: &str = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

/// `cargo xtask pdf`: builds the book and writes `book/pdf/<book-name>.pdf`, with a copy in
/// `book/html/` for the hosted site.
pub fn build(root: &Path) -> Result<PathBuf> {
    for needed in ["chromium", "pdftoppm", CJK_FONT] {
        tools::require_system(root, needed)?;
    }
    book::build(root)?;
    print(root, &Edition::english(root))
}

/// The PDF of a translated edition (`po/LANG.po`): the edition built into `book/LANG/`, printed to
/// `book/pdf/LANG/<book-name>.pdf`, with a copy beside its pages (`book/LANG/html/`), where its
/// introduction's link to the PDF points.
pub fn build_edition(root: &Path, language: &str) -> Result<PathBuf> {
    for needed in ["chromium", "pdftoppm", CJK_FONT] {
        tools::require_system(root, needed)?;
    }
    crate::i18n::build(root, language)?;
    print(root, &Edition::translated(root, language)?)
}

/// The edition a PDF is printed from: its pages, where the PDF goes, and for a translated one its
/// translations (the part titles and the cover's description come from them).
struct Edition {
    html: PathBuf,
    out_dir: PathBuf,
    translations: Option<crate::i18n::Translations>,
}

impl Edition {
    fn english(root: &Path) -> Self {
        Edition {
            html: root.join("book/html"),
            out_dir: root.join("book/pdf"),
            translations: None,
        }
    }

    fn translated(root: &Path, language: &str) -> Result<Self> {
        Ok(Edition {
            html: root.join("book").join(language).join("html"),
            out_dir: root.join("book/pdf").join(language),
            translations: Some(crate::i18n::Translations::read(root, language)?),
        })
    }

    /// `english` (a part title, the description) in this edition.
    fn text(&self, english: &str) -> String {
        match &self.translations {
            Some(translations) => translations
                .plain(english)
                .unwrap_or_else(|| english.to_string()),
            None => english.to_string(),
        }
    }
}

/// Prints the edition's print.html to a PDF in its `out_dir`, with a copy beside its pages.
fn print(root: &Path, edition: &Edition) -> Result<PathBuf> {
    let settings = book_toml::read(root)?;
    let html = &edition.html;
    let copy = html.join("print-pdf.html");
    std::fs::write(&copy, print_copy(root, edition, &settings)?)?;
    let out_dir = &edition.out_dir;
    std::fs::create_dir_all(out_dir)?;
    let pdf = out_dir.join(format!("{}.pdf", slug(settings.title()?)));
    let _ = std::fs::remove_file(&pdf);
    let profile = root.join("target/chromium-pdf-profile");
    let _ = std::fs::remove_dir_all(&profile);
    let printed = Cmd::new("chromium")
        .args(CHROMIUM_FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .args([
            "--no-pdf-header-footer",
            "--generate-pdf-document-outline",
            // Diagrams arrive drawn (tools/mdbook-diagrams) and need no wait; the budget stays for
            // the page's own scripts (highlighting, theme/print-page.js) and fonts to settle.
            "--virtual-time-budget=30000",
        ])
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", copy.display()))
        .timeout(Duration::from_secs(180))
        .capture();
    let _ = std::fs::remove_file(&copy);
    let printed = printed?;
    if !pdf.exists() {
        bail!(
            "Chromium wrote no PDF ({}):\n{}",
            printed.status,
            crate::cmd::tail(&printed.stderr, 20)
        );
    }
    // The hosted site serves the PDF beside the pages (the introduction links to it).
    std::fs::copy(&pdf, html.join(pdf.file_name().context("pdf has a name")?))?;
    eprintln!(
        "wrote {} (and a copy in {}/)",
        relative(root, &pdf),
        relative(root, html)
    );
    Ok(pdf)
}

/// Part of `cargo xtask test`: build the PDF of every edition and check it.
pub fn test(root: &Path) -> Result<()> {
    let pdf = build(root)?;
    check(root, &pdf, &Edition::english(root))?;
    for language in crate::i18n::languages(root)? {
        let pdf = build_edition(root, &language)?;
        check(root, &pdf, &Edition::translated(root, &language)?)?;
    }
    Ok(())
}

/// print.html, made printable by Chromium: no auto-print, fonts that text waits for (see
/// `fonts`), the PDF style sheet, a cover, and part title pages with each part's chapter
/// headings one level down (so the outline nests).
fn print_copy(root: &Path, edition: &Edition, settings: &BookToml) -> Result<String> {
    let html = &edition.html;
    let page = std::fs::read_to_string(html.join("print.html"))
        .with_context(|| format!("the book was built without {}/print.html", html.display()))?;
    if !page.contains(AUTO_PRINT) {
        bail!(
            "book/html/print.html no longer calls `{AUTO_PRINT}`: mdBook changed its print page; update xtask/src/pdf.rs"
        );
    }
    let page = fonts::blocking(html, &page.replace(AUTO_PRINT, ""))?;
    let css =
        std::fs::read_to_string(root.join("theme/pdf.css")).context("cannot read theme/pdf.css")?;
    let page = page.replacen("</head>", &format!("<style>\n{css}</style>\n</head>"), 1);
    let (start, end) = match (page.find("<main>"), page.rfind("</main>")) {
        (Some(start), Some(end)) => (start + "<main>".len(), end),
        _ => bail!("book/html/print.html has no <main> element: update xtask/src/pdf.rs"),
    };
    let chapters = summary::chapters(&settings.src_dir(root))?;
    let pieces: Vec<&str> = page[start..end].split(PAGE_BREAK).collect();
    if pieces.len() != chapters.len() {
        bail!(
            "print.html has {} chapters but SUMMARY.md lists {}: update xtask/src/pdf.rs",
            pieces.len(),
            chapters.len()
        );
    }
    let mut parts = vec![cover(settings, edition)?];
    let mut current_part: Option<&str> = None;
    for (index, (piece, chapter)) in pieces.iter().zip(&chapters).enumerate() {
        let Chapter { part, .. } = chapter;
        if part.as_deref() != current_part
            && let Some(title) = part
        {
            parts.push(format!(
                "<h1 class=\"pdf-part\" id=\"pdf-part-{index}\">{}</h1>",
                escape(&edition.text(title))
            ));
        }
        current_part = part.as_deref();
        parts.push(if part.is_some() {
            demote(piece)
        } else {
            piece.to_string()
        });
    }
    let main = unlink_local_files(&parts.join(PAGE_BREAK));
    Ok(format!("{}{main}{}", &page[..start], &page[end..]))
}

/// Links between chapters are in-page `#anchors` in print.html; any other relative link (such as
/// the introduction's link to this very PDF) would point into the builder's disk, so it becomes
/// plain text.
fn unlink_local_files(html: &str) -> String {
    let link = Regex::new(r#"<a href="([^"]*)"[^>]*>(.*?)</a>"#).expect("pattern");
    link.replace_all(html, |c: &regex::Captures| {
        let href = &c[1];
        if href.starts_with('#') || href.contains("://") || href.starts_with("mailto:") {
            c[0].to_string()
        } else {
            c[2].to_string()
        }
    })
    .into_owned()
}

fn cover(settings: &BookToml, edition: &Edition) -> Result<String> {
    Ok(format!(
        "<div class=\"pdf-cover\"><div class=\"pdf-title\">{}</div><div class=\"pdf-description\">{}</div></div>",
        escape(settings.title()?),
        escape(&edition.text(settings.description()?))
    ))
}

/// `<h1>` → `<h2>` and so on, for chapters that sit under a part title.
fn demote(html: &str) -> String {
    let heading = Regex::new(r"<(/?)h([1-5])\b").expect("pattern");
    heading
        .replace_all(html, |c: &regex::Captures| {
            let level: u8 = c[2].parse().expect("digit");
            format!("<{}h{}", &c[1], level + 1)
        })
        .into_owned()
}

fn slug(title: &str) -> String {
    let words: Vec<String> = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    words.join("-")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Checks a printed PDF with poppler's tools and by reading its outline.
fn check(root: &Path, pdf: &Path, edition: &Edition) -> Result<()> {
    let chapters = summary::chapters(&root.join("src"))?;
    let name = relative(root, pdf);
    let info = Cmd::new("pdfinfo").arg(pdf).quiet().read()?;
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .context("pdfinfo printed no page count")?;
    let (least, most) = (chapters.len() + 1, 60 * chapters.len() + 10);
    if !(least..=most).contains(&pages) {
        bail!("{name}: {pages} pages, expected between {least} and {most}");
    }

    let document = lopdf::Document::load(pdf)
        .with_context(|| format!("{name}: lopdf cannot read it as a PDF"))?;
    let outline = outline(&document).with_context(|| format!("{name}: its outline"))?;
    let print = std::fs::read_to_string(edition.html.join("print.html"))?;
    check_outline(
        &outline,
        &expected_outline(&chapters, edition, &print)?,
        &name,
    )?;

    let fonts = fonts::check(
        &Cmd::new("pdffonts").arg(pdf).quiet().read()?,
        &name,
        edition.translations.is_some(),
    )?;

    let text = Cmd::new("pdftotext").arg(pdf).arg("-").quiet().read()?;
    if edition.translations.is_some() {
        // The edition's text is in the PDF as text (searchable, copyable), not only as drawings.
        let cjk = text
            .chars()
            .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
            .count();
        if cjk < 10_000 {
            bail!("{name}: its text holds {cjk} CJK characters: the Chinese is not text");
        }
    }
    let diagram_word = check_diagrams(root, &chapters, edition, &name, &text)?;
    let printed = layout::read(pdf)?;
    check_margins(&printed, &name)?;
    check_breaks(&print, &printed, &name)?;

    let links = links(&document).with_context(|| format!("{name}: its links"))?;
    if links.internal == 0 {
        bail!("{name}: has no internal links (cross-references should become PDF links)");
    }
    if let Some(uri) = links.uris.iter().find(|uri| uri.starts_with("file:")) {
        bail!("{name}: a link points at a local file:// address ({uri})");
    }
    write_previews(pdf, &text, diagram_word.as_deref())?;
    let size = std::fs::metadata(pdf)?.len();
    eprintln!(
        "{name}: {pages} pages, {:.1} MB, {} outline entries, {} internal links, fonts embedded: {}",
        size as f64 / 1e6,
        outline.len(),
        links.internal,
        fonts.join(", ")
    );
    Ok(())
}

/// Every mermaid diagram was drawn (its source is not in the text) and svgbob's text is there.
/// Returns a word of the first svgbob diagram, to find its page by.
fn check_diagrams(
    root: &Path,
    chapters: &[Chapter],
    edition: &Edition,
    name: &str,
    text: &str,
) -> Result<Option<String>> {
    let mut first_word = None;
    let block = Regex::new(r"(?s)```(mermaid|bob)\n(.*?)```").expect("pattern");
    for chapter in chapters {
        let source = std::fs::read_to_string(root.join("src").join(&chapter.file))?;
        for found in block.captures_iter(&source) {
            // A translated edition shows the diagram's translation (mdbook-gettext's message is the
            // whole block), if it has one.
            let translated = edition
                .translations
                .as_ref()
                .and_then(|translations| translations.get(&found[0]));
            let body = match translated.and_then(|t| block.captures(t)) {
                Some(shown) => shown.get(2).map_or("", |m| m.as_str()).to_string(),
                None => found[2].to_string(),
            };
            let body = body.as_str();
            if &found[1] == "mermaid" {
                let first = body
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .unwrap_or("");
                if !first.is_empty() && text.contains(first) {
                    bail!(
                        "{name}: a mermaid diagram of {} was printed as text (\"{first}\"), not drawn",
                        chapter.file
                    );
                }
                // Drawn at build time, its labels stay text: the PDF's text layer holds them.
                if let Some(word) = mermaid_label_word(body)
                    && !text.contains(&word)
                {
                    bail!(
                        "{name}: the mermaid diagram of {} that begins \"{first}\" is missing, or its \
                         labels are not text (no \"{word}\" in the PDF's text)",
                        chapter.file
                    );
                }
            } else if let Some(word) = longest_word(body) {
                if !text.contains(&word) {
                    bail!(
                        "{name}: the svgbob diagram of {} is missing (no \"{word}\" in the text)",
                        chapter.file
                    );
                }
                first_word.get_or_insert(word);
            }
        }
    }
    Ok(first_word)
}

/// The longest word of a mermaid diagram that mermaid shows (not one of its keywords).
fn mermaid_label_word(source: &str) -> Option<String> {
    const KEYWORDS: &[&str] = &[
        "sequenceDiagram",
        "stateDiagram",
        "flowchart",
        "participant",
        "activate",
        "deactivate",
        "autonumber",
        "subgraph",
        "direction",
        "classDef",
        "linkStyle",
        "critical",
    ];
    let label_text: String = source
        .lines()
        // `%%` starts a comment, which mermaid does not draw.
        .filter(|line| !line.trim_start().starts_with("%%"))
        .map(|line| {
            let line = line.trim();
            // `participant K as Kettle` shows "Kettle"; the rest of a line shows as written.
            line.split_once(" as ").map_or(line, |(_, shown)| shown)
        })
        .collect::<Vec<_>>()
        .join("\n");
    label_text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.len() >= 4 && !KEYWORDS.contains(w))
        .max_by_key(|w| w.len())
        .map(str::to_string)
}

fn longest_word(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_alphabetic())
        .filter(|w| w.len() >= 4)
        .max_by_key(|w| w.len())
        .map(str::to_string)
}

/// No word may stand outside the page's side margins: code wraps rather than running off.
fn check_margins(pages: &[layout::Page], name: &str) -> Result<()> {
    for page in pages {
        for word in page.lines.iter().flat_map(|l| &l.words) {
            // 17 mm margins are 48 pt; allow a little for glyph overhang.
            if word.left < 40.0 || word.right > page.width - 40.0 {
                bail!(
                    "{name}: the word \"{}\" runs into the page margin (x from {:.0} to {:.0} of {:.0} pt)",
                    word.text,
                    word.left,
                    word.right,
                    page.width
                );
            }
        }
    }
    Ok(())
}

/// No listing caption or heading is the last text of a page, with what it introduces on the
/// next page (see `breaks`).
fn check_breaks(print_html: &str, pages: &[layout::Page], name: &str) -> Result<()> {
    let stranded = breaks::stranded(pages, &breaks::Marks::from_print_html(print_html));
    if !stranded.is_empty() {
        let pages: Vec<String> = stranded
            .iter()
            .map(|s| format!("  page {}: \"{}\"", s.page, s.text))
            .collect();
        bail!(
            "{name}: {} page(s) end with a listing caption or a heading whose text or code starts the next page (theme/pdf.css should keep them together):\n{}",
            stranded.len(),
            pages.join("\n")
        );
    }
    Ok(())
}

/// One entry of the PDF's outline (bookmarks): its title, its depth (1 for the top level) and the
/// page it leads to.
#[derive(Debug, Clone, PartialEq)]
struct OutlineEntry {
    title: String,
    level: usize,
    page: usize,
}

/// The PDF's outline in order, read with lopdf (titles decoded from UTF-16 or PDFDocEncoding).
fn outline(document: &lopdf::Document) -> Result<Vec<OutlineEntry>> {
    let toc = document.get_toc().context(
        "lopdf finds no outline (Chromium writes one with --generate-pdf-document-outline)",
    )?;
    if let Some(error) = toc.errors.first() {
        bail!("lopdf cannot read an entry: {error}");
    }
    Ok(toc
        .toc
        .into_iter()
        .map(|entry| OutlineEntry {
            title: summary::plain(&entry.title),
            level: entry.level,
            page: entry.page,
        })
        .collect())
}

/// The outline entries the book must have, in order: each part title at the top level with its
/// chapters one level down (as `print_copy` demotes them), and the chapters outside parts at the
/// top level. A translated edition's titles are its own: the parts' from its translations, the
/// chapters' the first heading of each chapter of its print.html (`print_html`).
fn expected_outline(
    chapters: &[Chapter],
    edition: &Edition,
    print_html: &str,
) -> Result<Vec<(String, usize)>> {
    let headings: Vec<String> = match edition.translations {
        None => chapters.iter().map(|c| c.heading.clone()).collect(),
        Some(_) => {
            let main = print_html
                .split_once("<main>")
                .map_or(print_html, |(_, main)| main);
            let h1 = Regex::new(r"(?s)<h1\b[^>]*>(.*?)</h1>").expect("pattern");
            let tags = Regex::new(r"<[^>]*>").expect("pattern");
            let found: Vec<String> = main
                .split(PAGE_BREAK)
                .filter_map(|piece| h1.captures(piece))
                .map(|c| summary::plain(&html_text(&tags.replace_all(&c[1], ""))))
                .collect();
            if found.len() != chapters.len() {
                bail!(
                    "print.html holds {} chapter headings, SUMMARY.md lists {} chapters",
                    found.len(),
                    chapters.len()
                );
            }
            found
        }
    };
    let mut expected = Vec::new();
    let mut current_part = None;
    for (chapter, heading) in chapters.iter().zip(headings) {
        if chapter.part.is_some() && chapter.part != current_part {
            let part = chapter.part.clone().unwrap_or_default();
            expected.push((edition.text(&part), 1));
        }
        current_part = chapter.part.clone();
        let level = if chapter.part.is_some() { 2 } else { 1 };
        expected.push((heading, level));
    }
    Ok(expected)
}

/// The text of HTML with the entities mdBook writes in headings decoded.
fn html_text(html: &str) -> String {
    html.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Every expected entry is in the outline, at its level, in the expected order, on pages that
/// never go back (the chapters' own headings may stand between them).
fn check_outline(outline: &[OutlineEntry], expected: &[(String, usize)], name: &str) -> Result<()> {
    let mut from = 0;
    let mut previous: Option<&OutlineEntry> = None;
    for (title, level) in expected {
        let Some(at) = outline[from..]
            .iter()
            .position(|entry| entry.title == *title && entry.level == *level)
        else {
            let elsewhere = outline.iter().find(|entry| entry.title == *title);
            let after = previous.map_or(String::new(), |p| format!(" after \"{}\"", p.title));
            bail!(
                "{name}: the outline has no entry \"{title}\" at level {level}{after}{}",
                match elsewhere {
                    Some(found) => format!(
                        " (it is at level {} on page {}: out of order or misplaced)",
                        found.level, found.page
                    ),
                    None => " (it is missing)".to_string(),
                }
            );
        };
        let entry = &outline[from + at];
        if let Some(before) = previous
            && entry.page < before.page
        {
            bail!(
                "{name}: the outline's \"{}\" leads to page {}, before \"{}\" on page {}",
                entry.title,
                entry.page,
                before.title,
                before.page
            );
        }
        previous = Some(entry);
        from += at + 1;
    }
    Ok(())
}

/// The PDF's link annotations: how many lead inside it, and the addresses of the others.
struct Links {
    internal: usize,
    uris: Vec<String>,
}

fn links(document: &lopdf::Document) -> Result<Links> {
    let mut links = Links {
        internal: 0,
        uris: Vec::new(),
    };
    for (number, page) in document.get_pages() {
        let annotations = document
            .get_page_annotations(page)
            .with_context(|| format!("page {number}'s annotations"))?;
        for annotation in annotations {
            if annotation.get(b"Subtype").and_then(|s| s.as_name()).ok() != Some(b"Link") {
                continue;
            }
            if annotation.has(b"Dest") {
                links.internal += 1;
                continue;
            }
            let Ok(action) = annotation
                .get_deref(b"A", document)
                .and_then(|a| a.as_dict())
            else {
                continue;
            };
            match action.get(b"S").and_then(|s| s.as_name()) {
                Ok(b"GoTo") => links.internal += 1,
                Ok(b"URI") => {
                    let uri = action.get_deref(b"URI", document).and_then(|u| u.as_str());
                    links
                        .uris
                        .push(String::from_utf8_lossy(uri.unwrap_or(b"?")).into_owned());
                }
                _ => {}
            }
        }
    }
    Ok(links)
}

/// `book/pdf/preview-cover.png` and `preview-diagram.png`, for a person to look at.
fn write_previews(pdf: &Path, text: &str, diagram_word: Option<&str>) -> Result<()> {
    let dir = pdf.parent().context("pdf has a folder")?;
    let render = |page: usize, name: &str| {
        Cmd::new("pdftoppm")
            .args([
                "-png",
                "-r",
                "60",
                "-singlefile",
                "-f",
                &page.to_string(),
                "-l",
                &page.to_string(),
            ])
            .arg(pdf)
            .arg(dir.join(name))
            .quiet()
            .read()
            .map(|_| ())
    };
    render(1, "preview-cover")?;
    let diagram_page =
        diagram_word.and_then(|word| text.split('\x0c').position(|p| p.contains(word)));
    if let Some(page) = diagram_page {
        render(page + 1, "preview-diagram")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(title: &str, level: usize, page: usize) -> OutlineEntry {
        OutlineEntry {
            title: title.to_string(),
            level,
            page,
        }
    }

    fn chapter(heading: &str, part: Option<&str>) -> Chapter {
        Chapter {
            title: heading.to_string(),
            file: String::new(),
            html: String::new(),
            number: None,
            depth: 0,
            part: part.map(str::to_string),
            heading: heading.to_string(),
        }
    }

    #[test]
    fn the_outline_holds_parts_and_chapters_in_order() {
        let chapters = [
            chapter("Introduction", None),
            chapter("One", Some("Part I")),
            chapter("Two", Some("Part I")),
            chapter("Glossary", None),
        ];
        let english = Edition {
            html: PathBuf::new(),
            out_dir: PathBuf::new(),
            translations: None,
        };
        let expected = expected_outline(&chapters, &english, "").unwrap();
        assert_eq!(
            expected,
            [
                ("Introduction".to_string(), 1),
                ("Part I".to_string(), 1),
                ("One".to_string(), 2),
                ("Two".to_string(), 2),
                ("Glossary".to_string(), 1)
            ]
        );
        let good = [
            entry("Introduction", 1, 2),
            entry("A section", 2, 2),
            entry("Part I", 1, 3),
            entry("One", 2, 4),
            entry("Two", 2, 6),
            entry("A section of two", 3, 7),
            entry("Glossary", 1, 9),
        ];
        check_outline(&good, &expected, "b.pdf").expect("in order");

        let mut missing = good.to_vec();
        missing.remove(4);
        let error = check_outline(&missing, &expected, "b.pdf").unwrap_err();
        assert_eq!(
            error.to_string(),
            "b.pdf: the outline has no entry \"Two\" at level 2 after \"One\" (it is missing)"
        );

        let mut swapped = good.to_vec();
        swapped.swap(3, 4);
        let error = check_outline(&swapped, &expected, "b.pdf").unwrap_err();
        assert!(error.to_string().contains("out of order"), "{error}");

        let mut flat = good.to_vec();
        flat[3].level = 1;
        assert!(check_outline(&flat, &expected, "b.pdf").is_err());

        let mut backwards = good.to_vec();
        backwards[4].page = 3;
        let error = check_outline(&backwards, &expected, "b.pdf").unwrap_err();
        assert!(error.to_string().contains("leads to page 3"), "{error}");
    }

    #[test]
    fn demotes_headings_but_not_h6() {
        assert_eq!(
            demote("<h1 id=\"a\">A</h1><h6>x</h6>"),
            "<h2 id=\"a\">A</h2><h6>x</h6>"
        );
    }

    #[test]
    fn unlinks_only_local_files() {
        let html =
            r##"<a href="#ch2">two</a> <a href="x.pdf">pdf</a> <a href="https://a.b/">web</a>"##;
        assert_eq!(
            unlink_local_files(html),
            r##"<a href="#ch2">two</a> pdf <a href="https://a.b/">web</a>"##
        );
    }

    #[test]
    fn a_mermaid_diagram_is_found_by_a_label_not_a_keyword() {
        let sequence = "sequenceDiagram\n    participant K as Kettle\n    participant Executor\n    K->>Executor: boil";
        // Not "sequenceDiagram" or "participant", which mermaid does not show.
        assert_eq!(mermaid_label_word(sequence).as_deref(), Some("Executor"));
        let state =
            "stateDiagram-v2\n    [*] --> Start\n    Heating --> Heating: 40 degrees warmer";
        assert_eq!(mermaid_label_word(state).as_deref(), Some("degrees"));
        // A comment is not drawn.
        let commented = "sequenceDiagram\n    %% Translators: labels stay bare\n    A->>B: wake";
        assert_eq!(mermaid_label_word(commented).as_deref(), Some("wake"));
    }

    #[test]
    fn slugs_titles() {
        assert_eq!(
            slug("Futures from the Ground Up"),
            "futures-from-the-ground-up"
        );
    }
}
