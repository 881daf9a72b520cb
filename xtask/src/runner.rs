//! The local runner (runner/) beside the book, so the Run buttons work offline: building it and
//! starting it with the crates the chapters may use. theme/playground-local.js looks for it on
//! the port after the book's.

use crate::cmd::{Background, Cmd};
use anyhow::{Context, Result, bail};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Builds the runner and ci/book-deps, then starts the runner for a book served on `book_port`
/// of this machine. It stops when the returned handle is dropped (or when xtask ends).
pub fn start(root: &Path, book_port: u16) -> Result<Background> {
    let deps = crate::book::build_book_deps(root)?;
    let binary = build(root)?;
    let port = book_port + 1;
    let mut command = Cmd::new(binary)
        .args(["--port", &port.to_string(), "--exit-with-parent", "--deps"])
        .arg(&deps)
        .dir(root);
    for host in ["localhost", "127.0.0.1"] {
        command = command.args(["--allow-origin", &format!("http://{host}:{book_port}")]);
    }
    for (name, version) in book_crates(root)? {
        command = command.args(["--crate", &format!("{name}={version}")]);
    }
    let mut runner = command.spawn()?;
    wait_for_port(port, &mut runner)?;
    Ok(runner)
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

/// The crates of ci/book-deps/Cargo.toml with the versions Cargo.lock pins.
fn book_crates(root: &Path) -> Result<Vec<(String, String)>> {
    let read = |path: &str| -> Result<toml::Table> {
        let text = std::fs::read_to_string(root.join(path))
            .with_context(|| format!("cannot read {path}"))?;
        toml::from_str(&text).with_context(|| format!("{path} is not valid TOML"))
    };
    let manifest = read("ci/book-deps/Cargo.toml")?;
    let lock = read("Cargo.lock")?;
    let packages = lock
        .get("package")
        .and_then(|p| p.as_array())
        .context("Cargo.lock lists no packages")?;
    let dependencies = manifest
        .get("dependencies")
        .and_then(|d| d.as_table())
        .context("ci/book-deps/Cargo.toml has no [dependencies]")?;
    let mut crates = Vec::new();
    for name in dependencies.keys() {
        let version = packages
            .iter()
            .find(|p| p.get("name").and_then(|n| n.as_str()) == Some(name))
            .and_then(|p| p.get("version"))
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        crates.push((name.clone(), version.to_string()));
    }
    Ok(crates)
}

/// Waits until something listens on the port, failing early if `process` (meant to) exits.
pub fn wait_for_port(port: u16, process: &mut Background) -> Result<()> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if let Some(status) = process.try_status() {
            bail!("`{}` exited ({status}) before it listened", process.name());
        }
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!(
        "`{}` did not listen on port {port} within 30 s",
        process.name()
    )
}
