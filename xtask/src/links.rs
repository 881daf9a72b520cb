//! Checks the built HTML for links whose `#fragment` names no element on the target page.
//! (mdbook-linkcheck2 checks that linked files exist, but not fragments.)

use crate::files::files_with_extension;
use anyhow::{Context, Result, bail};
use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

pub fn check_fragments(html_dir: &Path) -> Result<()> {
    let href = Regex::new(r#"href="([^"]*)""#).expect("pattern");
    let pages = files_with_extension(html_dir, "html")?;
    let mut ids: HashMap<PathBuf, HashSet<String>> = HashMap::new();
    let mut problems = Vec::new();
    let mut checked = 0;
    for page in &pages {
        let text = std::fs::read_to_string(page)?;
        for capture in href.captures_iter(&text) {
            let link = decode(&capture[1]);
            let Some((path, fragment)) = link.split_once('#') else {
                continue;
            };
            if fragment.is_empty() || path.contains("://") || path.starts_with("mailto:") {
                continue;
            }
            let target = if path.is_empty() {
                page.clone()
            } else {
                normalize(&page.parent().unwrap_or(html_dir).join(path))
            };
            if !target.exists() {
                problems.push(format!(
                    "{}: link to {link}: no such page",
                    display(html_dir, page)
                ));
                continue;
            }
            let known = match ids.get(&target) {
                Some(known) => known,
                None => {
                    let found = ids_in(&target)?;
                    ids.entry(target.clone()).or_insert(found)
                }
            };
            checked += 1;
            if !known.contains(fragment) {
                problems.push(format!(
                    "{}: link to {link}: {} has no element with id \"{fragment}\"",
                    display(html_dir, page),
                    display(html_dir, &target)
                ));
            }
        }
    }
    if !problems.is_empty() {
        problems.sort();
        problems.dedup();
        bail!("broken links in the built book:\n{}", problems.join("\n"));
    }
    eprintln!(
        "{checked} #fragment links in {} pages all resolve",
        pages.len()
    );
    Ok(())
}

fn ids_in(page: &Path) -> Result<HashSet<String>> {
    let id = Regex::new(r#"\b(?:id|name)="([^"]+)""#).expect("pattern");
    let text =
        std::fs::read_to_string(page).with_context(|| format!("cannot read {}", page.display()))?;
    Ok(id.captures_iter(&text).map(|c| decode(&c[1])).collect())
}

/// Undoes the HTML and URL escapes that can appear in an attribute.
fn decode(text: &str) -> String {
    let text = text.replace("&amp;", "&").replace("&quot;", "\"");
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Resolves `.` and `..` without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// A built page's name, with the chapter it was made from where there is one.
fn display(base: &Path, path: &Path) -> String {
    let page = path.strip_prefix(base).unwrap_or(path);
    let source = Path::new("src").join(page.with_extension("md"));
    let book_root = base.parent().and_then(Path::parent).unwrap_or(base);
    if book_root.join(&source).exists() {
        format!("{} (from {})", page.display(), source.display())
    } else {
        page.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes() {
        assert_eq!(decode("a%20b&amp;c"), "a b&c");
        assert_eq!(decode("%E7%BA%BF"), "线");
    }

    #[test]
    fn finds_a_broken_fragment() {
        let dir = std::env::temp_dir().join(format!("links-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.html"), r#"<a href="b.html#here">x</a>"#).unwrap();
        std::fs::write(dir.join("b.html"), r#"<h2 id="here">x</h2>"#).unwrap();
        assert!(check_fragments(&dir).is_ok());
        std::fs::write(dir.join("a.html"), r#"<a href="b.html#gone">x</a>"#).unwrap();
        let error = check_fragments(&dir).unwrap_err().to_string();
        assert!(error.contains("a.html: link to b.html#gone"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
