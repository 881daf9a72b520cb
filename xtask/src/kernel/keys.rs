//! Host-side tests of the kernel's keyboard path: keys pressed through QEMU's monitor must come
//! back exactly as typed; keys pressed while the kernel leaves its queue undrained must be
//! dropped, counted and reported, with no crash; bytes typed on the serial console must be echoed too, and
//! a paste far larger than the kernel's queue must leave every byte echoed or counted as dropped.

use super::qemu::{Boot, Running};
use anyhow::{Context, Result, bail};
use regex::Regex;
use std::path::Path;
use std::sync::LazyLock;
use std::time::Duration;

const READY: &str = "[keyboard] ready";
const TEXT: &str = "Hello, kernel 42";

/// The QEMU `sendkey` name of a character (US layout), for the characters the tests type.
fn key_name(c: char) -> Result<String> {
    Ok(match c {
        'a'..='z' | '0'..='9' => c.to_string(),
        'A'..='Z' => format!("shift-{}", c.to_ascii_lowercase()),
        ' ' => "spc".into(),
        ',' => "comma".into(),
        '.' => "dot".into(),
        '-' => "minus".into(),
        '\n' => "ret".into(),
        _ => bail!("no sendkey name for {c:?}"),
    })
}

fn keys(text: &str) -> Result<Vec<String>> {
    text.chars().map(key_name).collect()
}

/// The lines the kernel printed after the line that holds the last `marker`.
fn lines_after(output: &str, marker: &str) -> Vec<String> {
    let Some(start) = output.rfind(marker) else {
        return Vec::new();
    };
    let rest = &output[start..];
    rest.lines().skip(1).map(str::to_string).collect()
}

fn boot<'a>(kernel: &'a Path, name: &str, append: &'a str) -> Boot<'a> {
    Boot {
        name: format!("kernel keyboard test `{name}`"),
        kernel,
        append,
        monitor: true,
        timeout: Duration::from_secs(60),
    }
}

/// What the kernel's last line says it dropped: (scancodes, serial bytes).
fn dropped_at_exit(output: &str) -> Result<(usize, usize)> {
    static BYE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?m)^\[keyboard\] bye: ([0-9]+) scancodes? and ([0-9]+) serial bytes? dropped$",
        )
        .expect("pattern")
    });
    let counts = BYE
        .captures(output)
        .and_then(|c| Some((c[1].parse().ok()?, c[2].parse().ok()?)));
    counts.with_context(|| format!("the kernel did not say goodbye:\n{output}"))
}

/// Presses Esc and expects a clean exit; returns what the kernel printed, and how many
/// scancodes it dropped.
fn quit(mut running: Running) -> Result<(String, usize)> {
    running.send_keys(&["esc".to_string()], 10, Duration::ZERO)?;
    let finished = running.expect_success()?;
    let (dropped, _) = dropped_at_exit(&finished.output)?;
    Ok((finished.output, dropped))
}

// ANCHOR: echo
/// Types a line on the PS/2 keyboard and expects exactly that line back; returns the session.
pub fn echo(kernel: &Path, logs: &Path) -> Result<String> {
    let mut running = boot(kernel, "echo", "").start(logs)?;
    running.wait_for(READY, 1, Duration::from_secs(40))?;
    running.send_keys(&keys(&format!("{TEXT}\n"))?, 10, Duration::from_millis(15))?;
    let output = running.wait_for(&format!("{TEXT}\n"), 1, Duration::from_secs(10));
    let output = output.with_context(|| format!("typed {TEXT:?} and pressed Enter"))?;
    let echoed = lines_after(&output, READY);
    if echoed.first().map(String::as_str) != Some(TEXT) {
        bail!("typed {TEXT:?}, the kernel echoed {echoed:?}");
    }
    match quit(running)? {
        (session, 0) => Ok(session),
        (_, dropped) => bail!("the kernel dropped {dropped} scancodes of slow typing"),
    }
}
// ANCHOR_END: echo

// ANCHOR: full_queue
/// Boots with a keyboard queue of 17 scancodes that the kernel leaves undrained until it
/// overflows, and types nine keys: eight fill 16 places, the ninth's press the last one, and
/// its release is dropped. The kernel must say so, carry on echoing, and count one drop at exit.
/// Returns the session.
pub fn full_queue(kernel: &Path, logs: &Path) -> Result<String> {
    let mut running = boot(kernel, "full queue", "keyboard-stall").start(logs)?;
    running.wait_for("[keyboard] stalled", 1, Duration::from_secs(40))?;
    running.send_keys(&keys("abcdefghi")?, 10, Duration::from_millis(15))?;
    running.wait_for(READY, 1, Duration::from_secs(10))?;
    // The task reports the drop once it has emptied the queue.
    running.wait_for("[keyboard] the queue was full", 1, Duration::from_secs(10))?;
    // Check that the keyboard still works as before.
    running.send_keys(&keys("after\n")?, 10, Duration::from_millis(15))?;
    running.wait_for("\nafter\n", 1, Duration::from_secs(10))?;
    match quit(running)? {
        (session, 1) => Ok(session),
        (_, dropped) => bail!("the kernel counted {dropped} dropped scancodes; one was dropped"),
    }
}
// ANCHOR_END: full_queue

