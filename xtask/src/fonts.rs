//! theme/fonts/: mdBook's own fonts (Open Sans, Source Code Pro) subset with fonttools'
//! pyftsubset to the characters the built book uses, with a fonts.css that mdBook uses in place
//! of its own, and theme/fonts-coverage.json, which says for each font which code points the
//! original has and which the subset keeps (and the subset's SHA-256, so the two cannot drift
//! apart). `cargo xtask assets` writes them; `cargo xtask test` checks that no page uses a
//! character the original font has and its subset lacks. Characters no font of ours has (CJK, say)
//! fall back to the reader's system fonts, as with mdBook's full fonts.

use crate::cmd::Cmd;
use crate::files::files_with_extension;
use crate::listings::relative;
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

const FONTS: &str = "theme/fonts";
/// fonttools reads and writes woff2 through Debian's python3-brotli (ci/tools.toml).
const BROTLI: &str = "/usr/lib/python3/dist-packages/brotli.py";
const MANIFEST: &str = "theme/fonts-coverage.json";
/// How the subset files are named: mdBook's names with this in place of `all-charsets`.
const SUBSET: &str = "book-subset";
/// Every face waits for its file only briefly, then keeps the fallback for the page's lifetime,
/// so text never moves when a font arrives late (no layout shift). theme/head.hbs preloads the
/// faces a page's first screen uses, so on a normal connection they are there before first paint.
const FONT_DISPLAY: &str = "optional";

#[derive(Serialize, Deserialize)]
struct Manifest {
    note: String,
    fonts: Vec<Coverage>,
}

#[derive(Serialize, Deserialize)]
struct Coverage {
    /// The subset's file name in theme/fonts/.
    file: String,
    sha256: String,
    /// Code points of mdBook's full font, as ranges of hexadecimal numbers ("20-7E A0").
    original: String,
    /// Code points the subset keeps.
    subset: String,
}

/// `cargo xtask assets`, second half: subsets mdBook's fonts to the characters of the built book.
pub fn generate(root: &Path) -> Result<()> {
    crate::tools::require_system(root, "pyftsubset")?;
    crate::tools::require_system(root, BROTLI)?;
    let scratch = root.join("target/assets");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;
    // mdBook writes its own theme, fonts included, exactly as the pinned version ships it.
    Cmd::new("mdbook")
        .args([
            "init", "--theme", "--force", "--title", "scratch", "--ignore", "none",
        ])
        .arg(scratch.join("mdbook"))
        .quiet()
        .timeout(Duration::from_secs(60))
        .read()?;
    let originals = scratch.join("mdbook/theme/fonts");
    crate::book::build_into(root, &scratch.join("book"))?;
    let mut used: BTreeSet<char> = (' '..='~').collect();
    for file in text_files(&scratch.join("book/html"))? {
        used.extend(characters(&file)?);
    }
    let unicodes = scratch.join("unicodes.txt");
    let list: Vec<String> = used
        .iter()
        .map(|c| format!("{:04X}", u32::from(*c)))
        .collect();
    std::fs::write(&unicodes, list.join("\n"))?;

    let out = root.join(FONTS);
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out)?;
    let mut fonts = Vec::new();
    for original in files_with_extension(&originals, "woff2")? {
        let name = original
            .file_name()
            .context("a font file has a name")?
            .to_string_lossy()
            .replace("all-charsets", SUBSET);
        let subset = out.join(&name);
        Cmd::new("pyftsubset")
            .arg(&original)
            .arg(format!("--unicodes-file={}", unicodes.display()))
            // Hinting (TrueType instructions) is a third of each file. Screenshots of chapters
            // with and without it are identical to the pixel in Chromium on Linux; Windows may
            // draw some stems differently (Google Fonts sends hinted files only to Windows).
            .args(["--flavor=woff2", "--layout-features=*", "--no-hinting"])
            .arg(format!("--output-file={}", subset.display()))
            .timeout(Duration::from_secs(120))
            .run()?;
        fonts.push(Coverage {
            file: name,
            sha256: sha256(&subset)?,
            original: ranges(&code_points(&original)?),
            subset: ranges(&code_points(&subset)?),
        });
    }
    for license in ["OPEN-SANS-LICENSE.txt", "SOURCE-CODE-PRO-LICENSE.txt"] {
        std::fs::copy(originals.join(license), out.join(license))
            .with_context(|| format!("mdBook's theme has no fonts/{license}"))?;
    }
    let css = std::fs::read_to_string(originals.join("fonts.css"))?;
    std::fs::write(out.join("fonts.css"), fonts_css(&css))?;
    let manifest = Manifest {
        note: "Written by `cargo xtask assets` (xtask/src/fonts.rs); do not edit.".into(),
        fonts,
    };
    std::fs::write(
        root.join(MANIFEST),
        serde_json::to_string_pretty(&manifest)? + "\n",
    )?;
    eprintln!(
        "{FONTS}: mdBook's fonts subset to {} characters; coverage in {MANIFEST}",
        used.len()
    );
    Ok(())
}

