//! Drawing with mermaid.js itself: one headless Chromium run draws every diagram that is not
//! cached yet. It opens a page made for the purpose (mermaid.js, the book's font, the diagrams
//! and draw.js), which writes its drawings into the page; `--dump-dom` prints the page when
//! nothing is left to run (`--virtual-time-budget` lets timers run at once instead of waiting).

use crate::assets::Assets;
use crate::process::run_with_timeout;
use anyhow::{Context, Result, bail};
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The page's script; part of every cache key, so changing it draws every diagram again.
pub const DRAW_JS: &str = include_str!("draw.js");

/// How long one Chromium run may take, for every diagram of the book at once (about 5 s).
const CHROMIUM_LIMIT: Duration = Duration::from_secs(120);

/// Headless Chromium as root on a machine with no network: no sandbox, no background traffic.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=600000",
    "--dump-dom",
];

/// One drawing to make.
#[derive(Serialize)]
pub struct Job<'a> {
    /// The cache key; the result comes back under it.
    pub key: String,
    /// mermaid's theme: "default" or "dark".
    pub theme: &'static str,
    pub source: &'a str,
}

#[derive(Debug, Deserialize)]
struct Page {
    done: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    results: Vec<Drawn>,
}

#[derive(Debug, Deserialize)]
struct Drawn {
    key: String,
    svg: Option<String>,
    error: Option<String>,
}

/// Draws `jobs` and returns, by key, the SVG or mermaid's error message.
pub fn draw(
    jobs: &[Job],
    assets: &Assets,
    work: &Path,
) -> Result<HashMap<String, Result<String, String>>> {
    let scratch = work.join(format!("draw-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    let result = draw_in(jobs, assets, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn draw_in(
    jobs: &[Job],
    assets: &Assets,
    scratch: &Path,
) -> Result<HashMap<String, Result<String, String>>> {
    let page_path = scratch.join("draw.html");
    std::fs::write(&page_path, page(jobs, assets)?)?;
    // Debian's `chromium` unless $CHROMIUM names another build (as in tests/browser/).
    let chromium = std::env::var_os("CHROMIUM").unwrap_or_else(|| "chromium".into());
    let mut command = Command::new(chromium);
    command
        .args(CHROMIUM_FLAGS)
        .arg(format!(
            "--user-data-dir={}",
            scratch.join("profile").display()
        ))
        .arg(format!("file://{}", page_path.display()));
    let dom = run_with_timeout(&mut command, CHROMIUM_LIMIT)
        .context("headless Chromium could not draw the mermaid diagrams (is `chromium` installed, or $CHROMIUM set to one? `cargo xtask install-tools` installs it on Debian)")?;
    let dom = String::from_utf8_lossy(&dom);
    let page = read_result(&dom)?;
    if !page.done {
        bail!(
            "the drawing page failed: {}",
            page.error.unwrap_or_else(|| "no reason given".into())
        );
    }
    let mut drawn = HashMap::new();
    for result in page.results {
        let outcome = match (result.svg, result.error) {
            (Some(svg), _) => Ok(svg),
            (None, error) => Err(error.unwrap_or_else(|| "no reason given".into())),
        };
        drawn.insert(result.key, outcome);
    }
    if let Some(missing) = jobs.iter().find(|j| !drawn.contains_key(&j.key)) {
        bail!(
            "Chromium returned no drawing for the diagram that begins `{}`",
            first_line(missing.source)
        );
    }
    Ok(drawn)
}

/// The first line of a diagram that is not blank, to name it by.
pub fn first_line(source: &str) -> &str {
    source
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

/// The drawing page: mermaid.js by its file address, the fonts inline (a page opened from a file
/// may not load fonts from other files), the jobs as JSON and draw.js.
fn page(jobs: &[Job], assets: &Assets) -> Result<String> {
    let mut fonts = String::new();
    for (weight, file) in &assets.fonts {
        let bytes =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        let data = base64::engine::general_purpose::STANDARD.encode(bytes);
        fonts.push_str(&format!(
            "@font-face {{ font-family: \"Open Sans\"; font-style: normal; font-weight: {weight}; \
             src: url(data:font/woff2;base64,{data}) format(\"woff2\"); }}\n"
        ));
    }
    // `</` inside the JSON would end the script element early; `<\/` is the same JSON string.
    let jobs = serde_json::to_string(jobs)?.replace("</", "<\\/");
    Ok(format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<style>\n{fonts}body {{ font-family: \"Open Sans\", sans-serif; }}\n</style>\n\
         <script src=\"file://{mermaid}\"></script>\n\
         <script id=\"jobs\" type=\"application/json\">{jobs}</script>\n\
         </head><body><pre id=\"result\"></pre>\n<script>\n{DRAW_JS}</script>\n</body></html>\n",
        mermaid = assets.mermaid_js.display(),
    ))
}

/// The JSON draw.js left in `<pre id="result">` of the dumped page.
fn read_result(dom: &str) -> Result<Page> {
    const START: &str = "<pre id=\"result\">";
    let start = dom
        .find(START)
        .context("Chromium printed no drawing page (see its output)")?
        + START.len();
    let end = dom[start..]
        .find("</pre>")
        .context("the drawing page has no end")?
        + start;
    let text = html_escape::decode_html_entities(&dom[start..end]);
    if text.trim().is_empty() {
        bail!(
            "mermaid did not finish drawing before Chromium printed the page (did mermaid.js load?)"
        );
    }
    serde_json::from_str(&text).context("the drawing page wrote something that is not its JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_result_out_of_the_dumped_page() {
        let dom = "<html><body><pre id=\"result\">{\"done\":true,\"results\":[{\"key\":\"k\",\"svg\":\"&lt;svg&gt;&amp;\"}]}</pre></body></html>";
        let page = read_result(dom).unwrap();
        assert!(page.done);
        assert_eq!(page.results[0].svg.as_deref(), Some("<svg>&"));
        let empty = "<pre id=\"result\"></pre>";
        assert!(
            read_result(empty)
                .unwrap_err()
                .to_string()
                .contains("did not finish")
        );
    }

    #[test]
    fn first_line_skips_blank_lines() {
        assert_eq!(
            first_line("\n  \n  sequenceDiagram\n  A->>B: x"),
            "sequenceDiagram"
        );
    }
}
