//! The whole site, every edition in it: the English pages at its root and each translated
//! edition's (`po/LANG.po`, built by [`i18n::build`]) under `LANG/`, where the language picker of
//! tools/mdbook-finish points, each edition's PDF beside its pages. [`build`] builds it into a
//! folder ([`build_with_pdfs`] with the PDFs: the browser suite's); [`publish`] writes it to
//! `book/html`, which CI deploys (`cargo xtask pdf`); `cargo xtask serve` serves the same layout
//! ([`serve`]).
//!
//! `mdbook serve` empties its html folder before every rebuild, so an edition copied in once
//! would not survive the first change. Instead `cargo xtask serve` adds a renderer to that
//! `mdbook serve` (`[output.html-translations]`, through mdBook's `MDBOOK_OUTPUT__…` variables;
//! its command is this xtask's hidden `translations-renderer` job, [`render_translations`]),
//! which mdBook runs after `html` and `html-finish` in every build: it builds each edition with
//! [`i18n::build`] and copies its pages under `html/LANG/`. `mdbook serve` sends its live-reload
//! message only when every renderer is done, so a page of either edition reloads once both are
//! rebuilt; the editions' pages carry the same live-reload script (the variable that turns it on
//! reaches their builds too), which listens to the one `mdbook serve`.

