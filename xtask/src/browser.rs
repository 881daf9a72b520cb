//! The built book in a real browser: tests/browser/ (Node's test runner driving Debian's headless
//! Chromium through playwright-core) against book/html, served on this machine with the local
//! runner behind its Run buttons. Screenshots land in target/browser-screenshots.

use crate::cmd::Cmd;
use crate::{book, runner, tools};
use anyhow::{Context, Result, bail};
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

pub fn test(root: &Path) -> Result<()> {
    let html = root.join("book/html");
    if !html.join("index.html").exists() {
        bail!("book/html/index.html is missing: build the book first (`mdbook build`)");
    }
    tools::require_system(root, "chromium")?;
    tools::require_node()?;
    let suite = root.join("tests/browser");
    tools::npm_ci(&suite)?;
    let chromium = Cmd::new("sh")
        .args(["-c", "command -v chromium"])
        .quiet()
        .read()?
        .trim()
        .to_string();

    let book_port = free_port_pair()?;
    let site = site_path(root)?;
    let _runner = runner::start(root, book_port)?;
    let mut server = Cmd::new("node")
        .arg(suite.join("serve-static.mjs"))
        .arg(&html)
        .arg(book_port.to_string())
        .arg(&site)
        .spawn()?;
    runner::wait_for_port(book_port, &mut server)?;

    let screenshots = root.join("target/browser-screenshots");
    let _ = std::fs::remove_dir_all(&screenshots);
    std::fs::create_dir_all(&screenshots)?;
    let mut files: Vec<String> = std::fs::read_dir(&suite)?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".test.mjs"))
        .collect();
    files.sort();
    Cmd::new("node")
        .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
        .args(files)
        .dir(&suite)
        .env("BOOK_URL", format!("http://127.0.0.1:{book_port}{site}"))
        .env("BOOK_HTML", &html)
        .env("REPO_ROOT", root)
        .env("SCREENSHOTS", &screenshots)
        .env("CHROMIUM", chromium)
        .timeout(Duration::from_secs(15 * 60))
        .run()
        .context(
            "the browser tests failed (see above; screenshots are in target/browser-screenshots)",
        )
}

/// A free port for the book whose next port is free too (for the runner).
fn free_port_pair() -> Result<u16> {
    for _ in 0..50 {
        let book = TcpListener::bind("127.0.0.1:0")?;
        let port = book.local_addr()?.port();
        if port < u16::MAX && TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return Ok(port);
        }
    }
    bail!("found no two free ports in a row on 127.0.0.1")
}

/// The path the hosted site lives under (book.toml's `site-url`), e.g. `/futures-from-the-ground-up/`.
fn site_path(root: &Path) -> Result<String> {
    let site = book::setting(root, &["output", "html", "site-url"])?.unwrap_or_default();
    let site = site.trim_matches('/');
    Ok(if site.is_empty() {
        "/".to_string()
    } else {
        format!("/{site}/")
    })
}
