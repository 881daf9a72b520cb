//! The command line of `cargo xtask` (`cargo xtask help`), parsed by clap from the definitions
//! below: each job's and option's help, type and default are written once, here, and a misspelt
//! job or option is an error with a suggestion.

use clap::builder::TypedValueParser as _;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug, PartialEq)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "The book's one front door: build it, serve it, test it, measure it",
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub job: Job,
}

#[derive(Subcommand, Debug, PartialEq)]
pub enum Job {
    /// Install missing tools, build the book and serve it at http://localhost:3000 (each translated
    /// edition at /LANG/), rebuilt and reloaded on changes
    Serve,
    /// Install missing tools, then run every check (what CI runs)
    Test {
        /// Run only the steps whose names contain one of these words (e.g. `test PDF browser`)
        #[arg(value_name = "WORD")]
        words: Vec<String>,
    },
    /// Rewrite the checked files from fresh runs
    ///
    /// Every output.txt, the compiler's messages (listings/compile-fail/*.stderr), Miri's outputs
    /// (miri-output.txt) and the type layouts of rustc -Zprint-type-sizes (type-sizes.txt).
    Bless,
    /// Run the benchmarks (listings, kernel, runner, build) and rewrite the tables in src/generated/
    ///
    /// `build` prints how long a full `mdbook build` takes (the median of five); it is a figure,
    /// not a check.
    Bench {
        /// Run only the parts whose names contain one of these words (e.g. `bench runner`)
        #[arg(value_name = "WORD")]
        words: Vec<String>,
    },
    /// Run under Miri the listings it checks (the step `listings under Miri`)
    Miri,
    /// Build every edition's offline PDF into book/pdf/ with headless Chromium, and the site in
    /// book/html: the English pages, each translated edition's under LANG/, each PDF beside them
    Pdf,
    /// Install the pinned tools from ci/tools.toml and the book's own from tools/
    InstallTools,
    /// Boot the companion kernel in QEMU, test it or measure it
    Kernel {
        #[command(subcommand)]
        job: KernelJob,
    },
    /// The translated editions (po/LANG.po): extract the English messages, or update the PO files
    I18n {
        #[command(subcommand)]
        job: I18nJob,
    },
    /// Rebuild the generated theme files
    ///
    /// theme/highlight.js (the chapters' languages only) and theme/fonts/ (mdBook's fonts subset
    /// to the characters the book uses).
    Assets,
    /// Measure every page with the pinned Lighthouse and write target/lighthouse/report.md
    ///
    /// Mobile preset, simulated throttling, pages served with gzip; the median of --runs runs.
    /// The table sits beside the Async Book's figures: measured from the built mdBook folder
    /// given with --anchor (its pages chosen by --anchor-pages), or those recorded in issue 18.
    Lighthouse(LighthouseOptions),
    /// Not for people: the renderer `cargo xtask serve` adds to `mdbook serve`, which builds the
    /// translated editions into the served folder after each build (xtask/src/site.rs)
    #[command(hide = true)]
    TranslationsRenderer,
}

#[derive(Subcommand, Debug, PartialEq)]
pub enum I18nJob {
    /// Write the messages to translate to po/messages.pot (a PO editor's template)
    Extract,
    /// Merge every po/LANG.po with the English as it is now: new messages untranslated, changed
    /// ones fuzzy with their old translation
    Update,
}

#[derive(Subcommand, Debug, PartialEq)]
pub enum KernelJob {
    /// Boot the kernel in QEMU; it echoes what you type in this terminal (Ctrl-D ends it, Ctrl-C
    /// stops QEMU)
    Run {
        /// Boot an optimised build
        #[arg(long)]
        release: bool,
    },
    /// Every kernel test in QEMU, plus the host-side keyboard tests, comparing the serial
    /// transcripts the chapters show
    Test {
        /// Test an optimised build
        #[arg(long)]
        release: bool,
        /// Run the whole suite this many times
        #[arg(
            long,
            value_name = "N",
            default_value_t = 1,
            value_parser = clap::value_parser!(u16).range(1..).map(usize::from),
        )]
        repeat: usize,
    },
    /// Run the tests once (release build, the one the book's figures come from) and rewrite those
    /// transcripts
    Bless {
        /// From a debug build instead
        #[arg(long)]
        debug: bool,
    },
    /// Measure the kernel (release and debug), flood its serial console, and rewrite
    /// src/generated/kernel-*.md
    Bench,
}

