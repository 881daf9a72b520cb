//! What mdBook 0.5.4's html renderer does to a Rust block's text (mdbook-html's
//! `src/html/hide_lines.rs` and `tree.rs`'s `update_code_blocks`), reproduced so that the lines
//! this preprocessor writes out are exactly the ones mdBook would have put in the page.

use regex::Regex;
use std::sync::LazyLock;

/// One line of a block as mdBook renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The text shown for the line, without its newline: `# x` → `x`, `##x` → `#x`.
    pub text: String,
    /// mdBook wraps it in `<span class="boring">`.
    pub hidden: bool,
}

/// A line `#` followed by nothing or a space is hidden (the `#` and that space are dropped);
/// `##` escapes a line that starts with `#` (one `#` is dropped); any other `#x` stays as it is
/// (`#[derive]`, `#![allow]`). Leading white space is kept in every case.
pub fn lines(text: &str) -> Vec<Line> {
    static BORING: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(\s*)#(.?)(.*)$").expect("a valid regex"));
    text.lines()
        .map(|line| match BORING.captures(line) {
            Some(caps) if &caps[2] == "#" => Line {
                text: format!("{}#{}", &caps[1], &caps[3]),
                hidden: false,
            },
            Some(caps) if matches!(&caps[2], "" | " ") => Line {
                text: format!("{}{}", &caps[1], &caps[3]),
                hidden: true,
            },
            _ => Line {
                text: line.to_string(),
                hidden: false,
            },
        })
        .collect()
}

/// The classes mdBook gives a fenced block's `<code>`: `language-` and the info string's first
/// word, then its other words (split at spaces, tabs and commas).
pub fn classes(info: &str) -> Vec<String> {
    let mut words = info.split([' ', '\t', ',']).filter(|word| !word.is_empty());
    let Some(language) = words.next() else {
        return Vec::new();
    };
    std::iter::once(format!("language-{language}"))
        .chain(words.map(str::to_string))
        .collect()
}

/// Whether mdBook makes the block a playground (a Run button, the edition class, and the
/// `fn main` wrapper when the code has none).
pub fn is_playground(classes: &[String], runnable: bool) -> bool {
    let has = |class: &str| classes.iter().any(|c| c == class);
    has("language-rust")
        && ((runnable && !has("ignore") && !has("noplayground") && !has("noplaypen"))
            || has("mdbook-runnable"))
}

/// mdBook's wrapper for a playground block with no `fn main` (as rustdoc does): hidden
/// `#![allow(unused)]` and `fn main() {`, the block's leading inner attributes kept before them.
pub fn wrap_main(text: &str) -> Option<String> {
    if text.contains("fn main") || text.contains("quick_main!") {
        return None;
    }
    static HEADER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?mx)((?:^[ \t]*\#!\[.*(?:\r?\n)?|^\s*(?:\r?\n)?)*)").expect("a valid regex")
    });
    let split = HEADER
        .captures(text)
        .and_then(|caps| caps.get(1))
        .map(|attrs| attrs.as_str())
        .filter(|attrs| !attrs.trim().is_empty())
        .map_or(0, str::len);
    let (attrs, code) = text.split_at(split);
    let newline = if code.is_empty() || code.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    Some(format!(
        "# #![allow(unused)]\n{attrs}# fn main() {{\n{code}{newline}# }}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str) -> Vec<(String, bool)> {
        lines(text)
            .into_iter()
            .map(|l| (l.text, l.hidden))
            .collect()
    }

    #[test]
    fn hides_escapes_and_keeps_lines_as_mdbook_does() {
        assert_eq!(
            shown("# use a;\n#\n  # b\n##x\n#[derive(Debug)]\n#![allow(x)]\nc\n"),
            [
                ("use a;".into(), true),
                ("".into(), true),
                ("  b".into(), true),
                ("#x".into(), false),
                ("#[derive(Debug)]".into(), false),
                ("#![allow(x)]".into(), false),
                ("c".into(), false),
            ]
        );
    }

    #[test]
    fn classes_and_playground_follow_the_info_string() {
        assert_eq!(classes("rust,ignore"), ["language-rust", "ignore"]);
        assert_eq!(classes("rust  no_run\tx"), ["language-rust", "no_run", "x"]);
        assert!(classes("").is_empty());
        assert!(is_playground(&classes("rust,no_run"), true));
        assert!(!is_playground(&classes("rust,ignore"), true));
        assert!(!is_playground(&classes("rust"), false));
        assert!(is_playground(
            &classes("rust,ignore,mdbook-runnable"),
            false
        ));
        assert!(!is_playground(&classes("text"), true));
    }

    #[test]
    fn wraps_code_without_main_after_its_inner_attributes() {
        assert_eq!(wrap_main("fn main() {}\n"), None);
        assert_eq!(
            wrap_main("let x = 1;\n").unwrap(),
            "# #![allow(unused)]\n# fn main() {\nlet x = 1;\n# }"
        );
        assert_eq!(
            wrap_main("#![allow(dead_code)]\n\nlet x = 1;").unwrap(),
            "# #![allow(unused)]\n#![allow(dead_code)]\n\n# fn main() {\nlet x = 1;\n# }"
        );
        assert_eq!(
            wrap_main("    // only\n").unwrap(),
            "# #![allow(unused)]\n# fn main() {\n    // only\n# }"
        );
    }
}
