//! svgbob's drawings, made to fit the column. mdbook-svgbob gives each SVG a fixed width and
//! height and no `viewBox`, inside a box of fixed height, with a rule that stretches it to the
//! column's width: on a narrow screen the drawing is cut off on the right. Here the SVG gets a
//! `viewBox` of its size, so it scales, and sits in a `.diagram` box (theme/book.css) that scrolls
//! sideways where scaling would make its text too small to read.

use anyhow::{Result, bail};
use regex::Regex;
use std::sync::LazyLock;

/// mdbook-svgbob 0.3.1's wrapping of one drawing (see its `bob_handler`).
static WRAPPED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"(?s)^<div style='width:100%; height:[0-9.]+px;'>"#,
        r#"<style type="text/css">svg\.svgbob \{ width: 100% !important; \}</style>"#,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="([0-9.]+)" height="([0-9.]+)" class="svgbob">"#,
        r#"(.*</svg>)</div>\s*$"#,
    ))
    .expect("pattern")
});

/// Whether an HTML block of a chapter is one of svgbob's drawings.
pub fn is_svgbob(block: &str) -> bool {
    block.starts_with("<div") && block.contains("class=\"svgbob\"")
}

/// Every id of svgbob's drawing (its markers: `arrow`, `circle`…, the same in every drawing)
/// and every reference to one, prefixed with `prefix`, so that no page holds an id twice.
fn prefix_ids(svg: &str, prefix: &str) -> String {
    static ID: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"\bid="([^"]+)""#).expect("pattern"));
    let mut svg = svg.to_string();
    let ids: Vec<String> = ID
        .captures_iter(&svg.clone())
        .map(|c| c[1].to_string())
        .collect();
    for id in ids {
        for (old, new) in [
            (format!("id=\"{id}\""), format!("id=\"{prefix}-{id}\"")),
            (format!("url(#{id})"), format!("url(#{prefix}-{id})")),
            (
                format!("href=\"#{id}\""),
                format!("href=\"#{prefix}-{id}\""),
            ),
        ] {
            svg = svg.replace(&old, &new);
        }
    }
    svg
}

/// The drawing of one of svgbob's blocks, made to scale, its ids starting with `prefix`.
pub fn fit(block: &str, prefix: &str) -> Result<String> {
    let Some(found) = WRAPPED.captures(block) else {
        bail!(
            "mdbook-svgbob wrapped a drawing in a way mdbook-diagrams does not know (it knows \
             mdbook-svgbob 0.3.1's); update tools/mdbook-diagrams/src/svgbob.rs"
        );
    };
    let (width, height) = (&found[1], &found[2]);
    let rest = prefix_ids(&found[3], prefix);
    Ok(format!(
        "<div class=\"diagram svgbob-diagram\" tabindex=\"0\">\
         <svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" \
         width=\"{width}\" height=\"{height}\" class=\"svgbob\" style=\"--diagram-width: {width}px\">\
         {rest}</div>\n\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_the_drawing_a_view_box_and_drops_the_fixed_box() {
        let block = "<div style='width:100%; height:40px;'><style type=\"text/css\">svg.svgbob { width: 100% !important; }</style><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"560\" height=\"40\" class=\"svgbob\"><text x=\"1\" y=\"2\">heap</text></svg></div>\n\n";
        assert!(is_svgbob(block));
        let fitted = fit(block, "p").unwrap();
        assert!(fitted.contains("viewBox=\"0 0 560 40\""), "{fitted}");
        assert!(fitted.contains("<text x=\"1\" y=\"2\">heap</text></svg></div>"));
        assert!(!fitted.contains("!important"));
        assert!(!fitted.contains("height:40px"));
    }

    #[test]
    fn ids_and_references_get_the_prefix() {
        let svg = "<defs><marker id=\"arrow\"/></defs><style>.a { marker-end: url(#arrow); }</style><use href=\"#arrow\"/>";
        assert_eq!(
            prefix_ids(svg, "svgbob-ch01-2"),
            "<defs><marker id=\"svgbob-ch01-2-arrow\"/></defs><style>.a { marker-end: url(#svgbob-ch01-2-arrow); }</style><use href=\"#svgbob-ch01-2-arrow\"/>"
        );
    }

    #[test]
    fn an_unknown_wrapping_is_an_error() {
        let block = "<div class=\"x\"><svg class=\"svgbob\"></svg></div>";
        assert!(is_svgbob(block));
        assert!(
            fit(block, "p")
                .unwrap_err()
                .to_string()
                .contains("svgbob.rs")
        );
    }
}
