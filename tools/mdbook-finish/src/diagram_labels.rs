//! Mermaid's labels as mermaid drew them. tools/mdbook-diagrams puts each drawing into the
//! chapter as mermaid.js wrote it; a label there is HTML inside the SVG's `<foreignObject>`
//! (`<div …><span class="nodeLabel"><p>text</p></span></div>`), with no line break between its
//! tags. mdBook's html renderer writes the page's HTML out again and puts a line break after
//! `<foreignobject>` and around its `<div>` and `<p>`: inside a label, whose style keeps white
//! space (`white-space: break-spaces`), such a break is a line of its own, so a label grew a line
//! and covered an arrow or ran out of its box (seen on four of the book's diagrams). Every line
//! break that stands alone between two tags inside a `<foreignobject>` is taken out here, which
//! gives back mermaid's own markup; text inside the tags is left as it is.

use crate::pages::Page;
use anyhow::{Result, bail};

const OPEN: &str = "<foreignobject";
const CLOSE: &str = "</foreignobject>";

/// Takes the renderer's line breaks out of the page's labels; returns how many.
pub fn finish(page: &mut Page) -> Result<usize> {
    if !page.html.contains(OPEN) {
        return Ok(0);
    }
    let (html, taken) = tighten(&page.html).map_err(|e| anyhow::anyhow!("{}: {e}", page.name))?;
    page.set(html);
    Ok(taken)
}

fn tighten(html: &str) -> Result<(String, usize)> {
    let mut out = String::with_capacity(html.len());
    let mut taken = 0;
    let mut rest = html;
    while let Some(start) = rest.find(OPEN) {
        let Some(length) = rest[start..].find(CLOSE) else {
            bail!("a <foreignobject> element is never closed");
        };
        let end = start + length + CLOSE.len();
        out.push_str(&rest[..start]);
        let label = &rest[start..end];
        taken += label.matches(">\n<").count();
        out.push_str(&label.replace(">\n<", "><"));
        rest = &rest[end..];
    }
    out.push_str(rest);
    Ok((out, taken))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_renderers_line_breaks_leave_the_label() {
        // As mdBook 0.5.4 wrote a label of ch03's second diagram.
        let page = "<g><foreignobject height=\"24\" width=\"82.125\">\n<div class=\"labelBkg\"><span class=\"edgeLabel\">\n<p>20 degrees</p>\n</span></div>\n</foreignobject></g>\n<p>after</p>\n";
        let (html, taken) = tighten(page).unwrap();
        assert_eq!(
            html,
            "<g><foreignobject height=\"24\" width=\"82.125\"><div class=\"labelBkg\"><span class=\"edgeLabel\"><p>20 degrees</p></span></div></foreignobject></g>\n<p>after</p>\n"
        );
        assert_eq!(taken, 4);
    }

    #[test]
    fn text_and_the_rest_of_the_page_are_left_alone() {
        let page = "<p>a\n<b>b</b>\n</p><foreignobject><p>two\nlines</p> <i>x</i></foreignobject>";
        assert_eq!(tighten(page).unwrap(), (page.to_string(), 0));
    }

    #[test]
    fn an_unclosed_label_is_refused() {
        let error = tighten("<foreignobject>\n<p>x</p>")
            .unwrap_err()
            .to_string();
        assert!(error.contains("never closed"), "{error}");
    }
}
