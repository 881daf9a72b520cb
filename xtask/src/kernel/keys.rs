//! Host-side tests of the kernel's keyboard path: keys pressed through QEMU's monitor must come
//! back exactly as typed; keys pressed faster than the kernel drains its queue must be dropped
//! with one message and no crash; bytes typed on the serial console must be echoed too.

use super::qemu::{Boot, Running};
use anyhow::{Context, Result, bail};
use std::path::Path;
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

/// Presses Esc and expects a clean exit; returns how many scancodes the kernel dropped.
fn quit(mut running: Running) -> Result<usize> {
    running.send_keys(&["esc".to_string()], 10, Duration::ZERO)?;
    let finished = running.expect_success()?;
    let dropped = finished
        .output
        .lines()
        .find_map(|l| {
            l.strip_prefix("[keyboard] ")?
                .strip_suffix(" scancodes dropped; bye")
        })
        .and_then(|n| n.parse().ok());
    dropped.with_context(|| format!("the kernel did not say goodbye:\n{}", finished.output))
}

// ANCHOR: echo
/// Types a line on the PS/2 keyboard and expects exactly that line back.
pub fn echo(kernel: &Path, logs: &Path) -> Result<()> {
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
        0 => Ok(()),
        dropped => bail!("the kernel dropped {dropped} scancodes of slow typing"),
    }
}
// ANCHOR_END: echo

// ANCHOR: full_queue
/// Boots with a small keyboard queue that the kernel leaves undrained until it overflows,
/// presses keys as fast as QEMU takes them, and checks the kernel said so and carries on.
pub fn full_queue(kernel: &Path, logs: &Path) -> Result<()> {
    let mut running = boot(kernel, "full queue", "keyboard-stall").start(logs)?;
    running.wait_for("[keyboard] stalled", 1, Duration::from_secs(40))?;
    let burst = keys(&"abcdefghij".repeat(4))?;
    running.send_keys(&burst, 1, Duration::ZERO)?;
    running.wait_for("queue full", 1, Duration::from_secs(10))?;
    running.wait_for(READY, 1, Duration::from_secs(10))?;
    running.settle(Duration::from_millis(300))?;
    // End the line of survivors, then check the keyboard still works as before.
    running.send_keys(&keys("\nafter\n")?, 10, Duration::from_millis(15))?;
    let output = running.wait_for("\nafter\n", 1, Duration::from_secs(10))?;
    // At least one: the kernel says it once each time the queue fills before the task has
    // caught up, and how the burst's keys spread over time is up to QEMU.
    if !output.contains("[keyboard] queue full") {
        bail!("no \"queue full\" message:\n{output}");
    }
    match quit(running)? {
        0 => bail!("the queue overflowed, yet the kernel counted no dropped scancode"),
        _ => Ok(()),
    }
}
// ANCHOR_END: full_queue

/// Types a line on the serial console (the way `cargo xtask kernel run` takes keys).
pub fn serial_console(kernel: &Path, logs: &Path) -> Result<()> {
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
    if !finished.output.contains("bye") {
        bail!("the kernel did not say goodbye:\n{}", finished.output);
    }
    Ok(())
}
