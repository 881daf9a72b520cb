//! print.html without the listings' hidden lines.
//!
//! A chapter shows a listing through `{{#rustdoc_include file:anchor}}`: the rest of the file
//! comes along as hidden lines, `<span class="boring">…</span>`, for the Run button and the
//! "show hidden lines" toggle of the chapter's own page. print.html holds every chapter at once
//! and is only read and printed (the PDF is printed from a copy of it): nothing there runs or
//! shows those lines, yet they were two thirds of its bytes, which the browser had to parse
//! before the page could be used. With tools/mdbook-hidden-lines installed the pages carry no
//! hidden lines at all (they are fetched when a reader needs them, which nobody does on
//! print.html), and this job becomes a check: a hidden line left in print.html then fails the
//! build. theme/print-page.js does the rest of print.html's diet in the page.

use crate::pages::Page;
use anyhow::{Context, Result, bail};

const OPEN: &str = "<span class=\"boring\">";
const CLOSE: &str = "</span>";

/// Takes the hidden lines out of `page` (print.html) and says how many there were. With
/// `fetched_on_demand` (the hidden-lines preprocessor ran), any there are an error; the empty
/// `<span class="boring"></span>` that preprocessor leaves in each block it emptied (the marker
/// that makes book.js add the "show hidden lines" button) is taken out without a word: print.html
/// shows and fetches no hidden lines.
pub fn finish(page: &mut Page, fetched_on_demand: bool) -> Result<usize> {
    let (trimmed, lines) = without_hidden_lines(&page.html)
        .with_context(|| format!("cannot take the hidden lines out of {}", page.name))?;
    if fetched_on_demand && lines > 0 {
        bail!(
            "{} holds {lines} hidden lines although tools/mdbook-hidden-lines took them out of the \
             chapters: which block did it miss?",
            page.name
        );
    }
    page.set(trimmed);
    Ok(lines)
}

/// `html` without its hidden lines, and how many there were (empty markers not counted). mdBook
/// writes each as a span of plain text (its markup is added later, in the browser, by
/// highlight.js).
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
        lines += usize::from(end > 0);
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
    fn takes_out_empty_markers_and_fails_on_hidden_lines_when_they_are_fetched_on_demand() {
        let page = |html: &str| Page {
            name: "print.html".to_string(),
            path: "print.html".into(),
            html: html.to_string(),
            changed: false,
        };
        let mut marked = page("<code>go();\n<span class=\"boring\"></span></code>");
        assert_eq!(finish(&mut marked, true).unwrap(), 0);
        assert_eq!(marked.html, "<code>go();\n</code>");
        assert!(marked.changed);
        let mut missed = page("<code><span class=\"boring\">use x;\n</span>go();</code>");
        let error = finish(&mut missed, true).unwrap_err().to_string();
        assert!(
            error.starts_with("print.html holds 1 hidden lines"),
            "{error}"
        );
        assert_eq!(finish(&mut missed, false).unwrap(), 1);
        assert_eq!(missed.html, "<code>go();</code>");
    }

    #[test]
    fn refuses_a_hidden_line_with_markup() {
        assert!(without_hidden_lines("<span class=\"boring\"><b>x</b></span>").is_err());
    }
}
