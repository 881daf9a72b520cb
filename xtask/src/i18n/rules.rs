//! What a translated message must keep of its English one: checked for every message of every
//! `po/LANG.po` by `cargo xtask test translations`.
//!
//! The code, the links and the figures of a page are the same in every edition; only the words
//! around them change. So a translation holds exactly the English message's inline code spans,
//! link targets, HTML tags, footnote references and numbers (each as often as the English), and
//! as many bold or italic spans as the English, counted as CommonMark would render them: in
//! Chinese, `**示例 5-1：**文字` does not close its bold (the closing `**` follows punctuation and
//! precedes a letter), and the page would show the asterisks.

use regex::Regex;
use std::collections::BTreeMap;
use std::sync::LazyLock;

static CODE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(`+)[^`]").expect("pattern"));
static LINK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\]\(([^)\s]+)\)").expect("pattern"));
static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"</?[a-zA-Z][^>]*>").expect("pattern"));
static NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d+(?:[.,]\d+)*").expect("pattern"));
static FOOTNOTE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\[\^[^\]]+\]").expect("pattern"));
static ATTRIBUTES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{[#.][^}]*\}").expect("pattern"));
static QUOTED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#""[^"]*""#).expect("pattern"));
static PIPED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\|[^|]*\|").expect("pattern"));
static TICKS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"`+").expect("pattern"));
static DELIMITER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\*+|_+").expect("pattern"));

/// The problems of `translation` as a translation of `english`, one line each (empty: none).
pub fn problems(english: &str, translation: &str) -> Vec<String> {
    let mut found = Vec::new();
    if is_block(english) {
        // A diagram (or other fenced block) is translated whole: its fence line stays.
        let fence = |text: &str| text.lines().next().unwrap_or_default().to_string();
        if fence(english) != fence(translation) {
            found.push(format!("the fence line {:?} changed", fence(english)));
        } else if fence(english) == "```mermaid" {
            let (a, b) = (mermaid_skeleton(english), mermaid_skeleton(translation));
            if let Some((a, b)) = a.iter().zip(&b).find(|(a, b)| a != b) {
                found.push(format!(
                    "the diagram's structure changed, not only its labels: {a:?} became {b:?}"
                ));
            } else if a.len() != b.len() {
                found.push(format!(
                    "the diagram has {} lines of structure in English, {} here",
                    a.len(),
                    b.len()
                ));
            }
        }
        return found;
    }
    let (english_code, english_text) = split_code(english);
    let (code, text) = split_code(translation);
    compare(
        "inline code",
        &count(english_code),
        &count(code),
        &mut found,
    );
    let kinds: [(&str, &Regex); 5] = [
        ("link target", &LINK),
        // `{#id}` after a heading's text: in a translation it would show as text (the English
        // anchor is kept without it).
        ("attribute block", &ATTRIBUTES),
        ("HTML tag", &TAG),
        ("footnote reference", &FOOTNOTE),
        ("number", &NUMBER),
    ];
    for (what, pattern) in kinds {
        let matches = |text: &str| -> BTreeMap<String, usize> {
            // Numbers are counted outside link targets and tags (`ch05-00`, `id="listing-5-1"`).
            let text = if what == "number" {
                TAG.replace_all(&LINK.replace_all(text, "]"), " ")
                    .into_owned()
            } else {
                text.to_string()
            };
            let capture = usize::from(what == "link target");
            count(pattern.captures_iter(&text).map(|c| c[capture].to_string()))
        };
        compare(what, &matches(&english_text), &matches(&text), &mut found);
    }
    let (wanted, got) = (emphasis_spans(&english_text), emphasis_spans(&text));
    if wanted != got {
        found.push(format!(
            "{wanted} bold or italic span(s) in English, {got} that would render here (a closing \
             `**` or `*` right after full-width punctuation must be followed by a space or \
             punctuation: write **示例 5-1**：, not **示例 5-1：**)"
        ));
    }
    found
}

/// A mermaid diagram without its labels, one entry per line: what a translation must keep. Labels
/// are quoted text, `|edge labels|`, what follows `:` in sequence and state diagrams (messages,
/// notes, transitions) and ` as ` (a participant's name); comments (`%%`) are dropped.
fn mermaid_skeleton(block: &str) -> Vec<String> {
    let kind = block.lines().nth(1).unwrap_or_default().trim().to_string();
    let labelled_after_colon =
        kind.starts_with("sequenceDiagram") || kind.starts_with("stateDiagram");
    block
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("%%"))
        .map(|line| {
            let line = QUOTED.replace_all(line, "\"\"");
            let line = PIPED.replace_all(&line, "||").into_owned();
            let line = match line.split_once(" as ") {
                Some((before, _)) if labelled_after_colon => format!("{before} as"),
                _ => line,
            };
            match line.split_once(':') {
                Some((before, _)) if labelled_after_colon => format!("{}:", before.trim_end()),
                _ => line,
            }
        })
        .collect()
}

