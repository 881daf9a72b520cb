//! mermaid's diagrams, as mdbook-mermaid leaves them (`<pre class="mermaid">` and the escaped
//! text), replaced by finished drawings: mermaid draws each in its "default" theme for mdBook's
//! light themes and in its "dark" theme, and the figure holds one drawing whose colours follow
//! the page's theme (themes.rs), or, where the two differ in more than colour, both, of which
//! theme/book.css shows the one the page's theme needs.

use crate::draw::first_line;
use crate::themes::Drawing;

pub const OPENING: &str = "<pre class=\"mermaid\">";

/// mermaid's themes for mdBook's light themes and for its dark ones.
pub const THEMES: [&str; 2] = ["default", "dark"];

/// The id draw.js gives each drawing, replaced by one for each place the diagram appears.
pub const PLACEHOLDER: &str = "MERMAIDID";

/// The diagram's text, if this HTML block of a chapter is one of mdbook-mermaid's.
pub fn source(block: &str) -> Option<String> {
    let body = block.strip_prefix(OPENING)?;
    let end = body.rfind("</pre>")?;
    Some(html_escape::decode_html_entities(&body[..end]).into_owned())
}

/// The HTML of one diagram, with ids that start with `id` and so differ from every other
/// diagram's on the same page. Two drawings get the classes `diagram-light` and `diagram-dark`,
/// by which theme/book.css shows one.
pub fn figure(id: &str, drawing: &Drawing) -> String {
    let mut html = String::from("<div class=\"diagram mermaid-diagram\" tabindex=\"0\">");
    match drawing {
        Drawing::One(svg) => html.push_str(&svg.replace(PLACEHOLDER, id)),
        Drawing::Two { light, dark, .. } => {
            for (variant, svg) in [("light", light), ("dark", dark)] {
                let svg = with_class(svg, &format!("diagram-{variant}"));
                html.push_str(&svg.replace(PLACEHOLDER, &format!("{id}-{variant}")));
            }
        }
    }
    html.push_str("</div>");
    // A blank line would end the HTML block early, and Markdown would take the rest as text.
    let mut lines: Vec<&str> = html.lines().filter(|l| !l.trim().is_empty()).collect();
    lines.push("");
    lines.push("");
    lines.join("\n")
}

/// `svg` with `class` added to its root element's classes.
fn with_class(svg: &str, class: &str) -> String {
    let tag_end = svg.find('>').unwrap_or(svg.len());
    let tag_end = tag_end - usize::from(svg[..tag_end].ends_with('/'));
    // In Chromium's serialization a `"` inside a value is written `&quot;`: ` class="` is the
    // attribute.
    match svg[..tag_end].find(" class=\"") {
        Some(at) => {
            let value = at + " class=\"".len();
            let end = value + svg[value..].find('"').unwrap_or(0);
            format!("{} {class}{}", &svg[..end], &svg[end..])
        }
        None => format!("{} class=\"{class}\"{}", &svg[..tag_end], &svg[tag_end..]),
    }
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
        let svg =
            "<svg id=\"MERMAIDID\"><g id=\"MERMAIDID-0\"/>\n\n<style>#MERMAIDID{}</style></svg>";
        let html = figure("mermaid-ch01-1", &Drawing::One(svg.to_string()));
        assert_eq!(
            html,
            "<div class=\"diagram mermaid-diagram\" tabindex=\"0\"><svg id=\"mermaid-ch01-1\"><g id=\"mermaid-ch01-1-0\"/>\n\
             <style>#mermaid-ch01-1{}</style></svg></div>\n\n"
        );
        let two = Drawing::Two {
            light: svg.to_string(),
            dark: "<svg class=\"flowchart\" id=\"MERMAIDID\"></svg>".to_string(),
            why: String::new(),
        };
        let html = figure("mermaid-ch01-1", &two);
        assert!(
            html.contains("<svg id=\"mermaid-ch01-1-light\" class=\"diagram-light\">"),
            "{html}"
        );
        assert!(html.contains("id=\"mermaid-ch01-1-light-0\""));
        assert!(html.contains("#mermaid-ch01-1-light{}"));
        assert!(
            html.contains("<svg class=\"flowchart diagram-dark\" id=\"mermaid-ch01-1-dark\">"),
            "{html}"
        );
        assert!(!html.contains("MERMAIDID"));
        assert!(!html.trim_end().contains("\n\n"));
        assert!(html.ends_with("</div>\n\n"));
    }
}
