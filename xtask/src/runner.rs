//! The local runner (runner/) beside the book, so the Run buttons work offline: building it,
//! starting it with the crates the chapters may use, telling the book's pages where it is, and
//! measuring it (`cargo xtask bench`).
//!
//! The pages learn the runner's address from `local-runner.json` at the book's root, which
//! `cargo xtask serve` writes into `src/` (mdBook copies it into every build; git ignores it) and
//! the browser tests write into the book they serve. theme/playground-local.js reads it on a page
//! of this machine; without it, or with the runner down, Run says so and no code leaves the
//! machine. The hosted site has no such file and uses the public playground.

use crate::cmd::Cmd;
use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The file the pages read, at the root of the built book.
pub const PAGE_CONFIG: &str = "local-runner.json";

/// A runner started by xtask. Dropping it stops it with SIGTERM (it then ends its jobs and
/// removes its folders), and with SIGKILL if it has not stopped within 10 s.
pub struct Runner {
    child: Child,
    pub port: u16,
    /// `(name, version)` of the crates the code may use.
    pub crates: Vec<(String, String)>,
}

impl Drop for Runner {
    fn drop(&mut self) {
        // SAFETY: sends a signal to our own child; touches no memory.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Runner {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Builds the runner and ci/book-deps (book_deps.rs), installs bubblewrap if missing, and starts
/// the runner on `port` (0: a free one) for a book served at these origins. `extra` goes to the
/// runner as is.
pub fn start(root: &Path, port: u16, origins: &[String], extra: &[&str]) -> Result<Runner> {
    crate::tools::require_system(root, "bwrap")?;
    let deps = crate::book_deps::build(root)?;
    let binary = build(root)?;
    let crates = crate::book_deps::crates(root)?;
    let mut command = Command::new(&binary);
    command
        .args(["--port", &port.to_string(), "--exit-with-parent", "--deps"])
        .arg(&deps)
        .args(extra)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    for origin in origins {
        command.args(["--allow-origin", origin]);
    }
    for (name, version) in &crates {
        command.args(["--crate", &format!("{name}={version}")]);
    }
    eprintln!("$ {} (the local runner)", binary.display());
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    // It says `listening on http://127.0.0.1:PORT` once it is ready (after checking its
    // sandbox, which takes a moment), or exits saying why it cannot start.
    let stdout = child.stdout.take().context("the runner's stdout")?;
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = send.send(line);
    });
    let line = receive
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_default();
    let port = line
        .trim()
        .strip_prefix("listening on http://127.0.0.1:")
        .and_then(|p| p.parse().ok());
    match port {
        Some(port) => Ok(Runner {
            child,
            port,
            crates,
        }),
        None => {
            let _ = child.kill();
            let status = child.wait()?;
            bail!("the local runner did not start ({status}; its reason is above)")
        }
    }
}

