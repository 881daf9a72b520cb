//! Code that must not compile, and the compiler's message for it. Each `compile_fail` block of a
//! chapter includes a file of `listings/compile-fail/`; the `.stderr` file beside it, shown in a
//! `text` block right after, is what rustc prints for it (the convention of rustc's UI tests and
//! trybuild). `cargo xtask test` compiles each file as `mdbook test` does and compares;
//! `cargo xtask bless` rewrites the `.stderr` files.

use crate::cmd::Cmd;
use crate::listings::{relative, unified_diff};
use anyhow::{Context, Result, bail};
use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use regex::Regex;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

/// Where the files live, relative to the repository's root.
const DIR: &str = "listings/compile-fail";

/// One file that must not compile.
struct Case {
    /// `listings/compile-fail/NAME.rs`, relative to the root (so messages name it that way).
    source: String,
    stderr: PathBuf,
}

fn cases(root: &Path) -> Result<Vec<Case>> {
    let mut cases = Vec::new();
    for source in crate::files::files_with_extension(&root.join(DIR), "rs")? {
        cases.push(Case {
            stderr: source.with_extension("stderr"),
            source: relative(root, &source),
        });
    }
    if cases.is_empty() {
        bail!(
            "{DIR}/ holds no .rs file; the chapters' compile_fail blocks include them from there"
        );
    }
    Ok(cases)
}

/// The step of `cargo xtask test`: every message is what the compiler prints today.
pub fn check(root: &Path) -> Result<()> {
    let deps = crate::book_deps::build(root)?;
    let cases = cases(root)?;
    let mut problems = Vec::new();
    for case in &cases {
        let actual = compile(root, &deps, case)?;
        let expected = std::fs::read_to_string(&case.stderr).unwrap_or_default();
        if expected != actual {
            problems.push(format!(
                "{}: the compiler's message changed\n{}",
                relative(root, &case.stderr),
                unified_diff(&expected, &actual, "checked-in .stderr", "rustc prints")
            ));
        }
    }
    if !problems.is_empty() {
        bail!(
            "{}\nIf the new messages are right, run `cargo xtask bless` and review the diff \
             (and the chapter's text around each block).",
            problems.join("\n")
        );
    }
    eprintln!(
        "{} compile_fail files fail with the message in their .stderr",
        cases.len()
    );
    Ok(())
}

/// `cargo xtask bless`: rewrites every `.stderr` from a fresh compile.
pub fn bless(root: &Path) -> Result<()> {
    let deps = crate::book_deps::build(root)?;
    for case in cases(root)? {
        let actual = compile(root, &deps, &case)?;
        if std::fs::read_to_string(&case.stderr).ok().as_deref() != Some(actual.as_str()) {
            std::fs::write(&case.stderr, &actual)
                .with_context(|| format!("cannot write {}", case.stderr.display()))?;
            eprintln!("blessed {}", relative(root, &case.stderr));
        }
    }
    Ok(())
}

/// Compiles one file as `mdbook test` compiles a chapter's block (same rustc, edition, crates
/// and `#![allow(unused)]` that rustdoc adds) and returns its normalised message. Compiling
/// successfully is an error: the chapter says it does not.
fn compile(root: &Path, deps: &Path, case: &Case) -> Result<String> {
    let edition = crate::book_toml::read(root)?.edition()?;
    let scratch = root.join("target/compile-fail");
    std::fs::create_dir_all(&scratch)?;
    let out = Cmd::new("rustc")
        .args([
            "--edition",
            &edition,
            "--crate-type",
            "bin",
            "--emit",
            "metadata",
        ])
        .args(["--color", "never", "-A", "unused", "-L"])
        .arg(deps)
        // Print the standard library's files as `/rustc/<commit>/…` whether or not the rust-src
        // component is installed, so the message does not depend on it.
        .arg("-Ztranslate-remapped-path-to-local-path=no")
        .env("RUSTC_BOOTSTRAP", "1")
        .arg("--out-dir")
        .arg(&scratch)
        .arg(&case.source)
        .dir(root)
        .timeout(Duration::from_secs(120))
        .quiet()
        .capture()?;
    if out.status.success() {
        bail!(
            "{} compiles, but the chapter shows it as code that must not compile",
            case.source
        );
    }
    if out.stderr.contains("error: internal compiler error") {
        bail!("{}: rustc crashed:\n{}", case.source, out.stderr);
    }
    Ok(normalise(&out.stderr))
}

/// Replaces what changes from machine to machine, or with every compiler release, by fixed
/// words: the commit in standard-library paths, the cargo registry's folder, and line and column
/// numbers in files that are not the book's.
fn normalise(stderr: &str) -> String {
    static RUST: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"/rustc/[0-9a-f]{40}/(\S+?):\d+:\d+").expect("pattern"));
    static REGISTRY: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\S*/registry/src/[^/\s]+/(\S+?):\d+:\d+").expect("pattern"));
    let text = RUST.replace_all(stderr, "$$RUST/$1:LL:COL");
    let text = REGISTRY.replace_all(&text, "$$CARGO/$1:LL:COL");
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim_end().to_string() + "\n"
}

/// A fenced code block of a chapter.
struct Block {
    line: usize,
    info: String,
    body: String,
}

fn code_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for (event, range) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                current = Some(Block {
                    line: text[..range.start].lines().count() + 1,
                    info: info.to_string(),
                    body: String::new(),
                })
            }
            Event::Text(body) => {
                if let Some(block) = current.as_mut() {
                    block.body.push_str(&body);
                }
            }
            Event::End(TagEnd::CodeBlock) => blocks.extend(current.take()),
            _ => {}
        }
    }
    blocks
}

