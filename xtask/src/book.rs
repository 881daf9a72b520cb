//! The book itself: serving it, testing the code in its chapters, building it with the link check.

use crate::cmd::Cmd;
use crate::{links, tools};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `cargo xtask serve`.
pub fn serve(root: &Path) -> Result<()> {
    tools::install(root)?;
    prepare(root)?;
    // The Run buttons use it (theme/playground-local.js reads where it is from the file written
    // here); without it they say why, and code never leaves this machine.
    let origins = [
        "http://localhost:3000".to_string(),
        "http://127.0.0.1:3000".to_string(),
    ];
    let runner = crate::runner::start(root, 3001, &origins, &[]);
    let why = match &runner {
        Ok(_) => String::new(),
        Err(error) => {
            eprintln!(
                "warning: the local runner did not start ({error:#}); Run buttons will say so."
            );
            format!("{error:#}")
        }
    };
    crate::runner::write_page_config(&root.join("src"), runner.as_ref().map_err(|_| why.as_str()))?;
    eprintln!("Serving the book at http://localhost:3000 (Ctrl-C stops it).");
    Cmd::new("mdbook")
        .args(["serve", "--hostname", "127.0.0.1", "--port", "3000"])
        .dir(root)
        .run_interactive()
}

/// Everything a build needs that is not in git: tools/mdbook-diagrams draws mermaid's diagrams
/// with headless Chromium.
pub fn prepare(root: &Path) -> Result<()> {
    tools::require_system(root, "chromium")
}

/// `mdbook test` against one build of the crates the chapters use, run through the commands
/// README.md gives readers who use plain mdBook (so they are tested too), and `mdbook serve`.
pub fn test(root: &Path) -> Result<()> {
    prepare(root)?;
    // Clears a stale build of another version out of the folder the README's `-L` names.
    build_book_deps(root)?;
    crate::plain_mdbook::run(root)
}

/// The most a full `mdbook build` (every preprocessor and backend) may take on a quiet machine of
/// this project's size (2 cores). A wall-clock limit is a measurement, not a test: on a busy
/// machine it fails for no fault of the book, so `cargo xtask bench` checks it, not `test`.
const BUILD_BUDGET: Duration = Duration::from_secs(3);

/// `mdbook build` (HTML and the linkcheck2 backend), then the `#fragment` check. The time it
/// took is printed; its budget is checked by `cargo xtask bench` ([`check_build_budget`]).
pub fn build_and_check_links(root: &Path) -> Result<()> {
    let started = std::time::Instant::now();
    build(root)?;
    eprintln!(
        "mdbook build took {:.2} s (its budget, {} s on a quiet machine, is checked by `cargo xtask bench`)",
        started.elapsed().as_secs_f64(),
        BUILD_BUDGET.as_secs()
    );
    let html = root.join("book/html");
    check_diagrams_drawn(&html)?;
    links::check_fragments(&html)
}

