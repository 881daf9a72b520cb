//! A built chapter page read the way mdBook 0.5.4's search indexer reads the chapter: the text of
//! `<main>`, cut into one section per heading (h1 down to `heading-split-level`, when it has an
//! id), with a space for every element that opens, and `<script>` and `<style>` left out. Each
//! section's text comes twice: all of it (what mdBook indexed, which `crate::search_index` compares with
//! mdBook's own index, so a change in mdBook fails loudly instead of silently) and without what a
//! reader never sees twice or at all: the listings' hidden lines (`<span class="boring">`) and the
//! dark drawing of each diagram (`<svg class="diagram-dark">`, from tools/mdbook-diagrams; its
//! labels are the light drawing's, which keeps them once).
//!
//! The pages are mdBook's own serialization of its tree, so a small reader suffices: tags with
//! quoted attributes, comments, text escaped as `&lt;`, `&gt;` and `&amp;`. A declaration (`<!…>`)
//! or processing instruction (`<?…>`) holds no text for the indexer and is skipped; a CDATA
//! section, or a `<` that starts none of these, fails naming the page. mdBook adds newlines
//! around block elements when it writes a page; whitespace only ever meets the space an element
//! adds, and the indexer collapses runs of whitespace, so they change nothing.

use anyhow::{Result, bail};

/// One search document: a heading and the text under it, up to the next heading.
#[derive(Debug, Default, PartialEq)]
pub struct Section {
    /// The heading's id: the `#fragment` of the document's address ("" before any heading).
    pub id: String,
    pub heading: String,
    /// Every word mdBook indexed.
    pub all: String,
    /// The same without the hidden lines.
    pub visible: String,
    /// What mdBook 0.5.4's indexer pushes onto a document's breadcrumbs while reading this
    /// section: at the end of every heading down to the split level (with an id or not), the
    /// section's heading text as it stands then (`crate::search_chapters` builds the breadcrumbs).
    pub closed: Vec<String>,
}

/// The sections of one page, in order. `page` names the file in errors.
pub fn sections(page: &str, html: &str, split_level: u8) -> Result<Vec<Section>> {
    let (Some(start), Some(end)) = (html.find("<main>"), html.rfind("</main>")) else {
        bail!("{page} has no <main> element: mdBook's page layout changed");
    };
    let mut reader = Reader {
        sections: Vec::new(),
        current: Section::default(),
        in_heading: false,
        open: Vec::new(),
        hidden_from: None,
        split_level,
    };
    let mut rest = &html[start + "<main>".len()..end];
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<!--") {
            let Some(close) = after.find("-->") else {
                bail!("{page}: a comment in <main> is not closed");
            };
            rest = &after[close + 3..];
        } else if rest.starts_with("<![CDATA[") {
            bail!("{page}: a CDATA section in <main>, whose text this reader cannot place");
        } else if let Some(after) = rest.strip_prefix("<!").or_else(|| rest.strip_prefix("<?")) {
            let Some(close) = after.find('>') else {
                bail!("{page}: a `<!` or `<?` in <main> is not closed");
            };
            rest = &after[close + 1..];
        } else if let Some(after) = rest.strip_prefix("</") {
            let Some(close) = after.find('>') else {
                bail!("{page}: an end tag in <main> is not closed");
            };
            reader.close(after[..close].trim());
            rest = &after[close + 1..];
        } else if rest.starts_with('<') && rest[1..].starts_with(|c: char| c.is_ascii_alphabetic())
        {
            let tag_end = tag_end(rest)
                .ok_or_else(|| anyhow::anyhow!("{page}: a tag in <main> is not closed"))?;
            let tag = &rest[1..tag_end];
            rest = &rest[tag_end + 1..];
            let name_end = tag
                .find(|c: char| c.is_whitespace() || c == '/')
                .unwrap_or(tag.len());
            let name = tag[..name_end].to_ascii_lowercase();
            if name == "script" || name == "style" {
                // Left out with everything in them, as the indexer does.
                let closing = format!("</{name}");
                let Some(at) = rest.find(&closing) else {
                    bail!("{page}: a <{name}> in <main> is not closed");
                };
                let after = &rest[at..];
                rest = &after[after.find('>').map_or(after.len(), |i| i + 1)..];
                continue;
            }
            let self_closing = tag.ends_with('/');
            reader.open(&name, tag, self_closing || is_void(&name));
        } else if rest.starts_with('<') {
            let shown: String = rest.chars().take(12).collect();
            bail!("{page}: `{shown}` in <main> starts no tag, comment or declaration");
        } else {
            let text_end = rest.find('<').unwrap_or(rest.len());
            reader.text(&unescape(&rest[..text_end]));
            rest = &rest[text_end..];
        }
    }
    Ok(reader.finish())
}

struct Reader {
    sections: Vec<Section>,
    current: Section,
    in_heading: bool,
    /// Names of the open elements.
    open: Vec<String>,
    /// While inside a hidden line or a dark drawing: how many elements were open outside it.
    hidden_from: Option<usize>,
    split_level: u8,
}

impl Reader {
    fn heading_level(&self, name: &str) -> Option<u8> {
        let level = name.strip_prefix('h')?.parse::<u8>().ok()?;
        ((1..=6).contains(&level) && level <= self.split_level).then_some(level)
    }