/// mdBook's fonts.css, naming the subsets and with a `font-display` for every face.
fn fonts_css(original: &str) -> String {
    let mut css = String::from(
        "/* mdBook's fonts.css, written by `cargo xtask assets` (xtask/src/fonts.rs): the files are\n   \
         subsets of mdBook's fonts to the characters this book uses, and each face has a\n   \
         font-display (see fonts.rs). Do not edit. */\n\n",
    );
    for line in original.lines() {
        let line = line.replace("all-charsets", SUBSET);
        css.push_str(&line);
        css.push('\n');
        if line.trim_start().starts_with("font-weight:") {
            css.push_str(&format!("  font-display: {FONT_DISPLAY};\n"));
        }
    }
    css
}

/// Part of the step "book build and links": every subset is the file the manifest describes, and
/// no file of the built book uses a character an original font has and its subset lacks.
pub fn check(root: &Path, html: &Path) -> Result<()> {
    let text = std::fs::read_to_string(root.join(MANIFEST))
        .with_context(|| format!("cannot read {MANIFEST}: write it with `cargo xtask assets`"))?;
    let manifest: Manifest =
        serde_json::from_str(&text).with_context(|| format!("{MANIFEST} is not valid"))?;
    let mut problems = Vec::new();
    let mut fonts = Vec::new();
    for font in &manifest.fonts {
        let file = root.join(FONTS).join(&font.file);
        if !file.exists() || sha256(&file)? != font.sha256 {
            problems.push(format!(
                "{FONTS}/{}: not the file {MANIFEST} describes (its SHA-256 differs or it is missing)",
                font.file
            ));
        }
        fonts.push((
            &font.file,
            parse_ranges(&font.original)?,
            parse_ranges(&font.subset)?,
        ));
    }
    // theme/head.hbs preloads some faces by name; mdBook leaves an unknown name as it is, so a
    // renamed subset would be preloaded from an address that answers 404.
    let head = std::fs::read_to_string(root.join("theme/head.hbs")).unwrap_or_default();
    for named in head.split("\"fonts/").skip(1) {
        let name = named.split('"').next().unwrap_or("");
        if !manifest.fonts.iter().any(|f| f.file == name) {
            problems.push(format!(
                "theme/head.hbs preloads fonts/{name}, which {FONTS} does not hold"
            ));
        }
    }
    let files = text_files(html)?;
    for file in &files {
        let mut missing = Vec::new();
        for c in characters(file)? {
            let lacking: Vec<&str> = fonts
                .iter()
                .filter(|(_, original, subset)| original.contains(&c) && !subset.contains(&c))
                .map(|(name, _, _)| name.as_str())
                .collect();
            if let Some(first) = lacking.first() {
                missing.push(format!(
                    "'{c}' (U+{:04X}; {first} and {} other subsets lack it)",
                    u32::from(c),
                    lacking.len() - 1
                ));
            }
        }
        if !missing.is_empty() {
            let list: Vec<String> = missing.into_iter().collect();
            problems.push(format!(
                "{}: uses characters the font subsets lack: {}",
                relative(html, file),
                list.join(", ")
            ));
        }
    }
    if !problems.is_empty() {
        bail!(
            "{}\n(run `cargo xtask assets` to subset the fonts again)",
            problems.join("\n")
        );
    }
    eprintln!(
        "the {} font subsets of {FONTS} cover every character of the {} pages, scripts, styles and files of hidden lines",
        fonts.len(),
        files.len()
    );
    Ok(())
}

