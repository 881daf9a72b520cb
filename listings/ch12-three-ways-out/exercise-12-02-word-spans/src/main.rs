//! Exercise 12-2: word positions kept as byte offsets, which survive every move.

// ANCHOR: solution
use std::ops::Range;

/// A line of text with the place of every word in it. The places are byte ranges:
/// offsets into `text`, which stay right however often the `Line` moves.
struct Line {
    text: String,
    spans: Vec<Range<usize>>,
}

impl Line {
    fn new(text: &str) -> Line {
        let mut spans = Vec::new();
        let mut start = None;
        for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
            match (start, c.is_whitespace()) {
                (None, false) => start = Some(i),
                (Some(s), true) => {
                    spans.push(s..i);
                    start = None;
                }
                _ => {}
            }
        }
        Line {
            text: text.to_string(),
            spans,
        }
    }

    fn word(&self, n: usize) -> Option<&str> {
        self.spans.get(n).map(|span| &self.text[span.clone()])
    }

    fn words(&self) -> impl Iterator<Item = &str> {
        self.spans.iter().map(|span| &self.text[span.clone()])
    }
}

fn main() {
    let line = Line::new("  pinned futures  stay put ");
    let boxed = Box::new(line); // a move to the heap
    let unboxed = *boxed; // and another, back to the stack
    println!("{:?}", unboxed.words().collect::<Vec<_>>());
    println!("word 1: {:?}", unboxed.word(1));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_survive_moves_and_swaps() {
        let mut a = Line::new("one two");
        let mut b = Line::new("three");
        std::mem::swap(&mut a, &mut b);
        assert_eq!(a.word(0), Some("three"));
        assert_eq!(b.word(1), Some("two"));
        assert_eq!(b.word(2), None);
    }

    #[test]
    fn unicode_and_blank_lines() {
        assert_eq!(Line::new("固定 ok").word(0), Some("固定"));
        assert_eq!(Line::new("   ").words().count(), 0);
    }
}
// ANCHOR_END: solution
