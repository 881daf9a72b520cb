//! Serial transcripts: what a kernel run must print, kept as a file that the chapters include
//! (`kernel/tests/NAME.serial` for a test kernel; `kernel/transcripts/NAME.serial` for a session
//! the host types into). The comparison is exact once both sides are normalised: addresses
//! become `0x…`, and the figures that change from run to run or between a debug and a release
//! build become `…`: cycles, and the stack bytes a thread touched. Heap bytes are compared as
//! they are: they are the same in every run and in both builds. The measuring kernel's table is
//! compared, the same way, with the one the book shows (`src/generated/kernel-threads-vs-tasks.md`,
//! written by `cargo xtask kernel bench`). `cargo xtask kernel bless` rewrites a transcript from
//! a run, keeping each line whose normalised form did not change as it was.

use crate::listings::unified_diff;
use anyhow::{Context, Result, bail};
use regex::Regex;
use std::path::Path;
use std::sync::LazyLock;

/// Whether a run's transcript is compared with its file or written into it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Compare,
    Bless,
}

static ADDRESS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"0x[0-9a-f]+").expect("pattern"));
static FIGURE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[0-9]+ (Mcycles|cycles|bytes of it used)\b").expect("pattern"));
/// A row of the measuring kernel's table whose figures vary: the stack a thread touched
/// (smaller in a release build), and the switch, in cycles.
static VARYING_ROW: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\| [^|]*(touched|cycles)").expect("pattern"));
/// A figure in a cell of such a row: `| 1216 bytes |`, `| 3527 |`.
static FIGURE_CELL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\| [0-9]+( bytes)? ").expect("pattern"));

/// The text as a transcript file keeps it: addresses written `0x…` (they change with every
/// build, and say nothing to a reader), no spaces at the ends of lines, one newline at the end.
fn as_kept(output: &str) -> String {
    let lines: Vec<String> = output
        .lines()
        .map(|l| ADDRESS.replace_all(l.trim_end(), "0x…").into_owned())
        .collect();
    lines.join("\n").trim().to_string() + "\n"
}

/// One line as compared: measured figures written `…`.
fn normalize_line(line: &str) -> String {
    let line = FIGURE.replace_all(line, "… $1");
    if VARYING_ROW.is_match(&line) {
        FIGURE_CELL.replace_all(&line, "| …$1 ").into_owned()
    } else {
        line.into_owned()
    }
}

/// What is compared: the text as kept, with the measured figures written `…` too.
pub fn normalize(output: &str) -> String {
    as_kept(output)
        .lines()
        .map(|l| normalize_line(l) + "\n")
        .collect()
}

/// What blessing writes: the run as kept, except that a line whose normalised form is the same
/// as the old file's line at the same place keeps its old text, so that the diff of a bless
/// shows only the lines that changed.
fn blessed(old: &str, printed: &str) -> String {
    let old: Vec<&str> = old.lines().collect();
    as_kept(printed)
        .lines()
        .enumerate()
        .map(|(at, line)| match old.get(at) {
            Some(&was) if normalize_line(was) == normalize_line(line) => format!("{was}\n"),
            _ => format!("{line}\n"),
        })
        .collect()
}

/// Compares what `name` printed with the transcript `file` (or, blessing, writes it there).
pub fn check(name: &str, printed: &str, file: &Path, mode: Mode) -> Result<()> {
    if mode == Mode::Bless {
        let old = std::fs::read_to_string(file).unwrap_or_default();
        std::fs::write(file, blessed(&old, printed))
            .with_context(|| format!("{}", file.display()))?;
        eprintln!("wrote {}", file.display());
        return Ok(());
    }
    let expected = std::fs::read_to_string(file).with_context(|| {
        format!(
            "{}: the transcript of {name} is missing (`cargo xtask kernel bless` writes it)",
            file.display()
        )
    })?;
    compare(name, &expected, printed, file, "cargo xtask kernel bless")
}

/// Compares the table that the measuring kernel printed with the table in `file`, the one the
/// book shows: the same rows, in the same order, with the same figures except those that vary.
pub fn check_table(printed: &str, file: &Path) -> Result<()> {
    let table = |text: &str| -> String {
        text.lines()
            .filter(|l| l.starts_with('|'))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    let shown = std::fs::read_to_string(file).with_context(|| {
        format!(
            "{}: missing (`cargo xtask kernel bench` writes it)",
            file.display()
        )
    })?;
    compare(
        "the measuring kernel",
        &table(&shown),
        &table(printed),
        file,
        "cargo xtask kernel bench",
    )
}

fn compare(name: &str, expected: &str, printed: &str, file: &Path, fix: &str) -> Result<()> {
    let (expected, printed) = (normalize(expected), normalize(printed));
    if expected != printed {
        bail!(
            "{name} printed something else than {} (run `{fix}` if the change is meant); \
             normalised:\n{}",
            file.display(),
            unified_diff(&expected, &printed, &file.display().to_string(), name)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_stack_used_and_addresses_vary_words_and_heap_bytes_do_not() {
        let a = "a switch: 21144 cycles between threads, 32802 cycles between tasks\n\
                 a thread: 20613 heap bytes (16 KiB stack, 1216 bytes of it used)\n\
                 test x ... ok (12 Mcycles)\nfault at 0x136e98  \n";
        let b = "a switch: 5 cycles between threads, 7 cycles between tasks\n\
                 a thread: 20613 heap bytes (16 KiB stack, 240 bytes of it used)\n\
                 test x ... ok (3 Mcycles)\nfault at 0x1\n";
        assert_eq!(normalize(a), normalize(b));
        assert_ne!(
            normalize("a task: 224 heap bytes"),
            normalize("a task: 204 heap bytes")
        );
        assert_ne!(
            normalize("1 scancode dropped"),
            normalize("2 scancodes dropped")
        );
        assert_ne!(normalize("test x ... ok"), normalize("test y ... ok"));
    }

    #[test]
    fn only_the_rows_that_vary_are_masked_in_the_table() {
        assert_eq!(
            normalize(
                "| Stack a thread actually touched | 1216 bytes | none |\n| Switch, in cycles | 3527 | 2139 |"
            ),
            normalize(
                "| Stack a thread actually touched | 240 bytes | none |\n| Switch, in cycles | 3 | 4 |"
            )
        );
        assert_ne!(
            normalize("| Heap per task | 20615 bytes | 203 bytes |"),
            normalize("| Heap per task | 20615 bytes | 20300 bytes |")
        );
        assert_ne!(
            normalize("| Heap per task | 20615 bytes |"),
            normalize("| Heap per thread | 20615 bytes |")
        );
    }

    #[test]
    fn bless_keeps_lines_whose_normal_form_is_unchanged() {
        let old = "test a ... ok (24 Mcycles)\ntest b ... ok (3 Mcycles)\n";
        let run = "test a ... ok (186 Mcycles)\ntest c ... ok (4 Mcycles)\nmore\n";
        assert_eq!(
            blessed(old, run),
            "test a ... ok (24 Mcycles)\ntest c ... ok (4 Mcycles)\nmore\n"
        );
    }
}
