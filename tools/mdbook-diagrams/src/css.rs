//! The style sheets mermaid writes into its drawings, merged into one that gives each of mdBook's
//! light and dark themes exactly the rules it had in its own drawing.
//!
//! A rule both sheets hold at the same place in their order is kept once, as it is. Every other
//! rule is wrapped so it applies only under its themes: `:where(html:not(.coal,.navy,.ayu))` for
//! the light drawing's, `:where(html:is(.coal,.navy,.ayu))` for the dark one's. `:where()` adds
//! nothing to a selector's specificity and the merged order keeps each sheet's own order (a
//! longest common subsequence of the two), so under either theme the rules that apply, their
//! specificity and their order are those of that theme's drawing: the cascade picks what it
//! picked there.

/// The page under one of the themes mdBook calls dark (theme/book.css uses the same list), and
/// under any other.
pub const DARK_HTML: &str = "html:is(.coal,.navy,.ayu)";
pub const LIGHT_HTML: &str = "html:not(.coal,.navy,.ayu)";

/// One top-level rule as written: its prelude (selectors, or an at-rule's name and condition)
/// and its block with the braces (empty for a statement such as `@import …;`).
#[derive(Debug, PartialEq)]
struct Rule<'a> {
    prelude: &'a str,
    block: &'a str,
}

impl Rule<'_> {
    fn text(&self) -> String {
        format!("{}{}", self.prelude, self.block)
    }
}

/// The style sheet of both drawings, or why the two cannot share one: a rule of one only that
/// cannot be limited to its themes (an at-rule such as `@keyframes`, whose names are global, or a
/// selector outside the drawing, which must begin with `scope`).
pub fn merge(light: &str, dark: &str, scope: &str) -> Result<String, String> {
    let light = rules(light)?;
    let dark = rules(dark)?;
    let mut merged = String::new();
    for (light_rule, dark_rule) in common_order(&light, &dark) {
        match (light_rule, dark_rule) {
            (Some(rule), Some(_)) => merged.push_str(&rule.text()),
            (Some(rule), None) => merged.push_str(&scoped(rule, LIGHT_HTML, scope)?),
            (None, Some(rule)) => merged.push_str(&scoped(rule, DARK_HTML, scope)?),
            (None, None) => unreachable!("every step takes a rule of one sheet at least"),
        }
    }
    Ok(merged)
}

/// `rule` with each of its selectors limited to the page under `html`, without a change to their
/// specificity.
fn scoped(rule: &Rule, html: &str, scope: &str) -> Result<String, String> {
    let prelude = rule.prelude.trim();
    if prelude.starts_with('@') {
        return Err(format!(
            "the at-rule `{prelude}` differs between the themes' style sheets"
        ));
    }
    let mut selectors = Vec::new();
    for selector in split_top_level(prelude, b',') {
        let selector = selector.trim();
        if !selector.starts_with(scope) {
            return Err(format!(
                "the rule for `{selector}` differs between the themes and is not limited to the drawing"
            ));
        }
        selectors.push(format!(":where({html}) {selector}"));
    }
    Ok(format!("{}{}", selectors.join(","), rule.block))
}

/// Both sheets' rules in one order that keeps each sheet's own: pairs of a rule both hold
/// (compared as written), and in between the rules of one sheet only, the light one's first.
fn common_order<'r, 'a>(
    light: &'r [Rule<'a>],
    dark: &'r [Rule<'a>],
) -> Vec<(Option<&'r Rule<'a>>, Option<&'r Rule<'a>>)> {
    let (n, m) = (light.len(), dark.len());
    // longest[i][j]: the longest common subsequence of light[i..] and dark[j..].
    let mut longest = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            longest[i][j] = if light[i] == dark[j] {
                longest[i + 1][j + 1] + 1
            } else {
                longest[i + 1][j].max(longest[i][j + 1])
            };
        }
    }
    let mut order = Vec::new();
    let (mut i, mut j) = (0, 0);
    let mut dark_only = Vec::new();
    while i < n || j < m {
        if i < n && j < m && light[i] == dark[j] {
            order.append(&mut dark_only);
            order.push((Some(&light[i]), Some(&dark[j])));
            i += 1;
            j += 1;
        } else if j == m || (i < n && longest[i + 1][j] >= longest[i][j + 1]) {
            order.push((Some(&light[i]), None));
            i += 1;
        } else {
            dark_only.push((None, Some(&dark[j])));
            j += 1;
        }
    }
    order.append(&mut dark_only);
    order
}

/// The top-level rules of a style sheet, in order.
fn rules(css: &str) -> Result<Vec<Rule<'_>>, String> {
    let bytes = css.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        at = skip_blank(css, at);
        if at >= bytes.len() {
            break;
        }
        let start = at;
        // The prelude ends at a `{` or, for a statement, a `;`, outside strings and brackets.
        let end = scan(css, at, |b, depth| depth == 0 && (b == b'{' || b == b';'))
            .ok_or_else(|| format!("a style rule has no block: `{}`", &css[start..]))?;
        if bytes[end] == b';' {
            found.push(Rule {
                prelude: &css[start..=end],
                block: "",
            });
            at = end + 1;
            continue;
        }
        let close = block_end(css, end)
            .ok_or_else(|| format!("a style rule's block does not close: `{}`", &css[start..]))?;
        found.push(Rule {
            prelude: &css[start..end],
            block: &css[end..=close],
        });
        at = close + 1;
    }
    Ok(found)
}

