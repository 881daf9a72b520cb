//! Words for the search index of an edition in Chinese (or Japanese, or Korean), where the text
//! has no spaces between words: overlapping pairs of characters, as Lucene's CJK analyzer
//! indexes them (its `CJKBigramFilter`: each two neighbouring characters of a run of CJK
//! characters make a token, and a character with no CJK neighbour is a token alone). A query is
//! cut the same way (theme/search-cjk.js, the same rules in JavaScript): 唤醒器 becomes 唤醒 and 醒器,
//! both in every text that holds the word, so a word of any length is found without a
//! dictionary, and elasticlunr's ranking puts first the sections that hold all of a query's
//! pairs. A query of one character finds the pairs it starts (elasticlunr expands a query token
//! to the tokens it begins) and those it ends (search-cjk.js adds them to the query), so single
//! characters need not be indexed beside the pairs (that made the zh-CN index 25% bigger).
//!
//! Everything else keeps mdBook's English treatment (the code names and English terms the
//! translation quotes): cut at whitespace and hyphens, lower-cased, trimmed, stop words dropped,
//! stemmed; a CJK character ends an English word (`poll（轮询）` gives `poll（`, 轮询 and `）`).
//!
//! The pipeline is the English one whose trimmer and stemmer pass CJK tokens through untouched
//! (elasticlunr's trimmer knows only ASCII letters and digits: it would trim 唤醒 to nothing);
//! its stages are renamed (`trimmer-cjk`, `stemmer-cjk`) so that the index names the pipeline
//! the page must run, and theme/search-cjk.js registers functions of those names.

use crate::cached_english::{CachedEnglish, map_stages};
use elasticlunr::Language;
use elasticlunr::pipeline::{Pipeline, PipelineFn};

/// The characters cut into pairs: CJK radicals, the ideographic iteration marks and number zero,
/// kana, Hangul, and the CJK ideographs of every block (unified, extensions A to I, compatibility).
/// theme/search-cjk.js holds the same table as a regular expression (a unit test compares them).
pub const RANGES: [(char, char); 12] = [
    ('\u{2E80}', '\u{2FDF}'),
    ('\u{3005}', '\u{3005}'),
    ('\u{3007}', '\u{3007}'),
    ('\u{3021}', '\u{3029}'),
    ('\u{3038}', '\u{303B}'),
    ('\u{3040}', '\u{30FF}'),
    ('\u{3130}', '\u{318F}'),
    ('\u{31F0}', '\u{31FF}'),
    ('\u{3400}', '\u{4DBF}'),
    ('\u{4E00}', '\u{9FFF}'),
    ('\u{AC00}', '\u{D7AF}'),
    ('\u{F900}', '\u{FAFF}'),
];

/// Past the Basic Multilingual Plane: the ideographs of planes 2 and 3.
const SUPPLEMENTARY: (char, char) = ('\u{20000}', '\u{323AF}');

/// The longest English token mdBook indexes, in bytes.
const MAX_TOKEN: usize = 80;

pub fn is_cjk(c: char) -> bool {
    RANGES
        .iter()
        .chain([&SUPPLEMENTARY])
        .any(|(low, high)| (*low..=*high).contains(&c))
}

/// Whether an edition in `language` (book.toml's `book.language`, such as `zh-CN`) is indexed
/// with pairs of characters.
pub fn is_cjk_language(language: &str) -> bool {
    let primary = language.split(['-', '_']).next().unwrap_or_default();
    ["zh", "ja", "ko"].contains(&primary.to_ascii_lowercase().as_str())
}

/// The tokens of `text`: at whitespace and hyphens, lower-cased; in each piece, every run of CJK
/// characters gives its pairs (or its one character), and every run of other characters is a
/// token if no longer than mdBook's longest.
pub fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || c == '-') {
        let word = word.to_lowercase();
        let mut other = String::new();
        let mut run: Vec<char> = Vec::new();
        for c in word.chars() {
            if is_cjk(c) {
                push_other(&mut tokens, &mut other);
                run.push(c);
            } else {
                push_run(&mut tokens, &mut run);
                other.push(c);
            }
        }
        push_other(&mut tokens, &mut other);
        push_run(&mut tokens, &mut run);
    }
    tokens
}

fn push_other(tokens: &mut Vec<String>, other: &mut String) {
    if !other.is_empty() && other.len() <= MAX_TOKEN {
        tokens.push(other.clone());
    }
    other.clear();
}

fn push_run(tokens: &mut Vec<String>, run: &mut Vec<char>) {
    match run.len() {
        0 => {}
        1 => tokens.push(run[0].to_string()),
        _ => tokens.extend(run.windows(2).map(|pair| pair.iter().collect::<String>())),
    }
    run.clear();
}