/// Every diagram of the built book was finished at build time (tools/mdbook-diagrams): no page
/// holds a mermaid block left for a script to draw, and every svgbob drawing has a `viewBox`,
/// so it scales to the column instead of being cut.
pub fn check_diagrams_drawn(html: &Path) -> Result<()> {
    let svgbob = regex::Regex::new(r#"<svg\b[^>]*class="svgbob"[^>]*>"#).expect("pattern");
    for path in crate::includes::files_with_extension(html, "html")? {
        let page = std::fs::read_to_string(&path)?;
        let name = crate::listings::relative(html, &path);
        if page.contains("class=\"mermaid\"") {
            bail!(
                "{name}: a mermaid diagram was left undrawn (`class=\"mermaid\"`): is the \
                 `diagrams` preprocessor in book.toml, after mermaid?"
            );
        }
        if let Some(tag) = svgbob
            .find_iter(&page)
            .find(|t| !t.as_str().to_lowercase().contains("viewbox="))
        {
            bail!(
                "{name}: an svgbob drawing has no viewBox, so it cannot scale to the column: {}",
                tag.as_str()
            );
        }
    }
    Ok(())
}

/// Part of `cargo xtask bench`: the median of five full `mdbook build`s must stay within
/// [`BUILD_BUDGET`].
pub fn check_build_budget(root: &Path) -> Result<()> {
    crate::section("mdbook build time (median of 5)");
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = std::time::Instant::now();
        build(root)?;
        times.push(started.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    eprintln!(
        "mdbook build: median {:.2} s, fastest {:.2} s, slowest {:.2} s (budget {} s)",
        median.as_secs_f64(),
        times[0].as_secs_f64(),
        times[times.len() - 1].as_secs_f64(),
        BUILD_BUDGET.as_secs()
    );
    if median > BUILD_BUDGET {
        bail!(
            "`mdbook build` took a median {:.2} s, over its budget of {} s: find the slow preprocessor or backend (or run the benchmarks on a quiet machine)",
            median.as_secs_f64(),
            BUILD_BUDGET.as_secs()
        );
    }
    Ok(())
}

pub fn build(root: &Path) -> Result<()> {
    build_into(root, &root.join("book"))
}

/// `mdbook build` into `dest`: the usual `book/`, or a folder of a check's own that no other
/// step rebuilds under it (the browser suite's).
pub fn build_into(root: &Path, dest: &Path) -> Result<()> {
    prepare(root)?;
    let out = Cmd::new("mdbook")
        .arg("build")
        .arg("--dest-dir")
        .arg(dest)
        .dir(root)
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0")
        .timeout(Duration::from_secs(5 * 60))
        .capture()?;
    // mdBook reports a missing include as an ERROR line yet exits 0, and raw HTML it cannot
    // close (`Option<Waker>` outside backticks) as a WARN line while the page renders broken;
    // treat both as the failures they are. (linkcheck2 does fail on a link to a missing file.)
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| {
            l.contains("ERROR") || l.contains("error") || (l.contains("WARN") && l.contains("HTML"))
        })
        .collect();
    if !out.status.success() || !errors.is_empty() {
        eprint!("{}", out.stderr);
        bail!(
            "`mdbook build` failed ({}); the first problem: {}",
            out.status,
            errors.first().unwrap_or(&"see the log above")
        );
    }
    Ok(())
}

/// Builds `ci/book-deps` into a folder of its own and returns its `deps` folder, which then holds
/// exactly one build of each crate (rustdoc refuses "multiple candidates").
pub fn build_book_deps(root: &Path) -> Result<PathBuf> {
    let target = root.join("target/book-deps");
    let deps = target.join("debug/deps");
    let build = || {
        Cmd::new("cargo")
            .args(["build", "--quiet", "-p", "book-deps", "--target-dir"])
            .arg(&target)
            .dir(root)
            .timeout(Duration::from_secs(10 * 60))
            .run()
    };
    build()?;
    if let Some(name) = duplicated_rlib(&deps)? {
        // A leftover build of an older version or feature set: start this folder afresh.
        eprintln!("target/book-deps holds two builds of `{name}`; building it afresh");
        std::fs::remove_dir_all(&target)?;
        build()?;
        if let Some(name) = duplicated_rlib(&deps)? {
            bail!("a fresh build of ci/book-deps holds two builds of `{name}`");
        }
    }
    Ok(deps)
}

/// The name of a crate with more than one `lib<name>-<hash>.rlib` in `dir`, if there is one.
fn duplicated_rlib(dir: &Path) -> Result<Option<String>> {
    let mut seen = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        let Some(stem) = name.strip_suffix(".rlib") else {
            continue;
        };
        let crate_name = stem.rsplit_once('-').map_or(stem, |(name, _hash)| name);
        if !seen.insert(crate_name.to_string()) {
            return Ok(Some(crate_name.trim_start_matches("lib").to_string()));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(pages: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "xtask-diagrams-{}-{}",
            std::process::id(),
            pages.len()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        for (name, html) in pages {
            std::fs::write(dir.join(name), html).unwrap();
        }
        dir
    }

    #[test]
    fn an_undrawn_mermaid_block_or_an_svgbob_drawing_without_a_view_box_fails() {
        let fine = r#"<div class="diagram"><svg viewbox="0 0 9 9" class="svgbob"></svg></div>"#;
        let undrawn = r#"<pre class="mermaid">graph TD</pre>"#;
        let uncut =
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="560" height="176" class="svgbob">"#;
        let ok = built(&[("a.html", fine)]);
        check_diagrams_drawn(&ok).unwrap();
        let left = built(&[("a.html", fine), ("sub/b.html", undrawn)]);
        let error = check_diagrams_drawn(&left).unwrap_err().to_string();
        assert!(
            error.contains("b.html") && error.contains("undrawn"),
            "{error}"
        );
        let cut = built(&[("a.html", fine), ("sub/b.html", fine), ("c.html", uncut)]);
        let error = check_diagrams_drawn(&cut).unwrap_err().to_string();
        assert!(
            error.contains("c.html") && error.contains("no viewBox"),
            "{error}"
        );
        for dir in [ok, left, cut] {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
