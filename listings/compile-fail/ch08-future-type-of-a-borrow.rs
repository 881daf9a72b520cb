use std::future::Future;
// ANCHOR: shown
async fn total<F, Fut>(words: &[String], measure: F) -> usize
where
    F: Fn(&str) -> Fut,
    Fut: Future<Output = usize>, // one type, whatever the word's lifetime
{
    let mut sum = 0;
    for word in words {
        sum += measure(word).await;
    }
    sum
}

async fn vowels(word: &str) -> usize {
    word.chars().filter(|c| "aeiou".contains(*c)).count()
}

fn main() {
    let words = vec!["future".to_string()];
    let _ = total(&words, vowels);
}
// ANCHOR_END: shown
