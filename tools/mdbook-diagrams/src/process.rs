//! Child processes, each with a time limit: a child that overruns it is killed and named.

use anyhow::{Context, Result, bail};
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;
use wait_timeout::ChildExt;

/// Runs `command` with no input and returns its standard output. It fails, with the end of the
/// child's standard error, when the child fails, and kills it when it outlives `limit`.
pub fn run_with_timeout(command: &mut Command, limit: Duration) -> Result<Vec<u8>> {
    let name = format!("{:?}", command.get_program());
    // Its own process group, so that a timeout stops its children too (Chromium starts several).
    let mut child = command
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {name} (is it installed?)"))?;
    // Both pipes are read while the child runs, so a child that writes a lot never blocks.
    let mut stdout = child.stdout.take().context("stdout is piped")?;
    let mut stderr = child.stderr.take().context("stderr is piped")?;
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stdout.read_to_end(&mut bytes).map(|_| bytes)
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stderr.read_to_end(&mut bytes).map(|_| bytes)
    });
    let status = match child.wait_timeout(limit)? {
        Some(status) => status,
        None => {
            let group = i32::try_from(child.id()).context("process id")?;
            // SAFETY: kill has no memory-safety preconditions; a negative id names the group.
            unsafe { libc::kill(-group, libc::SIGKILL) };
            let _ = child.wait();
            bail!(
                "{name} did not finish within {} s and was stopped",
                limit.as_secs()
            );
        }
    };
    let out = out.join().expect("reader thread")?;
    let err = err.join().expect("reader thread")?;
    if !status.success() {
        let err = String::from_utf8_lossy(&err);
        let tail: Vec<&str> = err.lines().rev().take(10).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!("{name} failed ({status}):\n{}", tail.join("\n"));
    }
    Ok(out)
}
