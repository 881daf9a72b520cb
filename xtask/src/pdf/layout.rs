//! The printed pages as poppler reads them back (`pdftotext -bbox-layout`): each page's size,
//! its lines and their words, with positions in points from the top left corner.

use crate::cmd::Cmd;
use anyhow::Result;
use regex::Regex;
use std::path::Path;
use std::sync::LazyLock;

pub struct Page {
    pub width: f64,
    pub height: f64,
    pub lines: Vec<Line>,
}

pub struct Line {
    pub top: f64,
    pub words: Vec<Word>,
}

pub struct Word {
    pub left: f64,
    pub right: f64,
    /// The word's text, with the XML escapes undone.
    pub text: String,
}

impl Line {
    /// The words, one space apart.
    pub fn text(&self) -> String {
        let words: Vec<&str> = self.words.iter().map(|w| w.text.as_str()).collect();
        words.join(" ")
    }
}

pub fn read(pdf: &Path) -> Result<Vec<Page>> {
    let layout = Cmd::new("pdftotext")
        .arg("-bbox-layout")
        .arg(pdf)
        .arg("-")
        .quiet()
        .read()?;
    Ok(parse(&layout))
}

/// pdftotext writes one element per row: `<page …>`, `<line …>`, `<word …>text</word>`. Plain
/// string search rather than a pattern per row keeps a 450-page book well under a second.
pub fn parse(layout: &str) -> Vec<Page> {
    let mut pages: Vec<Page> = Vec::new();
    for row in layout.lines().map(str::trim_start) {
        if row.starts_with("<word ") {
            let Some(line) = pages.last_mut().and_then(|p| p.lines.last_mut()) else {
                continue;
            };
            let text = row
                .split_once('>')
                .and_then(|(_, rest)| rest.strip_suffix("</word>"))
                .unwrap_or("");
            line.words.push(Word {
                left: attribute(row, " xMin=\""),
                right: attribute(row, " xMax=\""),
                text: unescape(text),
            });
        } else if row.starts_with("<line ") {
            if let Some(page) = pages.last_mut() {
                page.lines.push(Line {
                    top: attribute(row, " yMin=\""),
                    words: Vec::new(),
                });
            }
        } else if row.starts_with("<page ") {
            pages.push(Page {
                width: attribute(row, " width=\""),
                height: attribute(row, " height=\""),
                lines: Vec::new(),
            });
        }
    }
    pages
}

/// A number attribute of the element `row` starts with, `key` being ` name="` (0 if it has none).
fn attribute(row: &str, key: &str) -> f64 {
    let tag = row.split_once('>').map_or(row, |(tag, _)| tag);
    tag.split_once(key)
        .and_then(|(_, rest)| rest.split_once('"'))
        .and_then(|(value, _)| value.parse().ok())
        .unwrap_or(0.0)
}

/// Undoes HTML and XML escapes (`&amp;`, `&#39;`, `&#x27;`…).
pub fn unescape(text: &str) -> String {
    static ENTITY: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"&(#x[0-9A-Fa-f]+|#[0-9]+|[a-z]+);").expect("pattern"));
    if !text.contains('&') {
        return text.to_string();
    }
    ENTITY
        .replace_all(text, |c: &regex::Captures| {
            let name = &c[1];
            let code = if let Some(hex) = name.strip_prefix("#x") {
                u32::from_str_radix(hex, 16).ok()
            } else if let Some(decimal) = name.strip_prefix('#') {
                decimal.parse().ok()
            } else {
                match name {
                    "amp" => Some('&' as u32),
                    "lt" => Some('<' as u32),
                    "gt" => Some('>' as u32),
                    "quot" => Some('"' as u32),
                    "apos" => Some('\'' as u32),
                    "nbsp" => Some(' ' as u32),
                    _ => None,
                }
            };
            code.and_then(char::from_u32)
                .map_or_else(|| c[0].to_string(), |ch| ch.to_string())
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pages_lines_and_words() {
        let layout = r#"<doc>
  <page width="594.96" height="841.92">
    <flow>
      <block xMin="59.0" yMin="700.5" xMax="300.0" yMax="716.8">
        <line xMin="59.0" yMin="700.5" xMax="300.0" yMax="716.8">
          <word xMin="59.0" yMin="700.5" xMax="80.25" yMax="716.8">Pin&lt;&amp;mut</word>
          <word xMin="83.0" yMin="700.5" xMax="95.5" yMax="716.8">T&gt;</word>
        </line>
      </block>
    </flow>
  </page>
  <page width="594.96" height="841.92">
  </page>
</doc>"#;
        let pages = parse(layout);
        assert_eq!(pages.len(), 2);
        let page = &pages[0];
        assert_eq!((page.width, page.height), (594.96, 841.92));
        assert_eq!(page.lines.len(), 1);
        assert_eq!(page.lines[0].top, 700.5);
        assert_eq!(page.lines[0].text(), "Pin<&mut T>");
        let word = &page.lines[0].words[0];
        assert_eq!((word.left, word.right), (59.0, 80.25));
        assert!(pages[1].lines.is_empty());
    }

    #[test]
    fn undoes_escapes() {
        assert_eq!(
            unescape("&quot;a&#39;b&#x27;&quot; &apos; &bogus;"),
            "\"a'b'\" ' &bogus;"
        );
    }
}