/// Writes the file that tells the book's pages where the runner is (`runner` None: it could not
/// start, for the reason given), into `dir` (the book's `src/` or a built book).
pub fn write_page_config(dir: &Path, runner: Result<&Runner, &str>) -> Result<()> {
    let config = match runner {
        Ok(runner) => serde_json::json!({
            "runner": runner.url(),
            "crates": runner.crates.iter().map(|(name, version)| serde_json::json!({
                "name": name, "version": version, "id": name.replace('-', "_"),
            })).collect::<Vec<_>>(),
        }),
        Err(why) => serde_json::json!({ "runner": null, "why": why, "crates": [] }),
    };
    let path = dir.join(PAGE_CONFIG);
    std::fs::write(&path, format!("{config:#}\n"))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// `cargo build -p runner`; returns the binary, which sits beside this xtask's own.
fn build(root: &Path) -> Result<PathBuf> {
    Cmd::new("cargo")
        .args(["build", "--quiet", "-p", "runner"])
        .dir(root)
        .timeout(Duration::from_secs(10 * 60))
        .run()?;
    let here = std::env::current_exe().context("cannot find the xtask binary")?;
    let binary = here.with_file_name("runner");
    if !binary.exists() {
        bail!("built the runner, but {} is not there", binary.display());
    }
    Ok(binary)
}

/// Waits until something listens on the port, failing early if `process` (meant to) exits.
pub fn wait_for_port(port: u16, process: &mut crate::cmd::Background) -> Result<()> {
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if let Some(status) = process.try_status() {
            bail!("`{}` exited ({status}) before it listened", process.name());
        }
        if std::net::TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!(
        "`{}` did not listen on port {port} within 30 s",
        process.name()
    )
}

/// The listing the benchmark runs, as a reader's Run button would.
const BENCH_LISTING: &str = "listings/ch02-preemptive-multitasking/listing-02-01-spinning-thread";
/// The table `cargo xtask bench` writes.
const BENCH_TABLE: &str = "src/generated/runner.md";

/// `cargo xtask bench` (and, `quick`, part of `cargo xtask test`): warm Run latency of Listing
/// 2-1 through the sandboxed runner and through an `--insecure` one (the sandbox's cost), and 8
/// runs sent at once, all of which must print the listing's output.txt. The full run writes
/// src/generated/runner.md; the quick one checks it exists.
pub fn bench(root: &Path, quick: bool) -> Result<()> {
    crate::section(&format!(
        "benchmark: the local runner{}",
        if quick { " (quick)" } else { "" }
    ));
    let code = std::fs::read_to_string(root.join(BENCH_LISTING).join("src/main.rs"))?;
    let expected = std::fs::read_to_string(root.join(BENCH_LISTING).join("output.txt"))?;
    let runs = if quick { 3 } else { 40 };
    let origins = ["http://127.0.0.1:1".to_string()];
    // Both runners at once, their runs alternating, so that a change in the machine's load
    // weighs on both alike and their ratio stays meaningful on a shared machine.
    let sandboxed = start(root, 0, &origins, &[])?;
    let insecure = start(root, 0, &origins, &["--insecure"])?;
    let runners = [&sandboxed, &insecure];
    // Warm: the first runs fill the page cache with the toolchain.
    for runner in runners {
        for _ in 0..2 {
            evaluate(runner, &code, &expected)?;
        }
    }
    let mut times = [Vec::new(), Vec::new()];
    for _ in 0..runs {
        for (runner, times) in runners.iter().zip(times.iter_mut()) {
            times.push(evaluate(runner, &code, &expected)?);
        }
    }
    let started = Instant::now();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| evaluate(&sandboxed, &code, &expected)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a client thread panicked"))
            .collect::<Result<Vec<_>>>()
    })?;
    let batch = format!(
        "all 8 succeeded in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let [mut with, mut without] = times;
    with.sort();
    without.sort();
    let at = |times: &[Duration], q: f64| {
        times[((times.len() - 1) as f64 * q).round() as usize].as_secs_f64()
    };
    let rows = [
        format!(
            "| sandboxed | {runs} | {:.2} s | {:.2} s | {:.2} | {batch} |",
            at(&with, 0.5),
            at(&with, 0.95),
            at(&with, 0.5) / at(&without, 0.5)
        ),
        format!(
            "| no sandbox (`--insecure`) | {runs} | {:.2} s | {:.2} s | 1 | — |",
            at(&without, 0.5),
            at(&without, 0.95)
        ),
    ];
    for row in &rows {
        eprintln!("{row}");
    }
    let table = format!(
        "| Runner | Warm runs | p50 | p95 | p50 against no sandbox | 8 runs sent at once |\n|---|---|---|---|---|---|\n{}\n",
        rows.join("\n")
    );
    let file = root.join(BENCH_TABLE);
    if quick {
        if !file.exists() {
            bail!("{BENCH_TABLE} is missing: run `cargo xtask bench` and commit it");
        }
        return Ok(());
    }
    let text = format!(
        "{table}\n{}",
        crate::bench::note(
            "`cargo xtask bench` (Listing 2-1 through `runner/`, compile and run, 2 jobs at once; \
             the two runners' runs alternate)",
            &crate::bench::provenance()?
        )
    );
    std::fs::write(&file, text)?;
    eprintln!("wrote {BENCH_TABLE}");
    Ok(())
}

/// One Run of `code` as book.js sends it; fails unless it prints `expected`. Returns how long
/// the answer took.
fn evaluate(runner: &Runner, code: &str, expected: &str) -> Result<Duration> {
    use std::io::{Read, Write};
    let body = serde_json::json!({ "code": code, "edition": "2024", "version": "stable", "optimize": "0" })
        .to_string();
    let started = Instant::now();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", runner.port))?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    write!(
        stream,
        "POST /evaluate.json HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nOrigin: http://127.0.0.1:1\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        runner.port,
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let took = started.elapsed();
    let json = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    let value: serde_json::Value = serde_json::from_str(json)
        .with_context(|| format!("the runner's answer is not JSON: {answer}"))?;
    let result = value["result"].as_str().unwrap_or_default();
    // An --insecure runner puts a warning line first.
    let result = match result.split_once('\n') {
        Some((first, rest)) if first.contains("--insecure") => rest,
        _ => result,
    };
    if !value["error"].is_null() || result != expected {
        bail!("a Run of {BENCH_LISTING} did not print its output.txt: {answer}");
    }
    Ok(took)
}
