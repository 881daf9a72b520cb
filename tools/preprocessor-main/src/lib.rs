//! The `main` of the book's mdBook preprocessors (tools/mdbook-diagrams,
//! tools/mdbook-hidden-lines): what mdBook asks of a preprocessor's command line, written once.
//!
//! mdBook runs a preprocessor as `mdbook-NAME supports RENDERER`, whose exit status says whether
//! it runs for that renderer (0 yes, 1 no), and then as `mdbook-NAME` with `[context, book]` as
//! JSON on standard input, and reads the book back as JSON from standard output. Any other
//! argument is refused with a usage line. The input is read whole and then parsed: serde_json
//! reading the pipe itself reads a byte at a time, which was over half of mdbook-diagrams' run on
//! a build with every drawing cached. The book goes out in one write. A failure prints one line,
//! `mdbook-NAME: what failed: why`, and exits 1.

use anyhow::{Context, Result, bail};
use mdbook_preprocessor::book::Book;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use std::io::{Read, Write};

/// Runs `preprocessor` as mdBook runs it, with this process's arguments and standard streams,
/// then exits. Its program is `mdbook-` followed by its name.
pub fn main(preprocessor: &dyn Preprocessor) -> ! {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let answer = answer(
        preprocessor,
        &args,
        std::io::stdin().lock(),
        std::io::stdout().lock(),
    );
    std::process::exit(match answer {
        Ok(Answer::Supports(true) | Answer::Preprocessed) => 0,
        Ok(Answer::Supports(false)) => 1,
        Err(error) => {
            eprintln!("{}", failure(preprocessor, &error));
            1
        }
    })
}

/// What one run did, when it did not fail.
#[derive(Debug, PartialEq)]
enum Answer {
    /// `supports RENDERER`: whether it runs for that renderer.
    Supports(bool),
    /// The book was read from `input`, preprocessed and written to `output`.
    Preprocessed,
}

fn program(preprocessor: &dyn Preprocessor) -> String {
    format!("mdbook-{}", preprocessor.name())
}

/// The one line a failure prints: the program, then the error and its causes.
fn failure(preprocessor: &dyn Preprocessor, error: &anyhow::Error) -> String {
    format!("{}: {error:#}", program(preprocessor))
}

