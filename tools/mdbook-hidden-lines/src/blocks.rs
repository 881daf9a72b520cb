//! A chapter's Rust blocks with hidden lines, rewritten as the page will show them before a
//! reader asks for the rest: finished HTML holding the visible lines only.

use crate::mdbook_rules::{self, Line};
use anyhow::{Result, bail};
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use std::ops::Range;

/// How the html renderer treats blocks, from book.toml.
pub struct Settings {
    /// `output.html.playground.runnable`.
    pub runnable: bool,
    /// The class mdBook adds to a playground block without one (`edition2024`), from `rust.edition`.
    pub edition: Option<String>,
}

/// One block whose hidden lines leave the page.
#[derive(Debug)]
pub struct Rewrite {
    /// The whole fenced block in the chapter's Markdown, fences included (not the newline after).
    pub range: Range<usize>,
    /// Every line as mdBook renders it with all of them shown: what the shared file holds.
    pub lines: Vec<Line>,
    /// The `<code>` element's classes, as mdBook would write them.
    pub classes: Vec<String>,
    pub playground: bool,
}

/// The Rust blocks of `markdown` that have hidden lines. A block of another language that asks
/// mdBook to hide lines (`hidelines=`) is refused: this book has none, and they are not handled.
pub fn find(markdown: &str, settings: &Settings) -> Result<Vec<Rewrite>> {
    let mut found = Vec::new();
    let mut open: Option<(Range<usize>, Vec<String>, String)> = None;
    for (event, range) in Parser::new_ext(markdown, Options::all()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                open = Some((range, mdbook_rules::classes(&info), String::new()));
            }
            Event::Text(text) => {
                if let Some((_, _, code)) = open.as_mut() {
                    code.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                let Some((range, classes, code)) = open.take() else {
                    continue;
                };
                if let Some(rewrite) = block(range, classes, &code, settings)? {
                    found.push(rewrite);
                }
            }
            _ => {}
        }
    }
    Ok(found)
}

fn block(
    range: Range<usize>,
    mut classes: Vec<String>,
    code: &str,
    settings: &Settings,
) -> Result<Option<Rewrite>> {
    if classes.first().map(String::as_str) != Some("language-rust") {
        if let Some(class) = classes.iter().find(|c| c.starts_with("hidelines=")) {
            bail!(
                "a non-Rust block asks mdBook to hide lines ({class}); mdbook-hidden-lines handles Rust blocks only"
            );
        }
        return Ok(None);
    }
    let playground = mdbook_rules::is_playground(&classes, settings.runnable);
    let wrapped = playground.then(|| mdbook_rules::wrap_main(code)).flatten();
    let lines = mdbook_rules::lines(wrapped.as_deref().unwrap_or(code));
    if !lines.iter().any(|line| line.hidden) {
        return Ok(None);
    }
    if playground
        && !classes.iter().any(|c| c.starts_with("edition"))
        && let Some(edition) = &settings.edition
    {
        classes.push(edition.clone());
    }
    Ok(Some(Rewrite {
        range,
        lines,
        classes,
        playground,
    }))
}

impl Rewrite {
    /// The shared file's text: every line, joined by newlines (mdBook gives the last none).
    pub fn full_text(&self) -> String {
        let texts: Vec<&str> = self.lines.iter().map(|line| line.text.as_str()).collect();
        texts.join("\n")
    }

    /// The hidden lines as `first-last` ranges (0-based, inclusive), joined by `_`.
    pub fn hidden_ranges(&self) -> String {
        let mut ranges: Vec<String> = Vec::new();
        let mut start = None;
        for (index, line) in self.lines.iter().enumerate() {
            match (line.hidden, start) {
                (true, None) => start = Some(index),
                (false, Some(first)) => {
                    ranges.push(format!("{first}-{}", index - 1));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(first) = start {
            ranges.push(format!("{first}-{}", self.lines.len() - 1));
        }
        ranges.join("_")
    }

    /// The block as one line of HTML (so that it stays one HTML block inside a list item or a
    /// quote): the visible lines, each with the newline mdBook gives it, and an empty hidden line
    /// at the end, which makes mdBook's book.js add the "show hidden lines" button and leaves the
    /// text a reader sees and copies as it was. `<code>` has two children, so mdBook's html
    /// renderer leaves it alone (it wraps and hides lines only in a `<code>` holding one text).
    pub fn html(&self, file: &str) -> String {
        let last = self.lines.len() - 1;
        let mut visible = String::new();
        for (index, line) in self.lines.iter().enumerate() {
            if !line.hidden {
                visible.push_str(&line.text);
                if index != last {
                    visible.push('\n');
                }
            }
        }
        let escaped = html_escape::encode_text(&visible).replace('\n', "&#10;");
        let pre = if self.playground {
            "<pre class=\"playground\">"
        } else {
            "<pre>"
        };
        format!(
            "{pre}<code class=\"{} hidden-lines={file}:{}:{}\">{escaped}<span class=\"boring\"></span></code></pre>",
            self.classes.join(" "),
            self.lines.len(),
            self.hidden_ranges(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            runnable: true,
            edition: Some("edition2024".into()),
        }
    }

    #[test]
    fn finds_rust_blocks_with_hidden_lines_only() {
        let md = "a\n\n```rust\n# use x;\nfn main() {}\n```\n\n```rust\nfn main() {}\n```\n\n```text\n# x\n```\n";
        let found = find(md, &settings()).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            &md[found[0].range.clone()],
            "```rust\n# use x;\nfn main() {}\n```"
        );
        assert_eq!(found[0].full_text(), "use x;\nfn main() {}");
        assert_eq!(found[0].hidden_ranges(), "0-0");
        assert_eq!(
            found[0].html("f.txt"),
            "<pre class=\"playground\"><code class=\"language-rust edition2024 hidden-lines=f.txt:2:0-0\">fn main() {}<span class=\"boring\"></span></code></pre>"
        );
    }

    #[test]
    fn adds_mdbooks_main_wrapper_and_keeps_ignore_blocks_unwrapped() {
        let md = "```rust\n# use x;\nlet a = 1 < 2;\n```\n\n```rust,ignore\n# use x;\ngo();\n```\n";
        let found = find(md, &settings()).unwrap();
        assert_eq!(
            found[0].full_text(),
            "#![allow(unused)]\nfn main() {\nuse x;\nlet a = 1 < 2;\n}"
        );
        assert_eq!(found[0].hidden_ranges(), "0-2_4-4");
        assert!(
            found[0]
                .html("f.txt")
                .contains(">let a = 1 &lt; 2;&#10;<span")
        );
        assert_eq!(found[1].full_text(), "use x;\ngo();");
        assert_eq!(
            found[1].html("g.txt"),
            "<pre><code class=\"language-rust ignore hidden-lines=g.txt:2:0-0\">go();<span class=\"boring\"></span></code></pre>"
        );
    }

    #[test]
    fn reads_blocks_inside_quotes_and_lists() {
        let md = "> ```rust\n> # use x;\n> fn main() {}\n> ```\n\n- item\n\n  ```rust\n  # use y;\n  fn main() {}\n  ```\n";
        let found = find(md, &settings()).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].full_text(), "use x;\nfn main() {}");
        assert_eq!(found[1].full_text(), "use y;\nfn main() {}");
    }

    #[test]
    fn refuses_hidelines_in_other_languages() {
        assert!(find("```python,hidelines=!!!\n!!!x\n```\n", &settings()).is_err());
    }
}