/// Whether a message is a whole fenced block (mdbook-xgettext extracts a diagram so).
pub fn is_block(message: &str) -> bool {
    message.starts_with("```") || message.starts_with("~~~")
}

/// The inline code spans of `markdown` (with their backticks), and its text with each span
/// replaced by one backtick: to CommonMark's flanking rules a span's edge is punctuation, so
/// `**`Unpin`**` is bold.
fn split_code(markdown: &str) -> (Vec<String>, String) {
    let mut spans = Vec::new();
    let mut text = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(found) = CODE.captures(rest).and_then(|c| c.get(1)) {
        let ticks = found.as_str();
        let after = &rest[found.start() + ticks.len()..];
        // The span ends at the next run of exactly as many backticks.
        let close = TICKS
            .find_iter(after)
            .find(|run| run.len() == ticks.len())
            .map(|run| run.start());
        let Some(close) = close else { break };
        text.push_str(&rest[..found.start()]);
        text.push('`');
        spans.push(format!("{ticks}{}{ticks}", &after[..close]));
        rest = &after[close + ticks.len()..];
    }
    text.push_str(rest);
    (spans, text)
}

fn count(items: impl IntoIterator<Item = String>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for item in items {
        *counts.entry(item).or_insert(0) += 1;
    }
    counts
}

fn compare(
    what: &str,
    english: &BTreeMap<String, usize>,
    translation: &BTreeMap<String, usize>,
    found: &mut Vec<String>,
) {
    let differ = |a: &BTreeMap<String, usize>, b: &BTreeMap<String, usize>| -> Vec<String> {
        a.iter()
            .filter(|(item, n)| b.get(*item).copied().unwrap_or(0) < **n)
            .map(|(item, _)| item.clone())
            .collect()
    };
    let missing = differ(english, translation);
    let extra = differ(translation, english);
    if !missing.is_empty() {
        found.push(format!("{what} missing: {}", missing.join(" ")));
    }
    if !extra.is_empty() {
        found.push(format!("{what} not in the English: {}", extra.join(" ")));
    }
}

/// How many bold and italic spans a page shows for `text` (code spans already taken out), once
/// mdbook-gettext has put it in: it parses a translation and writes it back, and writes italics
/// with `_` (`*预算*` becomes `_预算_`), which CommonMark does not read as emphasis between two
/// letters (`的_预算_开始` shows its underscores). So the text is read once as written, its italics
/// rewritten with `_`, and read again. The reading is a simplified form of CommonMark's flanking
/// rules, enough to tell a span that renders from one whose delimiters would show.
fn emphasis_spans(text: &str) -> usize {
    let (_, pairs) = emphasis_pairs(text);
    let mut rewritten = text.to_string();
    // Back to front, so earlier positions stay valid.
    let mut singles: Vec<(usize, usize)> = pairs
        .into_iter()
        .filter(|&(open, close)| {
            text[open..].starts_with('*')
                && !text[open..].starts_with("**")
                && !text[close..].starts_with("**")
        })
        .flat_map(|(open, close)| [(open, 1), (close, 1)])
        .collect();
    singles.sort_unstable();
    for (at, len) in singles.into_iter().rev() {
        rewritten.replace_range(at..at + len, "_");
    }
    emphasis_pairs(&rewritten).0
}

/// The emphasis spans CommonMark would make of `text`: their number, and the byte positions of
/// each span's opening and closing delimiter runs.
fn emphasis_pairs(text: &str) -> (usize, Vec<(usize, usize)>) {
    let punctuation =
        |c: Option<char>| c.is_none_or(|c| c.is_ascii_punctuation() || is_unicode_punctuation(c));
    let space = |c: Option<char>| c.is_none_or(char::is_whitespace);
    let mut open: Vec<(&str, usize)> = Vec::new();
    let mut pairs = Vec::new();
    for run in DELIMITER.find_iter(text) {
        let before = text[..run.start()].chars().next_back();
        let after = text[run.end()..].chars().next();
        let left = !space(after) && (!punctuation(after) || space(before) || punctuation(before));
        let right = !space(before) && (!punctuation(before) || space(after) || punctuation(after));
        let (can_open, can_close) = if run.as_str().starts_with('_') {
            (
                left && (!right || punctuation(before)),
                right && (!left || punctuation(after)),
            )
        } else {
            (left, right)
        };
        if can_close
            && open
                .last()
                .is_some_and(|(delimiter, _)| *delimiter == run.as_str())
        {
            let (_, at) = open.pop().expect("checked");
            pairs.push((at, run.start()));
        } else if can_open {
            open.push((run.as_str(), run.start()));
        }
    }
    (pairs.len(), pairs)
}

