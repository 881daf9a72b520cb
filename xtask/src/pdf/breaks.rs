//! Page breaks in the printed PDF: no listing caption and no heading may be the last text of a
//! page while what it introduces starts the next one. `theme/pdf.css` asks Chromium to keep them
//! with what follows; this module reads the printed pages back (`pdftotext -bbox-layout`) to
//! prove that it did.
//!
//! The captions and headings are known from `print.html`. Text is compared without white space,
//! because the PDF breaks lines where the HTML does not.

use super::layout::{Line, Page, unescape};

/// The text of every listing caption and chapter heading, as printed.
pub struct Marks {
    captions: Vec<String>,
    headings: Vec<String>,
}

impl Marks {
    /// Reads the captions (`<span class="caption">`) and headings inside `print.html`'s `<main>`
    /// (the page's own chrome, such as the keyboard-shortcuts dialog, is not printed).
    pub fn from_print_html(html: &str) -> Self {
        let main = match (html.find("<main>"), html.rfind("</main>")) {
            (Some(start), Some(end)) if start < end => &html[start..end],
            _ => html,
        };
        let texts = |open: &str, close: &str| -> Vec<String> {
            elements(main, open, close)
                .map(|element| squeeze(&without_tags(element)))
                .filter(|text| !text.is_empty())
                .collect()
        };
        let headings =
            (1..=6).flat_map(|level| texts(&format!("<h{level}"), &format!("</h{level}>")));
        Marks {
            captions: texts("<span class=\"caption\"", "</span>"),
            headings: headings.collect(),
        }
    }

    /// Whether `tail` (the squeezed text at the foot of a page) is nothing but captions and
    /// headings: whole ones, and perhaps the first lines of a caption that the page break cut.
    /// A cut caption must show at least its label ("Listing 6-2:"), so that a line of prose
    /// that merely ends in "Listing" is not taken for one.
    fn only_marks(&self, tail: &str) -> bool {
        if tail.is_empty() {
            return false;
        }
        let whole_then_more = |mark: &String| {
            tail == mark.as_str()
                || tail
                    .strip_prefix(mark.as_str())
                    .is_some_and(|rest| self.only_marks(rest))
        };
        let cut_caption = |caption: &String| {
            let label = caption.find(':').map_or(caption.len(), |colon| colon + 1);
            tail.len() > label && caption.starts_with(tail)
        };
        self.headings.iter().any(whole_then_more)
            || self
                .captions
                .iter()
                .any(|c| whole_then_more(c) || cut_caption(c))
    }
}

/// A page that ends with a caption or heading: its number (from 1) and the stranded text.
#[derive(Debug, PartialEq)]
pub struct Stranded {
    pub page: usize,
    pub text: String,
}

/// The printed bottom margin (20 mm in `theme/pdf.css`) holds only the page number.
const FOOTER_POINTS: f64 = 56.0;
/// A heading and a caption wrapped over three lines is the most that can be stranded together.
const TAIL_LINES: usize = 8;

/// Every page whose last lines of text, above the page number, are only captions and headings.
pub fn stranded(pages: &[Page], marks: &Marks) -> Vec<Stranded> {
    let mut found = Vec::new();
    for (index, page) in pages.iter().enumerate() {
        let mut lines: Vec<&Line> = page
            .lines
            .iter()
            .filter(|l| l.top < page.height - FOOTER_POINTS)
            .collect();
        lines.sort_by(|a, b| a.top.total_cmp(&b.top));
        let tail = &lines[lines.len().saturating_sub(TAIL_LINES)..];
        let squeezed: Vec<String> = tail
            .iter()
            .map(|l| {
                l.words
                    .iter()
                    .map(|w| w.text.split_whitespace().collect::<String>())
                    .collect()
            })
            .collect();
        let start = (0..tail.len()).find(|&start| marks.only_marks(&squeezed[start..].concat()));
        if let Some(start) = start {
            let text: Vec<String> = tail[start..].iter().map(|l| l.text()).collect();
            found.push(Stranded {
                page: index + 1,
                text: text.join(" "),
            });
        }
    }
    found
}

/// Every element of `html` that starts with `open` (followed by `>` or a space, so that `<h1`
/// is not `<h10`) and ends with `close`, the tags included. Plain string search: a pattern
/// would take a second on a debug build of xtask.
fn elements<'a>(html: &'a str, open: &'a str, close: &'a str) -> impl Iterator<Item = &'a str> {
    let mut rest = html;
    std::iter::from_fn(move || {
        loop {
            let start = rest.find(open)?;
            let after = &rest[start + open.len()..];
            if !after.starts_with([' ', '>']) {
                rest = after;
                continue;
            }
            let end = after.find(close)?;
            let element = &rest[start..start + open.len() + end + close.len()];
            rest = &after[end + close.len()..];
            return Some(element);
        }
    })
}

