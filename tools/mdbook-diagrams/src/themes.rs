//! One drawing for both of mdBook's kinds of theme, where mermaid's two drawings of a diagram
//! allow it.
//!
//! mermaid draws each diagram in its "default" theme (for mdBook's light and rust themes) and its
//! "dark" theme (coal, navy, ayu). The two are compared piece by piece with their style sheets
//! and colour attributes set aside; where nothing else differs (the same elements, attributes,
//! coordinates and text: the same layout), the page gets the light drawing's markup once, with
//! - one style sheet that gives each theme exactly its own drawing's rules (css.rs), and
//! - for each colour attribute that differs (state diagrams write `fill` and `stroke` on their
//!   hand-drawn start and end circles), the dark value in a `data-dark-…` attribute and a rule
//!   of no specificity that applies it under the dark themes. A colour attribute is a
//!   presentation attribute, which any style rule overrides; a rule of specificity zero placed
//!   before the drawing's own rules loses to every rule the attribute lost to, as the attribute
//!   did in the dark drawing.
//!
//! Where anything else differs (a label measured differently, an inline `style` attribute, which
//! outranks every rule and so cannot be given per theme), the diagram keeps its two drawings and
//! theme/book.css shows the one the page's theme needs. The build does not fail then: the page is
//! still right, only heavier, and the difference lies in mermaid's drawing, which the chapter's
//! author cannot change; mdbook-diagrams names the diagram and the difference in a warning.

use crate::css;
use crate::markup::{Token, tokens};
use std::collections::BTreeSet;

/// The drawing(s) a diagram's figure holds.
#[derive(Debug, PartialEq)]
pub enum Drawing {
    /// One drawing whose colours follow the page's theme.
    One(String),
    /// Mermaid's two drawings, which differ in more than colour, and how.
    Two {
        light: String,
        dark: String,
        why: String,
    },
}

/// Attributes that only colour what is drawn.
const COLOURS: [&str; 6] = [
    "fill",
    "stroke",
    "color",
    "stop-color",
    "flood-color",
    "lighting-color",
];

/// The drawing(s) for mermaid's `light` and `dark` drawings of one diagram, whose root has the
/// id `root_id` and whose style rules all begin with `#root_id`.
pub fn combine(light: &str, dark: &str, root_id: &str) -> Drawing {
    match one_drawing(light, dark, &format!("#{root_id}")) {
        Ok(one) => Drawing::One(one),
        Err(why) => Drawing::Two {
            light: light.to_string(),
            dark: dark.to_string(),
            why,
        },
    }
}

fn one_drawing(light: &str, dark: &str, scope: &str) -> Result<String, String> {
    let light_tokens = tokens(light).map_err(|e| format!("cannot read the light drawing: {e}"))?;
    let dark_tokens = tokens(dark).map_err(|e| format!("cannot read the dark drawing: {e}"))?;
    if light_tokens.len() != dark_tokens.len() {
        // The first difference names the place better than the counts.
        let first = light_tokens
            .iter()
            .zip(&dark_tokens)
            .position(|((_, l), (_, d))| l != d)
            .unwrap_or(light_tokens.len().min(dark_tokens.len()));
        return Err(format!(
            "the drawings differ in their markup from piece {first} on ({} pieces in the light \
             one, {} in the dark one)",
            light_tokens.len(),
            dark_tokens.len()
        ));
    }
    // What changes in the light drawing's markup: (byte range, replacement), in order.
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut dark_colours = BTreeSet::new();
    let mut first_style = None;
    let mut in_style = false;
    for ((range, l), (_, d)) in light_tokens.iter().zip(&dark_tokens) {
        match (l, d) {
            (Token::Text(l_css), Token::Text(d_css)) if in_style => {
                // Chromium escapes `>` (a child combinator) and `&` in a style element's text.
                let [l_css, d_css] = [l_css, d_css].map(|t| html_escape::decode_html_entities(t));
                let merged = css::merge(&l_css, &d_css, scope)?;
                let merged = html_escape::encode_text(&merged).into_owned();
                first_style.get_or_insert(edits.len());
                edits.push((range.clone(), merged));
            }
            (
                Token::Start {
                    name,
                    attributes: l_attributes,
                },
                Token::Start {
                    name: d_name,
                    attributes: d_attributes,
                },
            ) if name == d_name && l_attributes.len() == d_attributes.len() => {
                let mut added = String::new();
                for (la, da) in l_attributes.iter().zip(d_attributes) {
                    if la.name != da.name {
                        return Err(difference(l, d));
                    }
                    if la.value == da.value {
                        continue;
                    }
                    let value = da.value.unwrap_or("");
                    if !COLOURS.contains(&la.name) || la.value.is_none() || !plain(value) {
                        return Err(difference(l, d));
                    }
                    added.push_str(&format!(" data-dark-{}=\"{value}\"", la.name));
                    dark_colours.insert((la.name, value));
                }
                if !added.is_empty() {
                    // Before the tag's `>` (or `/>`).
                    let tag = &light[range.clone()];
                    let end = range.start + tag.len() - if tag.ends_with("/>") { 2 } else { 1 };
                    edits.push((end..end, added));
                }
            }
            _ if l == d => {}
            _ => return Err(difference(l, d)),
        }
        in_style = matches!(l, Token::Start { name: "style", .. });
    }
    if !dark_colours.is_empty() {
        let Some(first_style) = first_style else {
            return Err("colour attributes differ and the drawing has no style sheet".into());
        };
        // First in the sheet, like the presentation attributes they stand for.
        let rules: String = dark_colours
            .iter()
            .map(|(name, value)| {
                format!(
                    ":where({} {scope} [data-dark-{name}=\"{value}\"]){{{name}:{value};}}",
                    css::DARK_HTML
                )
            })
            .collect();
        edits[first_style].1.insert_str(0, &rules);
    }
    let mut one = light.to_string();
    edits.sort_by_key(|(range, _)| range.start);
    for (range, replacement) in edits.into_iter().rev() {
        one.replace_range(range, &replacement);
    }
    Ok(one)
}