/// For the include check: every `compile_fail` block includes one file of `listings/compile-fail/`
/// and is followed by a `text` block including its `.stderr`, which names the block's error code
/// (where rustc gives one);
/// every file there is shown exactly once. Returns the problems found, each naming its place.
pub fn check_chapters(root: &Path) -> Result<Vec<String>> {
    static SOURCE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\{\{#rustdoc_include \.\./listings/compile-fail/([a-z0-9-]+)\.rs(:[a-z0-9_-]+)?\}\}$")
            .expect("pattern")
    });
    let mut problems = Vec::new();
    let mut shown: Vec<String> = Vec::new();
    for chapter in crate::files::files_with_extension(&root.join("src"), "md")? {
        let text = std::fs::read_to_string(&chapter)?;
        let blocks = code_blocks(&text);
        for (index, block) in blocks.iter().enumerate() {
            if !block.info.split(',').any(|word| word == "compile_fail") {
                continue;
            }
            let at = format!("{}:{}", relative(root, &chapter), block.line);
            let code = block.info.split(',').find(|w| is_error_code(w));
            let Some(name) = SOURCE.captures(block.body.trim()).map(|c| c[1].to_string()) else {
                problems.push(format!(
                    "{at}: a compile_fail block holds only `{{{{#rustdoc_include ../{DIR}/NAME.rs}}}}` \
                     (optionally `:anchor`), so that its message is checked"
                ));
                continue;
            };
            let want = format!("{{{{#include ../{DIR}/{name}.stderr}}}}");
            match blocks.get(index + 1) {
                Some(next) if next.info == "text" && next.body.trim() == want => {}
                _ => problems.push(format!(
                    "{at}: the compile_fail block of {name}.rs must be followed by \
                     ```text {want} ```, the compiler's message"
                )),
            }
            let stderr = root.join(DIR).join(format!("{name}.stderr"));
            let message = std::fs::read_to_string(&stderr).unwrap_or_default();
            problems.extend(code_problem(&at, &name, code, &message));
            if shown.contains(&name) {
                problems.push(format!("{at}: {name}.rs is shown twice"));
            }
            shown.push(name);
        }
    }
    let dir = root.join(DIR);
    for file in crate::files::files_with_extension(&dir, "rs")? {
        let name = file
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        if !shown.contains(&name) {
            problems.push(format!(
                "{DIR}/{name}.rs: no chapter's compile_fail block includes it"
            ));
        }
        if !file.with_extension("stderr").exists() {
            problems.push(format!(
                "{DIR}/{name}.rs: has no .stderr (run `cargo xtask bless`)"
            ));
        }
    }
    for file in crate::files::files_with_extension(&dir, "stderr")? {
        if !file.with_extension("rs").exists() {
            problems.push(format!("{}: has no .rs beside it", relative(root, &file)));
        }
    }
    Ok(problems)
}

/// A block names the error code its message gives: `E0277` when the message has an
/// `error[E0277]`, and none only when rustc gives none (its "future cannot be sent between
/// threads safely" has no code), so that rustdoc checks the code wherever there is one.
fn code_problem(at: &str, name: &str, code: Option<&str>, message: &str) -> Option<String> {
    match code {
        Some(code) if !message.contains(&format!("error[{code}]")) => Some(format!(
            "{at}: the block says {code}, but {DIR}/{name}.stderr has no error[{code}]"
        )),
        None if message.contains("error[E") => Some(format!(
            "{at}: a compile_fail block names no error code, but {DIR}/{name}.stderr has one \
             (write it after compile_fail, E0277 say)"
        )),
        _ => None,
    }
}

fn is_error_code(word: &str) -> bool {
    word.len() == 5 && word.starts_with('E') && word[1..].chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_change_between_machines_and_releases_are_replaced() {
        let stderr = "note: required by a bound in `Pin::<Ptr>::into_inner`\n  --> \
            /rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/pin.rs:1210:4   \n\
            ::: /root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pin-project-lite-0.2.16/src/lib.rs:10:5\n\
            --> listings/compile-fail/ch13-into-inner.rs:15:49\n\n";
        assert_eq!(
            normalise(stderr),
            "note: required by a bound in `Pin::<Ptr>::into_inner`\n  --> \
             $RUST/library/core/src/pin.rs:LL:COL\n\
             ::: $CARGO/pin-project-lite-0.2.16/src/lib.rs:LL:COL\n\
             --> listings/compile-fail/ch13-into-inner.rs:15:49\n"
        );
    }

    #[test]
    fn a_block_names_the_code_its_message_gives() {
        let coded = "error[E0277]: `Rc<u8>` cannot be sent between threads safely\n";
        let uncoded = "error: future cannot be sent between threads safely\n";
        assert_eq!(code_problem("ch.md:1", "x", Some("E0277"), coded), None);
        assert_eq!(code_problem("ch.md:1", "x", None, uncoded), None);
        assert!(code_problem("ch.md:1", "x", None, coded).is_some());
        assert!(code_problem("ch.md:1", "x", Some("E0277"), uncoded).is_some());
        assert!(code_problem("ch.md:1", "x", Some("E0308"), coded).is_some());
    }

    #[test]
    fn finds_fenced_blocks_also_inside_lists() {
        let text = "para\n\n```rust,compile_fail,E0277\n{{#rustdoc_include x.rs}}\n```\n\n\
                    1. item\n\n   ```text\n   out\n   ```\n";
        let blocks = code_blocks(text);
        assert_eq!(blocks.len(), 2);
        assert_eq!(
            (blocks[0].line, blocks[0].info.as_str()),
            (3, "rust,compile_fail,E0277")
        );
        assert_eq!(
            (blocks[1].info.as_str(), blocks[1].body.as_str()),
            ("text", "out\n")
        );
    }
}