/// The index of the `}` that closes the block opening at `open`.
fn block_end(css: &str, open: usize) -> Option<usize> {
    let mut braces = 0usize;
    scan(css, open, |b, _| {
        match b {
            b'{' => braces += 1,
            b'}' => braces -= 1,
            _ => {}
        }
        braces == 0
    })
}

/// The first index from `from` where `stop` holds, given the byte and the depth of brackets
/// (`(` and `[`) around it; strings, escapes and comments are stepped over.
fn scan(css: &str, from: usize, mut stop: impl FnMut(u8, usize) -> bool) -> Option<usize> {
    let bytes = css.as_bytes();
    let mut depth = 0usize;
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                i += 2;
                continue;
            }
            quote @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = css[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |e| i + 2 + e + 1);
            }
            b => {
                if b == b')' || b == b']' {
                    depth = depth.saturating_sub(1);
                }
                if stop(b, depth) {
                    return Some(i);
                }
                if b == b'(' || b == b'[' {
                    depth += 1;
                }
            }
        }
        i += 1;
    }
    None
}

fn skip_blank(css: &str, mut at: usize) -> usize {
    loop {
        let rest = &css[at..];
        let trimmed = rest.trim_start();
        at += rest.len() - trimmed.len();
        if trimmed.starts_with("/*") {
            at = css[at + 2..]
                .find("*/")
                .map_or(css.len(), |e| at + 2 + e + 2);
        } else {
            return at;
        }
    }
}

/// `text` split at each `separator` outside strings and brackets.
fn split_top_level(text: &str, separator: u8) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    while let Some(at) = scan(text, start, |b, depth| depth == 0 && b == separator) {
        parts.push(&text[start..at]);
        start = at + 1;
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIGHT: &str = ":where(html:not(.coal,.navy,.ayu))";
    const DARK: &str = ":where(html:is(.coal,.navy,.ayu))";

    #[test]
    fn reads_rules_nested_blocks_statements_strings_and_comments() {
        let css = "@import \"a;b\";/* x{ */#d .a,#d .b{fill:#333;}@keyframes k{from{x:0;}to{x:1;}}#d [t=\"}\"]{c:url(\"a{b\")}";
        let found = rules(css).unwrap();
        let preludes: Vec<&str> = found.iter().map(|r| r.prelude).collect();
        assert_eq!(
            preludes,
            [
                "@import \"a;b\";",
                "#d .a,#d .b",
                "@keyframes k",
                "#d [t=\"}\"]"
            ]
        );
        assert_eq!(found[2].block, "{from{x:0;}to{x:1;}}");
        assert_eq!(found[3].block, "{c:url(\"a{b\")}");
        assert!(rules("#d .a{fill:red;").is_err());
    }

    #[test]
    fn a_rule_of_both_stays_as_it_is_and_the_others_apply_under_their_themes_only() {
        let light = "#d{fill:#333;}#d .a,#d :is(.b,.c){fill:#eee;}#d .z{x:1;}";
        let dark = "#d{fill:#333;}#d .a,#d :is(.b,.c){fill:#111;}#d .y{x:2;}#d .z{x:1;}";
        assert_eq!(
            merge(light, dark, "#d").unwrap(),
            format!(
                "#d{{fill:#333;}}\
                 {LIGHT} #d .a,{LIGHT} #d :is(.b,.c){{fill:#eee;}}\
                 {DARK} #d .a,{DARK} #d :is(.b,.c){{fill:#111;}}{DARK} #d .y{{x:2;}}\
                 #d .z{{x:1;}}"
            )
        );
        assert_eq!(
            merge(light, light, "#d").unwrap(),
            light,
            "the same sheet is kept as it is"
        );
    }

    #[test]
    fn each_theme_keeps_its_own_order() {
        // Light: a b c, dark: c a b. Whatever is common, each theme's rules stay in its order.
        let light = "#d .a{1}#d .b{2}#d .c{3}";
        let dark = "#d .c{3}#d .a{1}#d .b{2}";
        let merged = merge(light, dark, "#d").unwrap();
        let merged_rules = rules(&merged).unwrap();
        for (sheet, other) in [(light, DARK), (dark, LIGHT)] {
            // The rules a theme sees: those not limited to the other theme, without the scope.
            let seen: Vec<String> = merged_rules
                .iter()
                .filter(|r| !r.prelude.starts_with(other))
                .map(|r| {
                    r.text()
                        .replace(&format!("{LIGHT} "), "")
                        .replace(&format!("{DARK} "), "")
                })
                .collect();
            assert_eq!(seen.concat(), sheet, "merged: {merged}");
        }
    }

    #[test]
    fn what_cannot_be_limited_to_a_theme_is_refused() {
        let error = merge("@keyframes k{to{x:0;}}", "@keyframes k{to{x:1;}}", "#d").unwrap_err();
        assert!(error.contains("@keyframes k"), "{error}");
        let error = merge(":root{--c:#fff;}", ":root{--c:#000;}", "#d").unwrap_err();
        assert!(error.contains(":root"), "{error}");
    }
}