#[derive(clap::Args, Debug, PartialEq)]
pub struct LighthouseOptions {
    /// Only the pages whose names contain one of these words
    #[arg(long, value_name = "WORD", num_args = 1..)]
    pub pages: Vec<String>,
    /// Runs per page, whose median is kept
    #[arg(
        long,
        value_name = "N",
        default_value_t = 3,
        value_parser = clap::value_parser!(u8).range(1..=9).map(usize::from),
    )]
    pub runs: usize,
    /// A built mdBook folder (the Async Book's) to measure beside this book
    #[arg(long, value_name = "DIR")]
    pub anchor: Option<PathBuf>,
    /// The anchor's pages, chosen the same way (its names differ from ours) [default: --pages]
    #[arg(long, value_name = "WORD", num_args = 1.., requires = "anchor")]
    pub anchor_pages: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use clap::error::ErrorKind;

    fn parse(line: &str) -> Result<Job, clap::Error> {
        Cli::try_parse_from(["cargo xtask"].into_iter().chain(line.split_whitespace()))
            .map(|cli| cli.job)
    }

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn the_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn each_job_and_its_defaults() {
        let lighthouse = |pages: &str, runs, anchor: Option<&str>, anchor_pages: &str| {
            Job::Lighthouse(LighthouseOptions {
                pages: words(pages),
                runs,
                anchor: anchor.map(PathBuf::from),
                anchor_pages: words(anchor_pages),
            })
        };
        let kernel = |job| Job::Kernel { job };
        for (line, job) in [
            ("serve", Job::Serve),
            ("test", Job::Test { words: vec![] }),
            (
                "test PDF browser",
                Job::Test {
                    words: words("PDF browser"),
                },
            ),
            ("bless", Job::Bless),
            ("bench", Job::Bench { words: vec![] }),
            (
                "bench runner",
                Job::Bench {
                    words: words("runner"),
                },
            ),
            ("miri", Job::Miri),
            ("pdf", Job::Pdf),
            ("install-tools", Job::InstallTools),
            ("assets", Job::Assets),
            (
                "i18n extract",
                Job::I18n {
                    job: I18nJob::Extract,
                },
            ),
            (
                "i18n update",
                Job::I18n {
                    job: I18nJob::Update,
                },
            ),
            ("kernel run", kernel(KernelJob::Run { release: false })),
            (
                "kernel run --release",
                kernel(KernelJob::Run { release: true }),
            ),
            (
                "kernel test",
                kernel(KernelJob::Test {
                    release: false,
                    repeat: 1,
                }),
            ),
            (
                "kernel test --repeat 20 --release",
                kernel(KernelJob::Test {
                    release: true,
                    repeat: 20,
                }),
            ),
            ("kernel bless", kernel(KernelJob::Bless { debug: false })),
            (
                "kernel bless --debug",
                kernel(KernelJob::Bless { debug: true }),
            ),
            ("kernel bench", kernel(KernelJob::Bench)),
            ("lighthouse", lighthouse("", 3, None, "")),
            (
                "lighthouse --pages introduction print --runs 1 --anchor /a",
                lighthouse("introduction print", 1, Some("/a"), ""),
            ),
            (
                "lighthouse --anchor /a --anchor-pages intro --pages print",
                lighthouse("print", 3, Some("/a"), "intro"),
            ),
        ] {
            assert_eq!(parse(line).unwrap(), job, "{line}");
        }
    }

    #[test]
    fn a_misspelt_flag_or_job_fails_with_a_suggestion() {
        for (line, kind, says) in [
            (
                "kernel test --relase", // spellchecker:disable-line
                ErrorKind::UnknownArgument,
                "similar argument exists: '--release'",
            ),
            (
                "tset",
                ErrorKind::InvalidSubcommand,
                "similar subcommands exist: 'assets', 'test'",
            ),
            (
                "kernel tst",
                ErrorKind::InvalidSubcommand,
                "similar subcommand exists: 'test'",
            ),
            (
                "lighthouse --run 2",
                ErrorKind::UnknownArgument,
                "similar argument exists: '--runs'",
            ),
            ("kernel test --repeat 0", ErrorKind::ValueValidation, "0"),
            (
                "kernel test --repeat many",
                ErrorKind::ValueValidation,
                "many",
            ),
            ("lighthouse --runs 10", ErrorKind::ValueValidation, "1..=9"),
            ("lighthouse --pages", ErrorKind::InvalidValue, "--pages"),
            (
                "lighthouse --pages --runs 2",
                ErrorKind::InvalidValue,
                "--pages",
            ),
            ("lighthouse --anchor", ErrorKind::InvalidValue, "--anchor"),
            (
                "lighthouse --anchor-pages intro",
                ErrorKind::MissingRequiredArgument,
                "--anchor",
            ),
            ("serve --now", ErrorKind::UnknownArgument, "--now"),
            (
                "kernel",
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand,
                "run",
            ),
            (
                "",
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand,
                "install-tools",
            ),
        ] {
            let error = parse(line).unwrap_err();
            let text = error.to_string();
            assert_eq!(error.kind(), kind, "{line}: {text}");
            assert!(text.contains(says), "{line}: {text}");
        }
        for line in ["help", "--help", "-h", "help kernel", "kernel test --help"] {
            assert_eq!(
                parse(line).unwrap_err().kind(),
                ErrorKind::DisplayHelp,
                "{line}"
            );
        }
    }

    /// Every `cargo xtask …` the repository's Markdown quotes (in code spans and code blocks) and
    /// .ci/run and the workflows run parses, so the documentation and the command line stay in
    /// step. A synopsis is parsed too, with its brackets dropped and each placeholder (`N`, `DIR`,
    /// `WORD..`) given a value.
    #[test]
    fn every_command_the_documentation_quotes_parses() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap();
        let mut files: Vec<_> = [
            ".ci/run",
            "README.md",
            "CONTRIBUTING.md",
            "kernel/README.md",
            "runner/README.md",
            "tests/browser/README.md",
        ]
        .iter()
        .map(|file| root.join(file))
        .collect();
        files.extend(crate::files::files_with_extension(&root.join("src"), "md").unwrap());
        files.extend(
            crate::files::files_with_extension(&root.join(".github/workflows"), "yml").unwrap(),
        );
        let mut checked = 0;
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            let quoted = if file.extension().is_some_and(|e| e == "md") {
                quoted_commands(&text)
            } else {
                text.lines().map(str::to_string).collect()
            };
            for command in quoted.iter().flat_map(|q| q.lines()).filter_map(|line| {
                let line = line.trim();
                line.strip_prefix("run: ")
                    .unwrap_or(line)
                    .strip_prefix("cargo xtask")
            }) {
                let command = command.split(" #").next().unwrap_or_default();
                let line: Vec<&str> = command
                    .split_whitespace()
                    .map(|word| word.trim_matches(['[', ']']))
                    .filter(|word| !word.is_empty() && *word != "…")
                    .map(|word| {
                        let bare = word.trim_end_matches("..");
                        if !bare.is_empty() && bare.chars().all(|c| c.is_ascii_uppercase()) {
                            "1"
                        } else {
                            word
                        }
                    })
                    .collect();
                // A bare `cargo xtask` (or `cargo xtask …`) names the tool, not a command.
                if line.is_empty() {
                    continue;
                }
                match parse(&line.join(" ")) {
                    Ok(_) => {}
                    // `cargo xtask help …` parses into clap's help, which it reports as an error.
                    Err(error) if error.kind() == ErrorKind::DisplayHelp => {}
                    Err(error) => panic!(
                        "{}: `cargo xtask{command}` does not parse:\n{error}",
                        file.display()
                    ),
                }
                checked += 1;
            }
        }
        assert!(checked > 50, "only {checked} commands found");
    }

    /// The text of every code span and code block of a Markdown file.
    fn quoted_commands(markdown: &str) -> Vec<String> {
        use pulldown_cmark::{Event, Parser};
        let mut quoted = Vec::new();
        let mut in_block = false;
        for event in Parser::new(markdown) {
            match event {
                Event::Code(code) => quoted.push(code.to_string()),
                Event::Start(pulldown_cmark::Tag::CodeBlock(_)) => in_block = true,
                Event::End(pulldown_cmark::TagEnd::CodeBlock) => in_block = false,
                Event::Text(text) if in_block => quoted.push(text.to_string()),
                _ => {}
            }
        }
        quoted
    }
}
