//! The built book in a real browser: tests/browser/ (Node's test runner driving Debian's headless
//! Chromium through playwright-core) against the built book, served on this machine with the local
//! runner behind its Run buttons (the pages are told where it is, as `cargo xtask serve` tells
//! them). It builds what it tests first: the whole site (English and every translated edition
//! under `LANG/`, site.rs), into target/browser-book, and the PDF the pages link to. Screenshots land in target/browser-screenshots.

use crate::cmd::Cmd;
use crate::{runner, site, tools};
use anyhow::{Context, Result};
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

pub fn test(root: &Path) -> Result<()> {
    // The book this suite tests is built here, into a folder of its own, so it never tests what
    // an earlier step (or an earlier edit) left in book/html, and no other build replaces it
    // while the suite runs.
    // The whole site: English at its root, each translated edition under LANG/. The
    // introduction links the offline PDF, which the hosted site serves beside the pages (each
    // edition's its own).
    let built = root.join("target/browser-book");
    let html = site::build_with_pdfs(root, &built)?;
    // The suite reads SUMMARY.md through xtask's reading of it (mdBook's own parser).
    let summary = built.join("summary.json");
    crate::summary::write_json(&crate::book_toml::read(root)?.src_dir(root), &summary)?;
    tools::require_system(root, "chromium")?;
    tools::require_node()?;
    let suite = root.join("tests/browser");
    tools::npm_ci(&suite)?;
    let chromium = tools::chromium_path()?;

    let book_port = free_port()?;
    let site = site_path(root)?;
    let origins = [format!("http://127.0.0.1:{book_port}")];
    let runner = runner::start(root, 0, &origins, &[])?;
    // As `cargo xtask serve` does, the pages of every edition are told where the runner is.
    runner::write_page_config(&html, Ok(&runner))?;
    for language in crate::i18n::languages(root)? {
        runner::write_page_config(&html.join(language), Ok(&runner))?;
    }
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
        .env("BOOK_SUMMARY", &summary)
        .env("SCREENSHOTS", &screenshots)
        .env("CHROMIUM", chromium)
        .env("RUNNER_URL", runner.url())
        // A hang detector, not a budget: the suite takes minutes on a quiet machine, and several
        // times as long on a loaded one (the accessibility pass alone took 6 minutes at a load
        // of 30 on 2 cores; every translated edition's pages are checked too, about twice the
        // pages since zh-CN).
        .timeout(Duration::from_secs(75 * 60))
        .run()
        .context(
            "the browser tests failed (see above; screenshots are in target/browser-screenshots)",
        )
}

/// A port of 127.0.0.1 that is free now.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The path the hosted site lives under (book.toml's `site-url`), e.g. `/futures-from-the-ground-up/`.
pub fn site_path(root: &Path) -> Result<String> {
    crate::book_toml::read(root)?.site_path()
}