/// Types a line on the serial console (the way `cargo xtask kernel run` takes keys); returns
/// the session.
pub fn serial_console(kernel: &Path, logs: &Path) -> Result<String> {
    let mut running = boot(kernel, "serial console", "").start(logs)?;
    running.wait_for(READY, 1, Duration::from_secs(40))?;
    running.type_serial(format!("{TEXT}\r").as_bytes())?;
    let output = running.wait_for(&format!("{TEXT}\n"), 1, Duration::from_secs(10))?;
    let echoed = lines_after(&output, READY);
    if echoed.first().map(String::as_str) != Some(TEXT) {
        bail!("typed {TEXT:?} on the serial console, the kernel echoed {echoed:?}");
    }
    running.type_serial(&[0x04])?; // Ctrl-D
    let finished = running.expect_success()?;
    dropped_at_exit(&finished.output)?;
    Ok(finished.output)
}

/// How many bytes the flood test pastes.
pub const PASTED: usize = 20_000;
/// From the paste to the kernel's exit, the flood test allows this long.
const FLOOD_LIMIT: Duration = Duration::from_secs(30);
/// The kernel's report of the serial bytes dropped so far.
static DROPS_REPORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\[serial\] the queue was full: ([0-9]+) bytes? dropped so far$").expect("pattern")
});

/// What the kernel has done with the pasted bytes so far, from what it sent after `READY`: how
/// many it echoed (the paste is lowercase letters; the kernel's own lines start with `[`), and
/// how many its latest report says it dropped.
fn accounted(output: &str) -> (usize, usize) {
    let (mut echoed, mut dropped) = (0, 0);
    for line in lines_after(output, READY) {
        let report = DROPS_REPORT.captures(&line);
        if let Some(count) = report.and_then(|c| c[1].parse().ok()) {
            dropped = count;
        } else if !line.starts_with('[') {
            echoed += line.bytes().filter(u8::is_ascii_lowercase).count();
        }
    }
    (echoed, dropped)
}

/// The result of a flood: what the kernel sent from the paste on, and what became of the bytes.
pub struct Flood {
    pub output: String,
    pub echoed: usize,
    pub dropped: usize,
}

// ANCHOR: serial_flood
/// Boots with the serial console's queue left undrained until it overflows, pastes `PASTED`
/// bytes into COM1 at once (QEMU takes them as fast as the kernel reads its UART), waits until
/// every byte is either echoed or counted as dropped, then types Ctrl-D and expects a clean exit,
/// all within `FLOOD_LIMIT`. A kernel that freezes under the flood fails on that time limit.
/// What the kernel sent back is read from the socket (see `Running::received`).
pub fn serial_flood(kernel: &Path, logs: &Path) -> Result<Flood> {
    let mut running = boot(kernel, "serial flood", "serial-stall").start(logs)?;
    running.wait_for("[serial] stalled", 1, Duration::from_secs(40))?;
    let paste: Vec<u8> = (b'a'..=b'z').cycle().take(PASTED).collect();
    running.limit(FLOOD_LIMIT);
    running.type_serial(&paste)?;
    running.wait_until_received(
        "echo or count as dropped every pasted byte",
        FLOOD_LIMIT,
        |output| {
            let (echoed, dropped) = accounted(output);
            echoed + dropped >= PASTED
        },
    )?;
    running.type_serial(&[0x04])?; // Ctrl-D
    let output = running.wait_until_received("say goodbye", FLOOD_LIMIT, |output| {
        dropped_at_exit(output).is_ok()
    })?;
    running.expect_success()?;
    let (echoed, dropped) = accounted(&output);
    let (_, dropped_at_exit) = dropped_at_exit(&output)?;
    if echoed + dropped != PASTED || dropped_at_exit != dropped || dropped == 0 {
        bail!(
            "pasted {PASTED} bytes into a stalled queue: the kernel echoed {echoed}, reported \
             {dropped} dropped, and said {dropped_at_exit} at exit"
        );
    }
    Ok(Flood {
        output,
        echoed,
        dropped,
    })
}
// ANCHOR_END: serial_flood

/// The flood's serial output from `READY` on, as the book shows it: echoed lines cut short,
/// and no more than the first and the last few lines.
pub fn flood_transcript(output: &str) -> String {
    const FIRST: usize = 8;
    const LAST: usize = 5;
    let from = output.find(READY).unwrap_or(0);
    let lines: Vec<String> = output[from..]
        .lines()
        .filter(|l| !l.is_empty())
        .map(|line| {
            if line.starts_with('[') || line.len() <= 40 {
                line.to_string()
            } else {
                format!("{}… ({} characters)", &line[..30], line.len())
            }
        })
        .collect();
    let shown = if lines.len() > FIRST + LAST + 1 {
        let left_out = format!("… ({} lines left out)", lines.len() - FIRST - LAST);
        [&lines[..FIRST], &[left_out], &lines[lines.len() - LAST..]].concat()
    } else {
        lines
    };
    shown.iter().map(|l| format!("{l}\n")).collect()
}
