//! mdbook-print-page: an mdBook renderer that runs after the HTML one and takes the listings'
//! hidden lines out of its `print.html`.
//!
//! A chapter shows a listing through `{{#rustdoc_include file:anchor}}`: the rest of the file
//! comes along as hidden lines, `<span class="boring">…</span>`, for the Run button and the
//! "show hidden lines" toggle of the chapter's own page. print.html holds every chapter at once
//! and is only read and printed (the PDF is printed from a copy of it): nothing there runs or
//! shows those lines, yet they were two thirds of its bytes, which the browser had to parse
//! before the page could be used. The chapter pages keep them.
//!
//! book.toml runs it as `[output.print-page]` (`cargo xtask install-tools` installs it, as it
//! does every plugin of `tools/`); it reads the render context mdBook sends on stdin for where
//! the book is built. theme/print-page.js does the rest of print.html's diet in the page.

use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::path::Path;

const OPEN: &str = "<span class=\"boring\">";
const CLOSE: &str = "</span>";

fn main() {
    if let Err(error) = run() {
        eprintln!("mdbook-print-page: {error:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let context: Value = serde_json::from_reader(std::io::stdin().lock())
        .context("stdin is not an mdBook render context (this program is run by `mdbook build`)")?;
    if context["config"]["output"]["html"]["print"]["enable"] == Value::Bool(false) {
        return Ok(());
    }
    let destination = context["destination"]
        .as_str()
        .context("the render context has no destination")?;
    let page = Path::new(destination)
        .parent()
        .context("the renderer's folder has no parent")?
        .join("html/print.html");
    let html = std::fs::read_to_string(&page)
        .with_context(|| format!("cannot read {}", page.display()))?;
    let (trimmed, lines) = without_hidden_lines(&html)
        .with_context(|| format!("cannot take the hidden lines out of {}", page.display()))?;
    std::fs::write(&page, &trimmed).with_context(|| format!("cannot write {}", page.display()))?;
    eprintln!(
        "mdbook-print-page: print.html without its {lines} hidden lines: {} KB (mdBook wrote {} KB)",
        trimmed.len() / 1000,
        html.len() / 1000
    );
    Ok(())
}

/// `html` without its hidden lines, and how many there were. mdBook writes each as a span of
/// plain text (its markup is added later, in the browser, by highlight.js).
fn without_hidden_lines(html: &str) -> Result<(String, usize)> {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut lines = 0;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let inside = &rest[start + OPEN.len()..];
        let Some(end) = inside.find(CLOSE) else {
            bail!("a hidden line is not closed");
        };
        if inside[..end].contains('<') {
            bail!("a hidden line holds markup: {:?}", &inside[..end.min(80)]);
        }
        lines += 1;
        rest = &inside[end + CLOSE.len()..];
    }
    out.push_str(rest);
    Ok((out, lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_out_hidden_lines_and_keeps_the_rest() {
        let html = "<pre><code><span class=\"boring\">fn main() {\n</span>    go();\n<span class=\"boring\">}\n</span></code></pre>";
        let (out, lines) = without_hidden_lines(html).unwrap();
        assert_eq!(out, "<pre><code>    go();\n</code></pre>");
        assert_eq!(lines, 2);
    }

    #[test]
    fn refuses_a_hidden_line_with_markup() {
        assert!(without_hidden_lines("<span class=\"boring\"><b>x</b></span>").is_err());
    }
}