/// The built book's files whose characters can be drawn with the fonts: its pages (diagrams are
/// inline SVG in them), its styles, its own scripts (their messages) and the listings' hidden
/// lines, which a page fetches from `hidden-lines/` when the reader shows them
/// (tools/mdbook-hidden-lines). Minified third-party scripts and the search index are left out
/// (the index holds the pages' own text).
fn text_files(html: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for ext in ["html", "css", "js"] {
        files.extend(files_with_extension(html, ext)?.into_iter().filter(|f| {
            let name = f.file_name().unwrap_or_default().to_string_lossy();
            !name.ends_with(".min.js") && !name.starts_with("searchindex")
        }));
    }
    let hidden_lines = html.join("hidden-lines");
    if hidden_lines.is_dir() {
        files.extend(files_with_extension(&hidden_lines, "txt")?);
    }
    files.sort();
    Ok(files)
}

/// The characters of a file, with HTML's numeric character references (`&#8594;`) decoded.
fn characters(file: &Path) -> Result<BTreeSet<char>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    Ok(characters_of(&text))
}

fn characters_of(text: &str) -> BTreeSet<char> {
    let mut found: BTreeSet<char> = text.chars().filter(|c| !c.is_control()).collect();
    for reference in text.split("&#").skip(1) {
        let Some((number, _)) = reference.split_once(';') else {
            continue;
        };
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => number.parse().ok(),
        };
        found.extend(code.and_then(char::from_u32).filter(|c| !c.is_control()));
    }
    found
}

/// The code points a font maps (its cmap, read by fonttools' ttx).
fn code_points(font: &Path) -> Result<BTreeSet<char>> {
    let xml = Cmd::new("ttx")
        .args(["-q", "-t", "cmap", "-o", "-"])
        .arg(font)
        .quiet()
        .timeout(Duration::from_secs(60))
        .read()?;
    let mut found = BTreeSet::new();
    for part in xml.split("<map code=\"0x").skip(1) {
        let hex = part.split('"').next().unwrap_or("");
        let code = u32::from_str_radix(hex, 16)
            .with_context(|| format!("ttx printed a code `{hex}` for {}", font.display()))?;
        found.extend(char::from_u32(code));
    }
    if found.is_empty() {
        bail!("{}: ttx found no character in its cmap", font.display());
    }
    Ok(found)
}

fn sha256(file: &Path) -> Result<String> {
    let out = Cmd::new("sha256sum")
        .arg(file)
        .quiet()
        .timeout(Duration::from_secs(30))
        .read()?;
    Ok(out.split_whitespace().next().unwrap_or("").to_string())
}

/// Code points as "20-7E A0 A9-AB" (hexadecimal, runs joined).
fn ranges(chars: &BTreeSet<char>) -> String {
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for code in chars.iter().map(|c| u32::from(*c)) {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == code => *end = code,
            _ => runs.push((code, code)),
        }
    }
    let words: Vec<String> = runs
        .iter()
        .map(|&(a, b)| {
            if a == b {
                format!("{a:X}")
            } else {
                format!("{a:X}-{b:X}")
            }
        })
        .collect();
    words.join(" ")
}

fn parse_ranges(text: &str) -> Result<BTreeSet<char>> {
    let mut found = BTreeSet::new();
    for word in text.split_whitespace() {
        let (a, b) = word.split_once('-').unwrap_or((word, word));
        let parse = |h: &str| {
            u32::from_str_radix(h, 16)
                .with_context(|| format!("{MANIFEST}: `{word}` is not a range"))
        };
        found.extend((parse(a)?..=parse(b)?).filter_map(char::from_u32));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_round_trip() {
        let chars: BTreeSet<char> = "abcxz→".chars().collect();
        assert_eq!(ranges(&chars), "61-63 78 7A 2192");
        assert_eq!(parse_ranges(&ranges(&chars)).unwrap(), chars);
    }

    #[test]
    fn reads_characters_and_numeric_references() {
        let found = characters_of("a&#8594;b&#x2014;\n");
        let expected: BTreeSet<char> = "a&#8594;bx2014→—".chars().collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn every_face_gets_a_font_display() {
        let css = fonts_css(
            "@font-face {\n  font-weight: 400;\n  src: url('{{ resource \"fonts/open-sans-v17-all-charsets-regular.woff2\" }}');\n}\n",
        );
        assert!(css.contains("font-weight: 400;\n  font-display: optional;\n"));
        assert!(css.contains("open-sans-v17-book-subset-regular.woff2"));
    }
}