use crate::cmd::Cmd;
use crate::{book, i18n, runner};
use anyhow::{Context, Result, bail};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Builds the site into `dest` (`dest/html`: English at its root, each edition under `LANG/`,
/// with its own hidden-lines files, search index and fonts) and returns `dest/html`.
///
/// The English book is built last: tools/mdbook-diagrams keeps in its cache
/// (`target/diagrams/cache`) only the drawings of the last build, and the browser suite compares
/// the English pages' drawings with those.
pub fn build(root: &Path, dest: &Path) -> Result<PathBuf> {
    let mut editions = Vec::new();
    for language in i18n::languages(root)? {
        editions.push((i18n::build(root, &language)?, language));
    }
    book::build_into(root, dest)?;
    let html = dest.join("html");
    for (pages, language) in editions {
        copy_edition(&pages, &html, &language)?;
    }
    Ok(html)
}

/// [`build`], with every edition's PDF (pdf.rs) beside its pages; the PDFs are printed first
/// (each from its edition's own build, `book/html` or `book/LANG/html`), so the site's English
/// book is still the last one built.
pub fn build_with_pdfs(root: &Path, dest: &Path) -> Result<PathBuf> {
    let pdfs = pdfs(root)?;
    let html = build(root, dest)?;
    for (language, pdf) in pdfs {
        let dir = match &language {
            Some(language) => html.join(language),
            None => html.to_path_buf(),
        };
        std::fs::copy(&pdf, dir.join(pdf.file_name().context("a PDF has a name")?))
            .with_context(|| format!("cannot copy {} into {}", pdf.display(), dir.display()))?;
    }
    Ok(html)
}

/// `cargo xtask pdf`: every edition's PDF, and the site CI publishes in `book/html`, each
/// translated edition's pages (its PDF beside them) copied under `LANG/`.
pub fn publish(root: &Path) -> Result<()> {
    let html = root.join("book/html");
    for (language, _) in pdfs(root)? {
        if let Some(language) = language {
            let pages = root.join("book").join(&language).join("html");
            copy_edition(&pages, &html, &language)?;
        }
    }
    eprintln!("the site, every edition and its PDF, is in book/html");
    Ok(())
}

/// The PDF of every edition, English first (`None`), each built with its pages.
fn pdfs(root: &Path) -> Result<Vec<(Option<String>, PathBuf)>> {
    let mut pdfs = vec![(None, crate::pdf::build(root)?)];
    for language in i18n::languages(root)? {
        let pdf = crate::pdf::build_edition(root, &language)?;
        pdfs.push((Some(language), pdf));
    }
    Ok(pdfs)
}

/// Puts an edition's built pages (`pages`) under the site's `html/LANG/`, in place of any there.
fn copy_edition(pages: &Path, html: &Path, language: &str) -> Result<PathBuf> {
    let into = html.join(language);
    if into.exists() {
        std::fs::remove_dir_all(&into)
            .with_context(|| format!("cannot remove the old {}", into.display()))?;
    }
    Cmd::new("cp")
        .arg("-R")
        .arg(pages)
        .arg(&into)
        .timeout(Duration::from_secs(120))
        .quiet()
        .run()
        .with_context(|| format!("cannot copy the {language} edition into {}", into.display()))?;
    Ok(into)
}

/// The renderer `cargo xtask serve` adds to `mdbook serve`, named so that mdBook (which runs
/// renderers in the order of their names) runs it after `html` and `html-finish`.
const RENDERER: &str = "HTML_TRANSLATIONS";

/// `cargo xtask serve`: both editions at http://localhost:3000 (English at `/`, each edition at
/// `/LANG/`), rebuilt and reloaded when a chapter, listing or PO file changes, with the local
/// runner behind the Run buttons of both.
pub fn serve(root: &Path) -> Result<()> {
    crate::tools::install(root)?;
    book::prepare(root)?;
    // The Run buttons use it (theme/playground-local.js reads where it is from the file written
    // here, in src/, so that every edition has it); without it they say why, and code never
    // leaves this machine.
    let origins = [
        "http://localhost:3000".to_string(),
        "http://127.0.0.1:3000".to_string(),
    ];
    let runner = runner::start(root, 3001, &origins, &[]);
    let why = match &runner {
        Ok(_) => String::new(),
        Err(error) => {
            eprintln!(
                "warning: the local runner did not start ({error:#}); Run buttons will say so."
            );
            format!("{error:#}")
        }
    };
    runner::write_page_config(&root.join("src"), runner.as_ref().map_err(|_| why.as_str()))?;
    let editions = i18n::languages(root)?;
    eprintln!(
        "Serving the book at http://localhost:3000{} (Ctrl-C stops it).",
        editions
            .iter()
            .map(|l| format!(", the {l} edition at http://localhost:3000/{l}/"))
            .collect::<String>()
    );
    serve_command(root, 3000, None)?.run_interactive()
}

/// `mdbook serve` on `port` of 127.0.0.1 with the translations renderer, into `dest` (`book/`
/// when `None`).
fn serve_command(root: &Path, port: u16, dest: Option<&Path>) -> Result<Cmd> {
    let xtask = std::env::current_exe().context("cannot find the xtask binary")?;
    let renderer = serde_json::json!({
        "command": format!("{} translations-renderer", xtask.display()),
    });
    let mut command = Cmd::new("mdbook")
        .args([
            "serve",
            "--hostname",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .dir(root)
        .env(format!("MDBOOK_OUTPUT__{RENDERER}"), renderer.to_string())
        // The editions' pages get mdBook's live-reload script too (see the module's notes).
        .env("MDBOOK_OUTPUT__HTML__LIVE_RELOAD_ENDPOINT", LIVE_RELOAD);
    if let Some(dest) = dest {
        command = command.arg("--dest-dir").arg(dest);
    }
    Ok(command)
}

/// mdBook 0.5.4's live-reload address (its `serve` sets it for the English build).
const LIVE_RELOAD: &str = "__livereload";

/// The hidden job `cargo xtask translations-renderer`, run by `mdbook serve` as a renderer
/// (see the module's notes): reads the render context mdBook sends, then builds every edition and
/// copies its pages into the served html folder, the 404 page's `<base>` made the served one
/// (`mdbook serve` serves at `/`, not at the site's path). In an edition's own build (which
/// inherits the variable that adds this renderer) it does nothing.
pub fn render_translations(root: &Path) -> Result<()> {
    let mut context = String::new();
    std::io::stdin()
        .read_to_string(&mut context)
        .context("cannot read the render context from stdin")?;
    if std::env::var_os("MDBOOK_BOOK__LANGUAGE").is_some() {
        return Ok(());
    }
    #[derive(serde::Deserialize)]
    struct Context {
        destination: PathBuf,
    }
    let context: Context = serde_json::from_str(&context)
        .context("stdin is not an mdBook render context (`mdbook serve` runs this job)")?;
    let html = context
        .destination
        .parent()
        .context("the renderer's folder has no parent")?
        .join("html");
    let site = crate::book_toml::read(root)?.site_path()?;
    for language in i18n::languages(root)? {
        let into = copy_edition(&i18n::build(root, &language)?, &html, &language)?;
        let page = into.join("404.html");
        let text = std::fs::read_to_string(&page)
            .with_context(|| format!("the {language} edition has no 404.html"))?;
        let built = format!("<base href=\"{site}{language}/\">");
        if !text.contains(&built) {
            bail!("{}: no `{built}`: update xtask/src/site.rs", page.display());
        }
        std::fs::write(
            &page,
            text.replace(&built, &format!("<base href=\"/{language}/\">")),
        )?;
    }
    Ok(())
}

/// Part of the test step `translated editions`: `cargo xtask serve`'s `mdbook serve` (on a free
/// port, into a folder of its own, without the runner) serves the first page of every edition,
/// each page's language picker pointing at a page the server has.
pub fn check_serve(root: &Path) -> Result<()> {
    let languages = i18n::languages(root)?;
    if languages.is_empty() {
        return Ok(());
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let dest = root.join("target/serve-check");
    let mut server = serve_command(root, port, Some(&dest))?.spawn()?;
    // mdbook serve listens once its first build, every renderer's, is done: from its first
    // answer on, every edition's pages are there.
    let started = Instant::now();
    let mut last = String::from("no answer");
    loop {
        if let Some(status) = server.try_status() {
            bail!("`cargo xtask serve`'s mdbook serve exited ({status}) before it served a page");
        }
        if started.elapsed() > Duration::from_secs(300) {
            bail!("`cargo xtask serve` served no /index.html within 300 s (last: {last})");
        }
        match crate::plain_mdbook::fetch(port, "/index.html") {
            Ok(page) if page.starts_with("HTTP/1.1 200") => break,
            Ok(page) => last = page.lines().next().unwrap_or("").to_string(),
            Err(error) => last = error.to_string(),
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let mut editions = vec![String::new()];
    editions.extend(languages.iter().map(|l| format!("{l}/")));
    for edition in &editions {
        let path = format!("/{edition}index.html");
        let page = crate::plain_mdbook::fetch(port, &path)?;
        if !page.starts_with("HTTP/1.1 200") {
            bail!(
                "`cargo xtask serve` serves the English pages but answers {path} with {}: are the \
                 translated editions built into its folder (site.rs, `translations-renderer`)?",
                page.lines().next().unwrap_or("nothing")
            );
        }
        let targets = picker_targets(&page);
        if targets.len() != editions.len() - 1 {
            bail!(
                "`cargo xtask serve`'s {path} has {} language picker links, not {}",
                targets.len(),
                editions.len() - 1
            );
        }
        for target in targets {
            let url = resolve(&path, &target);
            let answer = crate::plain_mdbook::fetch(port, &url)?;
            if !answer.starts_with("HTTP/1.1 200") {
                bail!(
                    "`cargo xtask serve`'s {path}: its language picker links {target}, which answers {}",
                    answer.lines().next().unwrap_or("nothing")
                );
            }
        }
    }
    eprintln!(
        "cargo xtask serve's mdbook serve answered on port {port} with every edition's first page \
         ({}), each picker's target served",
        editions
            .iter()
            .map(|e| format!("/{e}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// The `href`s of a page's language picker links.
fn picker_targets(page: &str) -> Vec<String> {
    page.split("<a class=\"language-picker\" href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

/// `href` relative to the page at `path` (both `/`-separated, without a `<base>`).
fn resolve(path: &str, href: &str) -> String {
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop();
    for piece in href.split('/') {
        match piece {
            ".." => {
                if parts.len() > 1 {
                    parts.pop();
                }
            }
            "." => {}
            piece => parts.push(piece),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_a_picker_link_against_its_page() {
        assert_eq!(
            resolve("/index.html", "zh-CN/index.html"),
            "/zh-CN/index.html"
        );
        assert_eq!(resolve("/zh-CN/index.html", "../index.html"), "/index.html");
        let page = "<a class=\"language-picker\" href=\"../a.html\" hreflang=\"en\">English</a>";
        assert_eq!(picker_targets(page), ["../a.html"]);
        assert!(picker_targets("<a href=\"x\">").is_empty());
    }
}