/// Whether `token` (one of [`tokenize`]'s) is a pair or a single CJK character.
fn is_cjk_token(token: &str) -> bool {
    token.chars().next().is_some_and(is_cjk)
}

/// The language of a CJK edition's index: [`tokenize`], and English's pipeline (with its cache of
/// stems) whose trimmer and stemmer leave CJK tokens alone.
#[derive(Clone)]
pub struct Cjk {
    english: CachedEnglish,
}

impl Cjk {
    pub fn new(english: CachedEnglish) -> Self {
        Self { english }
    }
}

/// The English stages a CJK token passes untouched, and the names they are given.
const PASSED: [(&str, &str); 2] = [("trimmer", "trimmer-cjk"), ("stemmer", "stemmer-cjk")];

impl Language for Cjk {
    fn name(&self) -> String {
        "CJK".into()
    }

    fn code(&self) -> String {
        "cjk".into()
    }

    fn tokenize(&self, text: &str) -> Vec<String> {
        tokenize(text)
    }

    fn make_pipeline(&self) -> Pipeline {
        map_stages(self.english.make_pipeline(), |stage| {
            match PASSED.iter().find(|(english, _)| *english == stage.name()) {
                Some((_, name)) => Box::new(PassingCjk { stage, name }),
                None => stage,
            }
        })
    }
}

/// An English stage that CJK tokens pass through untouched.
struct PassingCjk {
    stage: Box<dyn PipelineFn>,
    name: &'static str,
}

impl PipelineFn for PassingCjk {
    fn name(&self) -> String {
        self.name.to_string()
    }

    fn filter(&self, token: String) -> Option<String> {
        match is_cjk_token(&token) {
            true => Some(token),
            false => self.stage.filter(token),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// The cases both tokenizers are tested on: this file's, here, and theme/search-cjk.js's, in
    /// the browser (tests/browser/search.test.mjs).
    const CASES: &str = include_str!("../../../tests/browser/search-cjk-cases.json");
    const SCRIPT: &str = include_str!("../../../theme/search-cjk.js");

    #[derive(Deserialize)]
    struct Case {
        text: String,
        /// What the tokenizer gives.
        tokens: Vec<String>,
        /// What the index holds of them once through the pipeline.
        indexed: Vec<String>,
    }

    fn cases() -> Vec<Case> {
        serde_json::from_str(CASES).expect("tests/browser/search-cjk-cases.json")
    }

    #[test]
    fn tokenizes_and_indexes_every_shared_case() {
        let pipeline = Cjk::new(CachedEnglish::new()).make_pipeline();
        let cases = cases();
        assert!(cases.len() >= 10);
        for case in cases {
            let tokens = tokenize(&case.text);
            assert_eq!(tokens, case.tokens, "tokens of {:?}", case.text);
            assert_eq!(
                pipeline.run(tokens),
                case.indexed,
                "indexed of {:?}",
                case.text
            );
        }
    }

    /// The script's character class, written from [`RANGES`] and [`SUPPLEMENTARY`].
    #[test]
    fn the_script_classifies_the_same_characters() {
        let escape = |c: char| match u32::from(c) {
            n if n > 0xFFFF => format!("\\u{{{n:X}}}"),
            n => format!("\\u{n:04X}"),
        };
        let mut class = String::from("[");
        for (low, high) in RANGES.iter().chain([&SUPPLEMENTARY]) {
            class.push_str(&escape(*low));
            if low != high {
                class.push('-');
                class.push_str(&escape(*high));
            }
        }
        class.push(']');
        let expected = format!("const CJK = /{class}/u;");
        assert!(
            SCRIPT.contains(&expected),
            "theme/search-cjk.js does not hold {expected}"
        );
    }

    #[test]
    fn names_the_pipeline_the_page_registers() {
        let names: Vec<String> = Cjk::new(CachedEnglish::new())
            .make_pipeline()
            .queue
            .iter()
            .map(|stage| stage.name())
            .collect();
        assert_eq!(names, ["trimmer-cjk", "stopWordFilter", "stemmer-cjk"]);
        for name in ["trimmer-cjk", "stemmer-cjk"] {
            assert!(
                SCRIPT.contains(&format!("\"{name}\"")),
                "theme/search-cjk.js registers no {name}"
            );
        }
    }

    #[test]
    fn knows_the_cjk_languages() {
        for yes in ["zh-CN", "zh", "zh_TW", "ja", "ko-KR", "ZH-cn"] {
            assert!(is_cjk_language(yes), "{yes}");
        }
        for no in ["en", "", "zhx", "fr-CA"] {
            assert!(!is_cjk_language(no), "{no}");
        }
    }
}
