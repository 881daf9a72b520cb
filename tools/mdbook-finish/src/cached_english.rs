//! elasticlunr-rs's English, with each word's stem computed once per build instead of once per
//! occurrence.
//!
//! The English pipeline's stemmer (Porter's algorithm, several regular expressions a word) was the
//! slowest part of rebuilding the search index: the book has about 139,000 words but far fewer
//! distinct ones. `CachedEnglish` is the library's own `English` with its own pipeline, the
//! stemmer stage wrapped in a cache keyed by the word it is given. The stages keep their names
//! and the language its name and code, which is all the index records of them (`"lang":"English"`,
//! `"pipeline":["trimmer","stopWordFilter","stemmer"]`), so an index built with it is the one
//! `English` builds, byte for byte (a unit test compares them). Clones share one cache (across
//! threads too), so the indexes `crate::search_index` builds stem each word once between them.

use elasticlunr::Language;
use elasticlunr::lang::English;
use elasticlunr::pipeline::{Pipeline, PipelineFn};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The pipeline stage whose results are cached.
const STEMMER: &str = "stemmer";

#[derive(Clone)]
pub struct CachedEnglish {
    english: English,
    stems: Arc<Mutex<Stems>>,
}

/// What the stemmer returned for each token it was given.
type Stems = HashMap<String, Option<String>>;

impl CachedEnglish {
    pub fn new() -> Self {
        Self {
            english: English::new(),
            stems: Arc::default(),
        }
    }
}

impl Language for CachedEnglish {
    fn name(&self) -> String {
        self.english.name()
    }

    fn code(&self) -> String {
        self.english.code()
    }

    fn tokenize(&self, text: &str) -> Vec<String> {
        self.english.tokenize(text)
    }

    fn make_pipeline(&self) -> Pipeline {
        map_stages(self.english.make_pipeline(), |stage| {
            if stage.name() == STEMMER {
                Box::new(Cached {
                    stage,
                    results: Arc::clone(&self.stems),
                })
            } else {
                stage
            }
        })
    }
}

/// `pipeline` with each stage replaced by what `wrap` makes of it (itself, or a stage around it).
pub fn map_stages(
    mut pipeline: Pipeline,
    wrap: impl FnMut(Box<dyn PipelineFn>) -> Box<dyn PipelineFn>,
) -> Pipeline {
    pipeline.queue = pipeline.queue.into_iter().map(wrap).collect();
    pipeline
}

/// A pipeline stage that remembers what it returned for each token.
struct Cached {
    stage: Box<dyn PipelineFn>,
    results: Arc<Mutex<Stems>>,
}

impl PipelineFn for Cached {
    fn name(&self) -> String {
        self.stage.name()
    }

    fn filter(&self, token: String) -> Option<String> {
        let results = || self.results.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(result) = results().get(&token) {
            return result.clone();
        }
        let result = self.stage.filter(token.clone());
        results().insert(token, result.clone());
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use elasticlunr::IndexBuilder;

    fn index(language: Box<dyn Language>, docs: &[[&str; 2]]) -> String {
        let mut index = IndexBuilder::with_language(language)
            .add_fields(["title", "body"])
            .build();
        for (number, doc) in docs.iter().enumerate() {
            index.add_doc(&number.to_string(), doc);
        }
        serde_json::to_string(&index).unwrap()
    }

    /// Text with repeated words (and words the stemmer changes or the stop word filter drops),
    /// indexed by two indexes sharing one cache, gives what the library's English gives.
    #[test]
    fn indexes_exactly_as_english_does() {
        let docs = [
            [
                "Waking the tasks",
                "The waker wakes a task; tasks wake wakers. Polling polled polls.",
            ],
            [
                "Polling",
                "poll, poll, POLL: the executor's polling of futures, of futures' states.",
            ],
            [
                "Ready",
                "ready readiness readily ready: the ready queue is ready to be polled.",
            ],
        ];
        let english = index(Box::new(English::new()), &docs);
        let cached = CachedEnglish::new();
        // The first index fills the cache; the second, built after it, reads from it.
        assert_eq!(index(Box::new(cached.clone()), &docs), english);
        assert!(cached.stems.lock().unwrap().len() > 10);
        assert_eq!(index(Box::new(cached), &docs), english);
        assert!(english.contains(r#""lang":"English""#), "{english}");
        assert!(
            english.contains(r#""pipeline":["trimmer","stopWordFilter","stemmer"]"#),
            "{english}"
        );
    }

    #[test]
    fn keeps_the_name_and_code_of_english() {
        let (cached, english) = (CachedEnglish::new(), English::new());
        assert_eq!(
            (cached.name(), cached.code()),
            (english.name(), english.code())
        );
        let names = |pipeline: Pipeline| {
            pipeline
                .queue
                .iter()
                .map(|stage| stage.name())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(cached.make_pipeline()),
            names(english.make_pipeline())
        );
    }
}