/// A colour value that can stand in a CSS rule and an attribute selector as it is.
fn plain(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "#(),.% -".contains(c))
}

fn difference(light: &Token, dark: &Token) -> String {
    let show = |t: &Token| {
        let text = format!("{t:?}");
        match text.char_indices().nth(160) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None => text,
        }
    };
    format!("light {} / dark {}", show(light), show(dark))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIGHT: &str = "<svg id=\"D\" viewBox=\"0 0 10 10\"><style>#D{fill:#333;}#D .node rect{fill:#ECECFF;}</style><g><rect class=\"node\" fill=\"#ECECFF\" x=\"1\"></rect><path fill=\"#ECECFF\" stroke=\"#333333\" d=\"M0 0\"></path><text>start</text></g></svg>";
    const DARK: &str = "<svg id=\"D\" viewBox=\"0 0 10 10\"><style>#D{fill:#333;}#D .node rect{fill:#1f2020;}</style><g><rect class=\"node\" fill=\"#ECECFF\" x=\"1\"></rect><path fill=\"#1f2020\" stroke=\"lightgrey\" d=\"M0 0\"></path><text>start</text></g></svg>";

    #[test]
    fn drawings_alike_but_for_colours_become_one() {
        let Drawing::One(one) = combine(LIGHT, DARK, "D") else {
            panic!("kept as two");
        };
        let dark = css::DARK_HTML;
        let light = css::LIGHT_HTML;
        assert_eq!(
            one,
            format!(
                "<svg id=\"D\" viewBox=\"0 0 10 10\"><style>\
                 :where({dark} #D [data-dark-fill=\"#1f2020\"]){{fill:#1f2020;}}\
                 :where({dark} #D [data-dark-stroke=\"lightgrey\"]){{stroke:lightgrey;}}\
                 #D{{fill:#333;}}\
                 :where({light}) #D .node rect{{fill:#ECECFF;}}\
                 :where({dark}) #D .node rect{{fill:#1f2020;}}</style>\
                 <g><rect class=\"node\" fill=\"#ECECFF\" x=\"1\"></rect>\
                 <path fill=\"#ECECFF\" stroke=\"#333333\" d=\"M0 0\" data-dark-fill=\"#1f2020\" data-dark-stroke=\"lightgrey\"></path>\
                 <text>start</text></g></svg>"
            )
        );
        assert_eq!(combine(LIGHT, LIGHT, "D"), Drawing::One(LIGHT.to_string()));
    }

    #[test]
    fn a_style_sheet_is_read_unescaped_and_written_escaped() {
        let light = "<svg id=\"D\"><style>#D text&gt;tspan{fill:#333;}</style></svg>";
        let dark = "<svg id=\"D\"><style>#D text&gt;tspan{fill:#ccc;}</style></svg>";
        let Drawing::One(one) = combine(light, dark, "D") else {
            panic!("kept as two");
        };
        assert_eq!(
            one,
            format!(
                "<svg id=\"D\"><style>:where({}) #D text&gt;tspan{{fill:#333;}}:where({}) #D text&gt;tspan{{fill:#ccc;}}</style></svg>",
                css::LIGHT_HTML,
                css::DARK_HTML
            )
        );
    }

    #[test]
    fn drawings_that_differ_in_more_than_colour_stay_two() {
        for (dark, expected) in [
            (DARK.replace("x=\"1\"", "x=\"2\""), "x"),
            (DARK.replace("start", "Start"), "start"),
            (
                DARK.replace("<text>", "<text style=\"fill:#ccc\">"),
                "style",
            ),
            (DARK.replace("stroke=\"lightgrey\" ", ""), "stroke"),
            (
                DARK.replace("fill=\"#1f2020\"", "fill=\"url(&quot;x&quot;)\""),
                "fill",
            ),
            (DARK.replace("<text>start</text>", ""), "piece"),
            (DARK.replace("#D .node rect", ":root"), ":root"),
        ] {
            match combine(LIGHT, &dark, "D") {
                Drawing::Two {
                    light,
                    dark: kept,
                    why,
                } => {
                    assert_eq!((light.as_str(), kept.as_str()), (LIGHT, dark.as_str()));
                    assert!(why.contains(expected), "{expected}: {why}");
                }
                Drawing::One(one) => panic!("{expected}: made one drawing: {one}"),
            }
        }
    }
}