/// CommonMark's Unicode punctuation, for the characters a Chinese text uses: the CJK symbols
/// and punctuation block, full-width forms, general punctuation (dashes, quotes, ellipsis).
fn is_unicode_punctuation(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303f}' | '\u{ff01}'..='\u{ff0f}' | '\u{ff1a}'..='\u{ff20}'
        | '\u{ff3b}'..='\u{ff40}' | '\u{ff5b}'..='\u{ff65}' | '\u{2010}'..='\u{2027}'
        | '\u{2030}'..='\u{205e}' | '\u{00a1}'..='\u{00bf}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_faithful_translation_has_no_problem() {
        let english =
            "**Listing 5-1:** A countdown [future](ch05.md#x), polled `3` times by `main`";
        let chinese = "**示例 5-1**：一个被 `main` poll `3` 次的倒计时 [future](ch05.md#x)";
        assert_eq!(problems(english, chinese), Vec::<String>::new());
    }

    #[test]
    fn changed_code_links_numbers_and_tags_are_named() {
        let english = "Run `cargo xtask test` on <small>200</small> [threads](a.md#t).";
        let chinese = "在 200 个[线程](a.md#u)上运行 `cargo test`，<small>2000</small>。";
        let found = problems(english, chinese).join("\n");
        for expected in [
            "inline code missing: `cargo xtask test`",
            "inline code not in the English: `cargo test`",
            "link target missing: a.md#t",
            "number not in the English: 2000",
        ] {
            assert!(found.contains(expected), "{expected} in:\n{found}");
        }
        assert!(problems("<kbd>Esc</kbd>", "<kbd>退出</kbd>").is_empty());
        assert!(!problems("<kbd>Esc</kbd>", "退出键").is_empty());
    }

    #[test]
    fn a_diagram_is_translated_whole_and_keeps_its_fence() {
        let english = "```bob\n\"ready\" --> `x`\n```";
        assert!(problems(english, "```bob\n\"就绪\" --> `x`\n```").is_empty());
        assert!(!problems(english, "```text\n\"就绪\"\n```").is_empty());
    }

    #[test]
    fn a_mermaid_translation_keeps_the_structure() {
        let english = "```mermaid\nstateDiagram-v2\n    %% labels\n    state \"Ready\" as Ready\n    Ready --> Running: poll\n    Running --> [*]: ends\n```";
        let good = "```mermaid\nstateDiagram-v2\n    %% 标签\n    state \"就绪\" as Ready\n    Ready --> Running: poll\n    Running --> [*]: 结束\n```";
        assert!(
            problems(english, good).is_empty(),
            "{:?}",
            problems(english, good)
        );
        let broken = good.replace("[*]: 结束", "[*: 结束");
        assert!(!problems(english, &broken).is_empty());
        let dropped = good.replace("    Ready --> Running: poll\n", "");
        assert!(!problems(english, &dropped).is_empty());
    }

    #[test]
    fn a_heading_attribute_in_a_translation_is_refused() {
        assert!(!problems("Structural fields", "结构化字段 {#renamed}").is_empty());
        assert!(problems("Structural fields", "结构化字段").is_empty());
    }

    #[test]
    fn bold_that_would_not_render_is_caught() {
        assert_eq!(emphasis_spans("**Listing 5-1:** A countdown"), 1);
        assert_eq!(emphasis_spans("**示例 5-1：**一个倒计时"), 0);
        assert_eq!(emphasis_spans("**示例 5-1**：一个倒计时"), 1);
        // mdbook-gettext writes italics back with `_`: between letters they would show.
        assert_eq!(emphasis_spans("这是*轮询*的意思"), 0);
        assert_eq!(emphasis_spans("这是 *轮询* 的意思"), 1);
        assert_eq!(emphasis_spans("这是**轮询**的意思"), 1);
        assert_eq!(emphasis_spans("（*poll*）的意思"), 1);
        assert_eq!(emphasis_spans("这是_轮询_的意思"), 0);
        assert_eq!(emphasis_spans("this is _polling_ here"), 1);
        assert!(!problems("**Listing 5-1:** A countdown", "**示例 5-1：**倒计时").is_empty());
    }

    #[test]
    fn backticks_inside_code_spans_and_double_ticks() {
        assert_eq!(split_code("在 `poll` 中").0, ["`poll`"]);
        assert_eq!(split_code("`x`中文").1, "`中文");
        let (spans, text) = split_code("a ``x ` y`` b `z` c");
        assert_eq!(spans, ["``x ` y``", "`z`"]);
        assert_eq!(text, "a ` b ` c");
        assert_eq!(
            emphasis_spans(&split_code("**`Unpin`**, and **规则 3：`Unpin`**").1),
            2
        );
    }
}