/// The text of an HTML fragment: everything outside `<…>`.
fn without_tags(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// HTML text without white space, with its escapes undone.
fn squeeze(text: &str) -> String {
    unescape(text).split_whitespace().collect()
}

#[cfg(test)]
mod tests {
    use super::super::layout::parse;
    use super::*;

    const HTML: &str = r#"<h2>Keyboard shortcuts</h2><main>
<h1 id="ch"><a class="header" href="&#35;ch">The <code>Waker</code></a></h1>
<h2>Summary</h2>
<p><span class="caption" id="listing-6-2"><strong>Listing 6-2:</strong> A <code>block_on</code>
that parks (<code>listings/ch06/listing-06-02/src/main.rs</code>)</span></p>
</main>"#;

    /// One page of `pdftotext -bbox-layout` output, 842 pt high, with one line per text at the
    /// given heights and the page number at the foot.
    fn page(lines: &[(f64, &str)]) -> String {
        let mut out = String::from("<page width=\"595.0\" height=\"842.0\">\n<flow>\n<block>\n");
        let numbered = lines.iter().copied().chain([(807.0, "12")]);
        for (top, text) in numbered {
            out.push_str(&format!(
                "<line xMin=\"59.0\" yMin=\"{top}\" xMax=\"500.0\" yMax=\"{}\">\n",
                top + 16.0
            ));
            for word in text.split_whitespace() {
                out.push_str(&format!(
                    "<word xMin=\"59.0\" yMin=\"{top}\" xMax=\"90.0\" yMax=\"{}\">{word}</word>\n",
                    top + 16.0
                ));
            }
            out.push_str("</line>\n");
        }
        out + "</block>\n</flow>\n</page>\n"
    }

    fn found(layout: &str) -> Vec<usize> {
        let marks = Marks::from_print_html(HTML);
        stranded(&parse(layout), &marks)
            .iter()
            .map(|s| s.page)
            .collect()
    }

    #[test]
    fn reads_captions_and_headings_of_the_main_part_only() {
        let marks = Marks::from_print_html(HTML);
        assert_eq!(marks.headings, ["TheWaker", "Summary"]);
        assert_eq!(
            marks.captions,
            ["Listing6-2:Ablock_onthatparks(listings/ch06/listing-06-02/src/main.rs)"]
        );
    }

    #[test]
    fn a_caption_at_the_foot_is_found_whole_or_cut() {
        let whole = page(&[
            (100.0, "Some prose."),
            (
                700.0,
                "Listing 6-2: A block_on that parks ( listings/ch06/listing-",
            ),
            (717.0, "06-02/src/main.rs )"),
        ]);
        let cut = page(&[
            (100.0, "Some prose."),
            (
                717.0,
                "Listing 6-2: A block_on that parks ( listings/ch06/listing-",
            ),
        ]);
        let followed = page(&[
            (
                680.0,
                "Listing 6-2: A block_on that parks ( listings/ch06/listing-06-02/src/main.rs )",
            ),
            (717.0, "fn main() {"),
        ]);
        assert_eq!(found(&format!("{whole}{cut}{followed}")), [1, 2]);
        let marks = Marks::from_print_html(HTML);
        assert_eq!(
            stranded(&parse(&whole), &marks)[0].text,
            "Listing 6-2: A block_on that parks ( listings/ch06/listing- 06-02/src/main.rs )"
        );
    }

    #[test]
    fn a_heading_at_the_foot_is_found_alone_or_before_a_caption() {
        let alone = page(&[(100.0, "Some prose."), (740.0, "Summary")]);
        let with_caption = page(&[
            (650.0, "Summary"),
            (
                700.0,
                "Listing 6-2: A block_on that parks ( listings/ch06/listing-",
            ),
        ]);
        let followed = page(&[(700.0, "Summary"), (740.0, "What we learnt.")]);
        assert_eq!(found(&format!("{alone}{with_caption}{followed}")), [1, 2]);
    }

    #[test]
    fn prose_that_names_a_listing_or_uses_a_heading_word_is_not_a_mark() {
        let names = page(&[(700.0, "as the code of"), (717.0, "Listing 6-2:")]);
        let word = page(&[(700.0, "in the closing"), (717.0, "summary.")]);
        let empty = page(&[]);
        assert!(found(&format!("{names}{word}{empty}")).is_empty());
    }

    #[test]
    fn squeezes_out_white_space_and_escapes() {
        assert_eq!(squeeze("Pin&lt;&amp;amp;mut T&gt;\n x"), "Pin<&amp;mutT>x");
    }
}
