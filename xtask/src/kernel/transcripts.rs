//! Serial transcripts: what a kernel run must print, kept as a file that the chapters include
//! (`kernel/tests/NAME.serial` for a test kernel; `kernel/transcripts/NAME.serial` for a session
//! the host types into, and for the measuring kernel). The comparison is exact once both sides
//! are normalised: addresses become `0x…` and measured figures (cycles, heap bytes, stack bytes
//! used, the figures in the cells of the measuring kernel's table) become `…`, since those
//! change from run to run and between a debug and a release build. `cargo xtask kernel bless`
//! rewrites the files from a run, with addresses as `0x…` and the figures of that run.

use super::qemu::indent;
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
static FIGURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[0-9]+ (Mcycles|cycles|heap bytes|bytes of it used)\b").expect("pattern")
});
/// A figure in a cell of the measuring kernel's Markdown table: `| 20615 bytes |`, `| 3527 |`.
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

/// What is compared: the text as kept, with the measured figures written `…` too.
pub fn normalize(output: &str) -> String {
    let text = FIGURE.replace_all(&as_kept(output), "… $1").into_owned();
    FIGURE_CELL.replace_all(&text, "| …$1 ").into_owned()
}

/// Compares what `name` printed with the transcript `file` (or, blessing, writes it there).
pub fn check(name: &str, printed: &str, file: &Path, mode: Mode) -> Result<()> {
    if mode == Mode::Bless {
        std::fs::write(file, as_kept(printed)).with_context(|| format!("{}", file.display()))?;
        eprintln!("wrote {}", file.display());
        return Ok(());
    }
    let expected = std::fs::read_to_string(file).with_context(|| {
        format!(
            "{}: the transcript of {name} is missing (`cargo xtask kernel bless` writes it)",
            file.display()
        )
    })?;
    let printed = normalize(printed);
    if normalize(&expected) != printed {
        bail!(
            "{name} printed something else than its transcript {} (run `cargo xtask kernel \
             bless` if the change is meant).\nExpected (normalised):\n{}Printed (normalised):\n{}",
            file.display(),
            indent(&normalize(&expected)),
            indent(&printed)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_and_addresses_vary_words_do_not() {
        let a = "a switch: 21144 cycles between threads, 32802 cycles between tasks\n\
                 test x ... ok (12 Mcycles)\nfault at 0x136e98  \n";
        let b = "a switch: 5 cycles between threads, 7 cycles between tasks\n\
                 test x ... ok (3 Mcycles)\nfault at 0x1\n";
        assert_eq!(normalize(a), normalize(b));
        assert_ne!(
            normalize("1 scancode dropped"),
            normalize("2 scancodes dropped")
        );
        assert_ne!(normalize("test x ... ok"), normalize("test y ... ok"));
        assert_eq!(
            normalize("| Heap per task | 20615 bytes | 223 bytes |\n| Switch | 3527 | 2139 |"),
            normalize("| Heap per task | 1 bytes | 2 bytes |\n| Switch | 3 | 4 |")
        );
        assert_ne!(
            normalize("| Heap per task | 20615 bytes |"),
            normalize("| Heap per thread | 20615 bytes |")
        );
    }
}