fn answer(
    preprocessor: &dyn Preprocessor,
    args: &[String],
    mut input: impl Read,
    mut output: impl Write,
) -> Result<Answer> {
    match args {
        [supports, renderer] if supports == "supports" => {
            return Ok(Answer::Supports(preprocessor.supports_renderer(renderer)?));
        }
        [] => {}
        _ => bail!(
            "usage: {} [supports RENDERER] (mdBook runs it as a preprocessor)",
            program(preprocessor)
        ),
    }
    let mut json = Vec::new();
    input
        .read_to_end(&mut json)
        .context("cannot read the book mdBook sends")?;
    let (ctx, book): (PreprocessorContext, Book) =
        serde_json::from_slice(&json).context("mdBook sent something that is not a book")?;
    drop(json);
    let book = preprocessor.run(&ctx, book)?;
    let json = serde_json::to_vec(&book)?;
    output
        .write_all(&json)
        .and_then(|()| output.flush())
        .context("cannot write the book back to mdBook")?;
    Ok(Answer::Preprocessed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mdbook_preprocessor::book::{BookItem, Chapter};
    use mdbook_preprocessor::config::Config;

    /// Appends "!" to every chapter; runs for html only; fails on a chapter that says "fail".
    struct Shout;

    impl Preprocessor for Shout {
        fn name(&self) -> &str {
            "shout"
        }

        fn run(
            &self,
            _ctx: &PreprocessorContext,
            mut book: Book,
        ) -> mdbook_preprocessor::errors::Result<Book> {
            let mut failed = None;
            book.for_each_chapter_mut(|chapter| {
                if chapter.content == "fail" {
                    failed = Some(chapter.name.clone());
                }
                chapter.content.push('!');
            });
            if let Some(name) = failed {
                return Err(anyhow::anyhow!("cannot shout")
                    .context(format!("in {name}"))
                    .context("in the book"));
            }
            Ok(book)
        }

        fn supports_renderer(&self, renderer: &str) -> mdbook_preprocessor::errors::Result<bool> {
            Ok(renderer == "html")
        }
    }

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    fn book(contents: &[&str]) -> Book {
        let mut book = Book::new();
        for (n, content) in contents.iter().enumerate() {
            book.push_item(Chapter::new(
                &format!("Chapter {n}"),
                content.to_string(),
                format!("ch{n}.md"),
                Vec::new(),
            ));
        }
        book
    }

    fn input(book: &Book) -> Vec<u8> {
        let ctx = PreprocessorContext::new("/book".into(), Config::default(), "html".into());
        serde_json::to_vec(&(ctx, book)).unwrap()
    }

    /// A reader that counts how often it is read.
    struct Counted<'a> {
        bytes: &'a [u8],
        reads: usize,
    }

    impl Read for Counted<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.reads += 1;
            self.bytes.read(buf)
        }
    }

    /// A writer that counts its writes.
    #[derive(Default)]
    struct Written {
        bytes: Vec<u8>,
        writes: usize,
    }

    impl Write for Written {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.writes += 1;
            self.bytes.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn supports_answers_for_each_renderer_and_reads_nothing() {
        for (renderer, runs) in [("html", true), ("test", false)] {
            let mut out = Written::default();
            let answer = answer(&Shout, &args(&["supports", renderer]), &b"x"[..], &mut out);
            assert_eq!(answer.unwrap(), Answer::Supports(runs), "{renderer}");
            assert_eq!(out.writes, 0);
        }
    }

    #[test]
    fn any_other_arguments_get_the_usage_line() {
        for words in [&["bogus"][..], &["supports"], &["supports", "html", "x"]] {
            let error = answer(&Shout, &args(words), &b""[..], Written::default()).unwrap_err();
            assert_eq!(
                error.to_string(),
                "usage: mdbook-shout [supports RENDERER] (mdBook runs it as a preprocessor)",
                "{words:?}"
            );
        }
    }

    #[test]
    fn the_book_is_read_whole_and_written_back_in_one_write() {
        // A long chapter: serde_json reading the stream itself would read it a byte at a time.
        let long = "a".repeat(100_000);
        let json = input(&book(&["one", &long]));
        let mut reader = Counted {
            bytes: &json,
            reads: 0,
        };
        let mut out = Written::default();
        assert_eq!(
            answer(&Shout, &[], &mut reader, &mut out).unwrap(),
            Answer::Preprocessed
        );
        assert!(reader.reads < 50, "{} reads", reader.reads);
        assert_eq!(out.writes, 1);
        let back: Book = serde_json::from_slice(&out.bytes).unwrap();
        let contents: Vec<&str> = back
            .items
            .iter()
            .map(|item| match item {
                BookItem::Chapter(chapter) => chapter.content.as_str(),
                _ => panic!("only chapters went in"),
            })
            .collect();
        assert_eq!(contents, ["one!", &format!("{long}!")]);
    }

    #[test]
    fn a_failure_is_one_line_naming_the_program_and_writes_no_book() {
        let mut out = Written::default();
        let error = answer(&Shout, &[], &input(&book(&["ok", "fail"]))[..], &mut out).unwrap_err();
        assert_eq!(
            failure(&Shout, &error),
            "mdbook-shout: in the book: in Chapter 1: cannot shout"
        );
        assert_eq!(out.writes, 0);
    }

    #[test]
    fn input_that_is_not_a_book_is_refused() {
        let error = answer(&Shout, &[], &b"{\"not\": 1}"[..], Written::default()).unwrap_err();
        let line = failure(&Shout, &error);
        assert!(
            line.starts_with("mdbook-shout: mdBook sent something that is not a book: "),
            "{line}"
        );
        assert!(!line.contains('\n'), "{line}");
    }
}
