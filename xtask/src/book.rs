//! The book itself: testing the code in its chapters, building it with the link check (serving
//! it, with its translated editions: site.rs).

use crate::cmd::Cmd;
use crate::{links, tools};
use anyhow::{Result, bail};
use std::path::Path;
use std::time::Duration;

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
    crate::book_deps::build(root)?;
    crate::plain_mdbook::run(root)
}

/// What a full `mdbook build` (every preprocessor and backend) should take on a quiet machine of
/// this project's size (2 cores), issue 14's 1.5 s: a figure printed beside the measured time,
/// never a pass/fail limit (on a busy machine any wall-clock limit fails for no fault of the book).
const BUILD_AIM: Duration = Duration::from_millis(1500);

/// `mdbook build` (HTML and the linkcheck2 backend), then the `#fragment` check. The time it
/// took is printed; `cargo xtask bench build` measures it better ([`measure_build`]).
pub fn build_and_check_links(root: &Path) -> Result<()> {
    let started = std::time::Instant::now();
    build(root)?;
    eprintln!(
        "mdbook build took {:.2} s (aim: {} s on a quiet machine; `cargo xtask bench build` takes the median of 5)",
        started.elapsed().as_secs_f64(),
        BUILD_AIM.as_secs_f64()
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
    for path in crate::files::files_with_extension(html, "html")? {
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

/// Part of `cargo xtask bench`: the median of five full `mdbook build`s, printed beside
/// [`BUILD_AIM`]. A figure, not a check: it fails only if a build fails.
pub fn measure_build(root: &Path) -> Result<()> {
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
        "mdbook build: median {:.2} s, fastest {:.2} s, slowest {:.2} s (aim: {} s on a quiet machine{})",
        median.as_secs_f64(),
        times[0].as_secs_f64(),
        times[times.len() - 1].as_secs_f64(),
        BUILD_AIM.as_secs_f64(),
        if median > BUILD_AIM {
            "; over it: look for a slow preprocessor or backend, or measure on a quiet machine"
        } else {
            ""
        }
    );
    Ok(())
}

pub fn build(root: &Path) -> Result<()> {
    build_into(root, &root.join("book"))
}

/// `mdbook build` into `dest`: the usual `book/`, or a folder of a check's own that no other
/// step rebuilds under it (the browser suite's).
pub fn build_into(root: &Path, dest: &Path) -> Result<()> {
    build_with(root, dest, &[])
}

/// [`build_into`] with book.toml settings overridden by `MDBOOK_…` variables (`env`).
pub fn build_with(root: &Path, dest: &Path, env: &[(&str, &str)]) -> Result<()> {
    prepare(root)?;
    let mut command = Cmd::new("mdbook")
        .arg("build")
        .arg("--dest-dir")
        .arg(dest)
        .dir(root)
        .env("RUST_BACKTRACE", "0")
        .env("RUST_LIB_BACKTRACE", "0")
        .timeout(Duration::from_secs(5 * 60));
    for (key, value) in env {
        command = command.env(key, value);
    }
    let out = command.capture()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

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
