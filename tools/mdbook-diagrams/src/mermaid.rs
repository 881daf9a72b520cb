//! mermaid's diagrams, as mdbook-mermaid leaves them (`<pre class="mermaid">` and the escaped
//! text), replaced by finished drawings: one in mermaid's "default" theme for mdBook's light
//! themes and one in its "dark" theme, of which theme/book.css shows the one the page's theme
//! needs.

use crate::draw::first_line;

pub const OPENING: &str = "<pre class=\"mermaid\">";

/// The two drawings of each diagram: (mermaid's theme, the class that shows it).
pub const VARIANTS: [(&str, &str); 2] = [("default", "light"), ("dark", "dark")];

/// The id draw.js gives each drawing, replaced by one for each place the diagram appears.
const PLACEHOLDER: &str = "MERMAIDID";

/// The diagram's text, if this HTML block of a chapter is one of mdbook-mermaid's.
pub fn source(block: &str) -> Option<String> {
    let body = block.strip_prefix(OPENING)?;
    let end = body.rfind("</pre>")?;
    Some(html_escape::decode_html_entities(&body[..end]).into_owned())
}

/// The HTML of one diagram: its drawings (in [`VARIANTS`] order), with ids that start with
/// `id` and so differ from every other diagram's on the same page.
pub fn figure(id: &str, drawings: &[String]) -> String {
    let mut html = String::from("<div class=\"diagram mermaid-diagram\" tabindex=\"0\">");
    for ((_, variant), svg) in VARIANTS.iter().zip(drawings) {
        html.push_str(&svg.replace(PLACEHOLDER, &format!("{id}-{variant}")));
    }
    html.push_str("</div>");
    // A blank line would end the HTML block early, and Markdown would take the rest as text.
    let mut lines: Vec<&str> = html.lines().filter(|l| !l.trim().is_empty()).collect();
    lines.push("");
    lines.push("");
    lines.join("\n")
}

/// How a diagram is named in an error: the first line of its text.
pub fn describe(source: &str) -> String {
    format!("the diagram that begins `{}`", first_line(source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_text_mdbook_mermaid_escaped() {
        let block =
            "<pre class=\"mermaid\">graph TD\nA --&gt; B[&quot;a &amp; b&quot;]\n</pre>\n\n";
        assert_eq!(
            source(block).as_deref(),
            Some("graph TD\nA --> B[\"a & b\"]\n")
        );
        assert_eq!(source("<pre>graph TD</pre>"), None);
    }

    #[test]
    fn each_place_gets_its_own_ids_and_no_blank_line() {
        let drawings = [
            "<svg id=\"MERMAIDID\"><g id=\"MERMAIDID-0\"/>\n\n<style>#MERMAIDID{}</style></svg>"
                .to_string(),
            "<svg id=\"MERMAIDID\"></svg>".to_string(),
        ];
        let html = figure("mermaid-ch01-1", &drawings);
        assert!(html.contains("id=\"mermaid-ch01-1-light\""));
        assert!(html.contains("id=\"mermaid-ch01-1-light-0\""));
        assert!(html.contains("#mermaid-ch01-1-light{}"));
        assert!(html.contains("id=\"mermaid-ch01-1-dark\""));
        assert!(!html.contains("MERMAIDID"));
        assert!(!html.trim_end().contains("\n\n"));
        assert!(html.ends_with("</div>\n\n"));
    }
}