    fn open(&mut self, name: &str, tag: &str, void: bool) {
        if self.heading_level(name).is_some()
            && let Some(id) = attribute(tag, "id")
        {
            if !self.current.heading.is_empty() {
                let done = std::mem::take(&mut self.current);
                self.sections.push(done);
            }
            self.current.id = id;
            self.in_heading = true;
        } else {
            self.text(" ");
        }
        if void {
            return;
        }
        let has_class = |class: &str| {
            attribute(tag, "class").is_some_and(|c| c.split_whitespace().any(|c| c == class))
        };
        if self.hidden_from.is_none()
            && ((name == "span" && has_class("boring"))
                || (name == "svg" && has_class("diagram-dark")))
        {
            self.hidden_from = Some(self.open.len());
        }
        self.open.push(name.to_string());
    }

    fn close(&mut self, name: &str) {
        let name = name.to_ascii_lowercase();
        if self.heading_level(&name).is_some() {
            self.in_heading = false;
            self.current.closed.push(self.current.heading.clone());
        }
        if let Some(at) = self.open.iter().rposition(|open| *open == name) {
            self.open.truncate(at);
        }
        if self
            .hidden_from
            .is_some_and(|depth| self.open.len() <= depth)
        {
            self.hidden_from = None;
        }
    }

    fn text(&mut self, text: &str) {
        if self.in_heading {
            self.current.heading.push_str(text);
        } else {
            self.current.all.push_str(text);
            if self.hidden_from.is_none() {
                self.current.visible.push_str(text);
            }
        }
    }

    fn finish(mut self) -> Vec<Section> {
        if !self.current.all.is_empty() || !self.current.heading.is_empty() {
            self.sections.push(self.current);
        }
        self.sections
    }
}

/// Where the tag that `html` starts with ends (its `>`), past quoted attribute values.
fn tag_end(html: &str) -> Option<usize> {
    let mut quote = None;
    for (at, c) in html.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(at),
            _ => {}
        }
    }
    None
}

/// The value of attribute `name` in a start tag's text (`h2 id="x" class="y"`), unescaped.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let pattern = format!(" {name}=\"");
    let start = tag.find(&pattern)? + pattern.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

/// Elements with no end tag, as mdBook writes them.
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

/// Undoes mdBook's escaping of text and attribute values.
fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#92;", "\\")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_sections_at_headings_and_leaves_hidden_lines_out_of_the_visible_text() {
        let html = "<html><main>\n<h1 id=\"top\"><a class=\"header\" href=\"#top\">Top</a></h1>\n\
            <p>Intro &amp; more</p>\n<pre><code><span class=\"boring\">fn main() {\n</span>    \
            poll();\n<span class=\"boring\">}\n</span></code></pre>\n<h4 id=\"deep\">Deep</h4>\n\
            <script>skip()</script><h2 id=\"next\">Next</h2>\n<p>after<br>br</p>\n</main></html>";
        let found = sections("page.html", html, 3).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].id, "top");
        assert_eq!(found[0].heading.trim(), "Top");
        assert!(found[0].all.contains("fn main() {"));
        assert!(!found[0].visible.contains("fn main"));
        assert!(found[0].visible.contains("poll();"));
        assert!(found[0].visible.contains("Intro & more"));
        // h4 is below the split level: its text stays in the section, as a space and text.
        assert!(found[0].visible.contains("Deep"));
        assert!(!found[0].all.contains("skip"));
        assert_eq!(found[1].id, "next");
        assert!(found[1].visible.contains("after br"));
    }

    #[test]
    fn indexes_a_diagram_s_labels_once_from_its_light_drawing() {
        let html = "<main><h1 id=\"a\">A</h1><div class=\"diagram mermaid-diagram\">\
            <svg id=\"d-light\" class=\"flowchart diagram-light\"><g><text>Waker</text></g></svg>\
            <svg id=\"d-dark\" class=\"flowchart diagram-dark\"><g><text>Waker</text></g></svg>\
            </div><p>after</p></main>";
        let found = sections("page.html", html, 3).unwrap();
        assert_eq!(found[0].visible.matches("Waker").count(), 1);
        assert!(found[0].visible.contains("after"));
        // mdBook indexed both drawings: the text compared with its index keeps them.
        assert_eq!(found[0].all.matches("Waker").count(), 2);
    }

    #[test]
    fn skips_declarations_and_fails_on_what_it_cannot_read() {
        let html = "<main><h1 id=\"a\">A</h1><!DOCTYPE html><?xml version=\"1.0\"?><p>b</p></main>";
        let found = within_30_s(html).unwrap();
        assert_eq!(found[0].all.split_whitespace().collect::<Vec<_>>(), ["b"]);
        for html in [
            "<main><h1 id=\"a\">A</h1><svg><![CDATA[ y ]]></svg></main>",
            "<main><p>a < b</p></main>",
            "<main><!DOCTYPE html</main>",
        ] {
            let error = within_30_s(html).unwrap_err().to_string();
            assert!(error.starts_with("p.html: "), "{error}");
        }
    }

    /// `sections` of `html`, on a thread, so a reader that loops fails the test instead of
    /// hanging it.
    fn within_30_s(html: &'static str) -> Result<Vec<Section>> {
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || send.send(sections("p.html", html, 3)));
        receive
            .recv_timeout(std::time::Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("reading {html:?} did not finish within 30 s"))
    }

    #[test]
    fn finds_the_end_of_a_tag_past_quoted_values() {
        assert_eq!(tag_end("<a title=\"x > y\">"), Some(16));
        assert_eq!(attribute(" id=\"a&amp;b\"", "id").as_deref(), Some("a&b"));
    }
}
