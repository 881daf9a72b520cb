//! The book's fonts in the PDF. theme/fonts/fonts.css gives every face `font-display: optional`
//! (xtask/src/fonts.rs) so that a web page never moves when a font is late; Chromium printing
//! print.html from a file then kept its fallback (DejaVu Sans) for the whole PDF. The PDF's copy
//! of print.html therefore carries the built fonts.css inline with every face set to `block`
//! (text waits for its font), and `check` reads with poppler's `pdffonts` which fonts the PDF
//! embeds.

use anyhow::{Context, Result, bail};
use regex::Regex;
use std::collections::BTreeSet;
use std::path::Path;

/// The faces the PDF must embed, as `pdffonts` names them: the text, its bold and italic, and code
/// (the faces theme/head.hbs preloads because every page uses them).
const BOOK_FACES: &[&str] = &[
    "OpenSans-Regular",
    "OpenSans-Bold",
    "OpenSans-Italic",
    "SourceCodePro-Medium",
];

/// `page` (print.html, in `html`) with its link to mdBook's fonts.css replaced by that style sheet
/// inline, every face `font-display: block` and its files addressed from `html`.
pub fn blocking(html: &Path, page: &str) -> Result<String> {
    let link = Regex::new(r#"<link rel="stylesheet" href="((?:[^"/]*/)*fonts[^"/]*\.css)">"#)
        .expect("pattern");
    let found = link.captures(page).context(
        "book/html/print.html links no fonts/fonts.css style sheet: update xtask/src/pdf/fonts.rs",
    )?;
    let href = &found[1];
    let css = std::fs::read_to_string(html.join(href))
        .with_context(|| format!("cannot read book/html/{href}"))?;
    let folder = href.rsplit_once('/').map_or("", |(folder, _)| folder);
    let css = rewrite(&css, folder).with_context(|| format!("book/html/{href}"))?;
    for file in Regex::new(r"url\('([^']*)'\)")
        .expect("pattern")
        .captures_iter(&css)
    {
        if !html.join(&file[1]).exists() {
            bail!(
                "book/html/{href} names {}, which is not in book/html/",
                &file[1]
            );
        }
    }
    let inline = format!(
        "<style>\n/* {href}, with every face blocking until its file is loaded (xtask/src/pdf/fonts.rs) */\n{css}</style>"
    );
    Ok(page.replacen(&found[0], &inline, 1))
}

/// fonts.css with each face's `font-display` set to `block` and each relative `url()` resolved
/// from `folder` (the style sheet's folder, relative to the page).
fn rewrite(css: &str, folder: &str) -> Result<String> {
    let faces = css.matches("@font-face").count();
    let display = Regex::new(r"font-display:\s*[a-z]+;").expect("pattern");
    if faces == 0 || display.find_iter(css).count() != faces {
        bail!(
            "expected one font-display in each of its {faces} @font-face rules (xtask/src/fonts.rs writes them)"
        );
    }
    let css = display.replace_all(css, "font-display: block;");
    let url = Regex::new(r#"url\(\s*['"]?([^'")]+?)['"]?\s*\)"#).expect("pattern");
    let mut unresolved = None;
    let css = url.replace_all(&css, |c: &regex::Captures| {
        let target = &c[1];
        if target.contains(':') || target.starts_with('/') {
            return c[0].to_string();
        }
        match resolve(folder, target) {
            Some(path) => format!("url('{path}')"),
            None => {
                unresolved.get_or_insert_with(|| target.to_string());
                c[0].to_string()
            }
        }
    });
    if let Some(target) = unresolved {
        bail!("url('{target}') points above the book's folder");
    }
    Ok(css.into_owned())
}

/// `target` relative to `folder`, as a path from the page's folder; `None` if it leaves it.
fn resolve(folder: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty()).collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// Reads `pdffonts` output: every font is embedded and the book's faces are among them, and for a
/// Chinese edition (`cjk`) the face its Chinese text is set in: Noto Sans CJK (Debian's
/// fonts-noto-cjk, which Chromium falls back to for Chinese text). Its outlines are CFF, which
/// Chromium's PDF writer (Skia) embeds as Type 3 fonts whose glyphs are drawn paths, unnamed; so a
/// Chinese edition needs a named CJK face or Type 3 fonts with a ToUnicode map (the `uni` column:
/// the Chinese text can be searched and copied). Returns the names of the fonts embedded (without
/// their subset tags).
pub fn check(pdffonts: &str, name: &str, cjk: bool) -> Result<Vec<String>> {
    let mut named = BTreeSet::new();
    let mut type3 = 0;
    let mut type3_with_text = 0;
    for row in pdffonts.lines().skip(2) {
        let columns: Vec<&str> = row.split_whitespace().collect();
        if columns.len() >= 5 && columns[columns.len() - 5] != "yes" {
            bail!("{name}: a font is not embedded: {row}");
        }
        match columns.first() {
            Some(&"[none]") => {
                type3 += 1;
                // name, type (2 words), encoding, emb, sub, uni, object, generation
                if columns.len() >= 4 && columns[columns.len() - 3] == "yes" {
                    type3_with_text += 1;
                }
            }
            // A subset is named "ABCDEF+OpenSans-Regular".
            Some(font) => {
                named.insert(
                    font.split_once('+')
                        .map_or(*font, |(_, base)| base)
                        .to_string(),
                );
            }
            None => {}
        }
    }
    let mut missing: Vec<&str> = BOOK_FACES
        .iter()
        .copied()
        .filter(|face| !named.contains(*face))
        .collect();
    if cjk && type3_with_text == 0 && !named.iter().any(|font| font.contains("CJK")) {
        missing.push("a CJK face (Noto Sans CJK)");
    }
    if !missing.is_empty() {
        let found: Vec<&str> = named.iter().map(String::as_str).collect();
        bail!(
            "{name}: the book's fonts are not in the PDF (missing {}); it embeds {} and {type3} \
             unnamed Type 3 font(s). Chromium did not load theme/fonts/fonts.css's faces when \
             printing: see xtask/src/pdf/fonts.rs",
            missing.join(", "),
            if found.is_empty() {
                "no named font".to_string()
            } else {
                found.join(", ")
            }
        );
    }
    Ok(named.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_face_blocks_and_its_file_is_addressed_from_the_page() {
        let css = "@font-face {\n  font-weight: 400;\n  font-display: optional;\n  src: local('X'),\n       url('../fonts/a-1.woff2') format('woff2');\n}\n";
        assert_eq!(
            rewrite(css, "fonts").unwrap(),
            "@font-face {\n  font-weight: 400;\n  font-display: block;\n  src: local('X'),\n       url('fonts/a-1.woff2') format('woff2');\n}\n"
        );
        let without = "@font-face {\n  src: url('a.woff2');\n}\n";
        assert!(rewrite(without, "fonts").is_err());
        assert!(rewrite(css, "").is_err(), "../ above the page's folder");
    }

    #[test]
    fn names_the_fonts_it_found_when_the_books_are_missing() {
        let header = "name type encoding emb sub uni object ID\n---- ---- ---- --- --- --- ---\n";
        let fallback = format!(
            "{header}AAAAAA+DejaVuSans CID TrueType Identity-H yes yes yes 5 0\n\
             [none] Type 3 Custom yes no yes 1651 0\n"
        );
        let error = check(&fallback, "x.pdf", false).unwrap_err().to_string();
        assert!(
            error.contains("missing OpenSans-Regular, OpenSans-Bold"),
            "{error}"
        );
        assert!(
            error.contains("embeds DejaVuSans and 1 unnamed Type 3"),
            "{error}"
        );
        let book: String = BOOK_FACES
            .iter()
            .map(|f| format!("BAAAAA+{f} CID TrueType Identity-H yes yes yes 4 0\n"))
            .collect();
        assert_eq!(
            check(&format!("{header}{book}"), "x.pdf", false)
                .unwrap()
                .len(),
            4
        );
        let not_embedded = format!("{header}{book}Helvetica Type 1 WinAnsi no no no 9 0\n");
        assert!(check(&not_embedded, "x.pdf", false).is_err());
        let error = check(&format!("{header}{book}"), "x.pdf", true).unwrap_err();
        assert!(error.to_string().contains("a CJK face"), "{error}");
        let cjk = "CAAAAA+NotoSansCJKsc-Regular CID Type 0C Identity-H yes yes yes 7 0\n";
        assert_eq!(
            check(&format!("{header}{book}{cjk}"), "x.pdf", true)
                .unwrap()
                .len(),
            5
        );
        // As Chromium writes Noto Sans CJK: unnamed Type 3 fonts with a ToUnicode map.
        let type3 = "[none] Type 3 Custom yes no yes 6 0\n";
        assert!(check(&format!("{header}{book}{type3}"), "x.pdf", true).is_ok());
        let no_text = "[none] Type 3 Custom yes no no 6 0\n";
        assert!(check(&format!("{header}{book}{no_text}"), "x.pdf", true).is_err());
    }
}
