//! `cargo xtask lighthouse`: a measurement, not a test. It builds the book, serves it with gzip
//! as a static host does (`tests/browser/serve-static.mjs --gzip`, under book.toml's site path),
//! and runs the pinned Lighthouse of `tests/lighthouse/` (mobile preset, simulated throttling:
//! Lighthouse's defaults) with Debian's Chromium on every page: the table of contents' pages,
//! print.html and 404.html, each a few times, keeping the median. It writes the table to
//! `target/lighthouse/report.md` and prints it, with the Async Book's figures beside it: measured
//! in the same run with `--anchor DIR`, otherwise those recorded in issue 18.
//!
//! Offline: Chromium resolves no host name but 127.0.0.1's and sends anything else to a proxy
//! that is not there, so a page that asks for the internet gets nothing; the report lists
//! such requests.

mod report;

use crate::cli::LighthouseOptions;
use crate::cmd::Cmd;
use crate::{book, browser, runner, tools};
use anyhow::{Context, Result, bail};
use regex::Regex;
use report::{Page, Run};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long one Lighthouse run of one page may take: print.html is the slow one.
/// (It took 3.5 minutes once, on a busy machine, before the page-weight work of issue 18.)
const RUN_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Headless Chromium as root with no network: no sandbox, no background traffic, and nothing
/// reaches past this machine (host names other than 127.0.0.1 do not resolve; addresses go to a
/// proxy on the discard port, where nothing listens; Chromium never proxies loopback).
const CHROME_FLAGS: &str = "--headless=new --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-quic \
    --host-resolver-rules='MAP * ~NOTFOUND, EXCLUDE 127.0.0.1' --proxy-server=127.0.0.1:9";

/// One book to measure: its built HTML folder and the path it is served under.
struct Site {
    label: &'static str,
    html: PathBuf,
    site_path: String,
}

/// `cargo xtask lighthouse` (its options: `LighthouseOptions` in cli.rs).
pub fn main(root: &Path, options: &LighthouseOptions) -> Result<()> {
    // A bad --anchor is refused before the minutes of building and installing.
    let anchor = options.anchor.as_deref().map(anchor_html).transpose()?;
    tools::install(root)?;
    tools::require_system(root, "chromium")?;
    tools::require_node()?;
    let package = root.join("tests/lighthouse");
    tools::npm_ci(&package)?;

    let out = root.join("target/lighthouse");
    let built = out.join("book");
    book::build_into(root, &built)?;
    let mut sites = vec![Site {
        label: "this book",
        html: built.join("html"),
        site_path: browser::site_path(root)?,
    }];
    if let Some(html) = anchor {
        sites.push(Site {
            label: "the Async Book",
            html,
            site_path: "/".to_string(),
        });
    }
    // Choose every site's pages first, so a word that matches nothing stops the job at once.
    let chosen: Vec<Vec<(String, bool)>> = sites
        .iter()
        .enumerate()
        .map(|(index, site)| {
            let words = if index > 0 && !options.anchor_pages.is_empty() {
                &options.anchor_pages
            } else {
                &options.pages
            };
            choose(&site.html, words).with_context(|| site.html.display().to_string())
        })
        .collect::<Result<_>>()?;

    let chromium = tools::chromium_path()?;
    let mut measured = Vec::new();
    for (site, pages) in sites.iter().zip(chosen) {
        crate::section(&format!(
            "Lighthouse on {} ({} pages, {} runs each)",
            site.label,
            pages.len(),
            options.runs
        ));
        let runs_dir = out.join("runs").join(site.label.replace(' ', "-"));
        let _ = std::fs::remove_dir_all(&runs_dir);
        std::fs::create_dir_all(&runs_dir)?;
        let port = browser::free_port()?;
        let mut server = Cmd::new("node")
            .arg(root.join("tests/browser/serve-static.mjs"))
            .arg(&site.html)
            .arg(port.to_string())
            .arg(&site.site_path)
            .arg("--gzip")
            .spawn()?;
        runner::wait_for_port(port, &mut server)?;
        let base = format!("http://127.0.0.1:{port}{}", site.site_path);
        let mut results = Vec::new();
        for (index, (name, chapter)) in pages.iter().enumerate() {
            let mut runs = Vec::new();
            for run in 1..=options.runs {
                let json = runs_dir.join(format!("{}-{run}.json", name.replace('/', "__")));
                let figures = measure(&package, &chromium, &format!("{base}{name}.html"), &json)
                    .with_context(|| format!("{} page `{name}`, run {run}", site.label))?;
                eprintln!(
                    "[{}/{}] {name} run {run}: Performance {:.0}, Accessibility {:.0}, CLS {:.3}, TBT {:.0} ms",
                    index + 1,
                    pages.len(),
                    figures.scores[0],
                    figures.scores[1],
                    figures.cls,
                    figures.tbt_ms
                );
                runs.push(figures);
            }
            results.push(Page {
                name: name.clone(),
                chapter: *chapter,
                figures: report::median(&runs),
            });
            // Written after every page, so a run cut short still leaves what it measured.
            let mut so_far: Vec<(&str, &[Page])> = measured
                .iter()
                .map(|(l, p): &(&str, Vec<Page>)| (*l, p.as_slice()))
                .collect();
            so_far.push((site.label, &results));
            let partial = write_report(root, &so_far, options.runs);
            std::fs::write(
                out.join("report.md"),
                format!("(partial: measuring is still under way)\n\n{partial}"),
            )?;
        }
        drop(server);
        measured.push((site.label, results));
    }

    let pages: Vec<(&str, &[Page])> = measured.iter().map(|(l, p)| (*l, p.as_slice())).collect();
    let text = write_report(root, &pages, options.runs);
    std::fs::write(out.join("report.md"), &text)?;
    println!("{text}");
    eprintln!(
        "written to target/lighthouse/report.md (each run's JSON report is in target/lighthouse/runs/)"
    );
    Ok(())
}

/// One Lighthouse run of one page, its JSON report kept at `json`.
fn measure(package: &Path, chromium: &str, url: &str, json: &Path) -> Result<Run> {
    // Lighthouse starts Chromium in a process group of its own, which outlives a Lighthouse that
    // is killed (by the timeout, say); a flag Chromium ignores marks this run's processes, so
    // they can be found and ended.
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let marker = format!(
        "--xtask-lighthouse-run={}-{}",
        std::process::id(),
        RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let result = run_lighthouse(package, chromium, url, json, &marker);
    end_processes_marked(&marker);
    result
}

fn run_lighthouse(
    package: &Path,
    chromium: &str,
    url: &str,
    json: &Path,
    marker: &str,
) -> Result<Run> {
    let out = Cmd::new("node")
        .arg(package.join("node_modules/lighthouse/cli/index.js"))
        .arg(url)
        .args([
            "--output=json",
            "--only-categories=performance,accessibility,best-practices,seo",
            "--no-enable-error-reporting",
            "--quiet",
        ])
        .arg(format!("--output-path={}", json.display()))
        .arg(format!("--chrome-flags={CHROME_FLAGS} {marker}"))
        .env("CHROME_PATH", chromium)
        .dir(package)
        .timeout(RUN_TIMEOUT)
        .quiet()
        .capture()?;
    if !out.status.success() {
        bail!(
            "Lighthouse failed ({}): {}",
            out.status,
            crate::cmd::tail(&out.stderr, 5)
        );
    }
    let text = std::fs::read_to_string(json)
        .with_context(|| format!("Lighthouse wrote no report at {}", json.display()))?;
    report::parse_run(&text).with_context(|| json.display().to_string())
}

/// Part of the lint step of `cargo xtask test`, so the job cannot rot unseen without running it
/// (a full run takes many minutes and is a measurement, not a test): tests/lighthouse pins
/// Lighthouse, and every package it overrides, to one exact version, and package-lock.json
/// installs exactly those.
pub fn check_pins(root: &Path) -> Result<()> {
    let dir = root.join("tests/lighthouse");
    let read = |name: &str| -> Result<serde_json::Value> {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
    };
    let package = read("package.json")?;
    let lock = read("package-lock.json")?;
    let exact = Regex::new(r"^\d+\.\d+\.\d+$").expect("valid regex");
    let mut pins = vec![("lighthouse", &package["devDependencies"]["lighthouse"])];
    if let Some(overrides) = package["overrides"].as_object() {
        pins.extend(
            overrides
                .iter()
                .map(|(name, version)| (name.as_str(), version)),
        );
    }
    for (name, version) in pins {
        let Some(version) = version.as_str().filter(|v| exact.is_match(v)) else {
            bail!(
                "tests/lighthouse/package.json: `{name}` must be pinned to one exact version (x.y.z), not {version}"
            );
        };
        let locked = &lock["packages"][format!("node_modules/{name}")]["version"];
        if locked.as_str() != Some(version) {
            bail!(
                "tests/lighthouse/package-lock.json installs {name} {locked}, not the {version} of package.json: run `npm install` there"
            );
        }
    }
    Ok(())
}

/// Kills every process whose command line holds `marker` (this job's own Chromium, left over).
fn end_processes_marked(marker: &str) {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if cmdline
            .split(|&b| b == 0)
            .any(|arg| arg == marker.as_bytes())
        {
            // SAFETY: sending a signal to a process this job started (it carries our marker).
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

/// The built folder of `--anchor`: DIR itself or its `html/` (an mdBook with several renderers).
fn anchor_html(dir: &Path) -> Result<PathBuf> {
    for html in [dir.join("html"), dir.to_path_buf()] {
        if html.join("print.html").is_file() && html.join("toc.html").is_file() {
            return Ok(html);
        }
    }
    bail!(
        "--anchor {}: not a built mdBook folder (no print.html and toc.html in it or in its html/)",
        dir.display()
    )
}

/// The pages to measure, each with whether it is a chapter page: those of the table of contents
/// (mdBook's `toc.html`) in its order, then every other page but `index.html` (a copy of the first)
/// and `toc.html` itself: print.html and 404.html. With words, only pages whose names contain one.
fn choose(html: &Path, words: &[String]) -> Result<Vec<(String, bool)>> {
    let toc = std::fs::read_to_string(html.join("toc.html")).context("cannot read toc.html")?;
    let link = Regex::new(r##"href="([^"#:]+)\.html(?:#[^"]*)?""##).expect("valid regex");
    let mut pages: Vec<(String, bool)> = Vec::new();
    for found in link.captures_iter(&toc) {
        let name = found[1].to_string();
        if !pages.iter().any(|(seen, _)| *seen == name)
            && html.join(format!("{name}.html")).is_file()
        {
            pages.push((name, true));
        }
    }
    let mut others: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(html)? {
        let file = entry?.file_name().to_string_lossy().into_owned();
        if let Some(name) = file.strip_suffix(".html")
            && !["index", "toc", "print-pdf"].contains(&name)
            && !pages.iter().any(|(seen, _)| seen == name)
        {
            others.push(name.to_string());
        }
    }
    others.sort();
    pages.extend(others.into_iter().map(|name| (name, false)));
    if words.is_empty() {
        return Ok(pages);
    }
    let chosen: Vec<(String, bool)> = pages
        .iter()
        .filter(|(name, _)| words.iter().any(|w| name.contains(w.as_str())))
        .cloned()
        .collect();
    if chosen.is_empty() {
        let names: Vec<&str> = pages.iter().map(|(name, _)| name.as_str()).collect();
        bail!(
            "no page matches {words:?}; the pages are: {}",
            names.join(", ")
        );
    }
    Ok(chosen)
}

fn write_report(root: &Path, measured: &[(&str, &[Page])], runs: usize) -> String {
    let mut text = format!(
        "# Lighthouse\n\nLighthouse {} (tests/lighthouse), mobile preset, simulated throttling, \
         median of {runs} run{} per page (each figure on its own), pages served with gzip from this \
         machine, measured {} with `cargo xtask lighthouse`.\n",
        lighthouse_version(root).unwrap_or_else(|_| "(version unknown)".into()),
        if runs == 1 { "" } else { "s" },
        now()
    );
    for (label, pages) in measured {
        text.push_str(&format!(
            "\n## {label}\n\n{}\n{}",
            report::table(pages),
            report::machine(pages)
        ));
        let offsite = report::offsite(pages);
        if !offsite.is_empty() {
            text.push_str(&format!(
                "\nRequests that tried to leave the machine:\n\n{offsite}"
            ));
        }
    }
    if measured.len() > 1 {
        text.push_str("\n## Side by side\n\n");
        let mut rows = String::new();
        for (label, pages) in measured {
            rows.push_str(&report::summary_row(label, pages));
            for page in pages.iter().filter(|p| p.name == "print") {
                let single = report::table(std::slice::from_ref(page));
                let row = single.lines().last().unwrap_or_default();
                rows.push_str(&row.replacen("| print |", &format!("| {label}: print |"), 1));
                rows.push('\n');
            }
        }
        text.push_str(&report::table(&[]));
        text.push_str(&rows);
    } else {
        text.push_str(&format!("\n## The Async Book\n\n{}", report::recorded()));
    }
    let (_, ours) = measured[0];
    text.push_str(&format!(
        "\n## Goals (issue 18): Performance ≥ 95 on every chapter page, Accessibility and SEO 100\n\n{}",
        report::reasons(ours)
    ));
    text
}

fn lighthouse_version(root: &Path) -> Result<String> {
    let text = std::fs::read_to_string(
        root.join("tests/lighthouse/node_modules/lighthouse/package.json"),
    )?;
    let package: serde_json::Value = serde_json::from_str(&text)?;
    package["version"]
        .as_str()
        .map(str::to_string)
        .context("no version")
}

fn now() -> String {
    Cmd::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .quiet()
        .read()
        .map(|d| d.trim().to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn pins_are_exact_and_locked() {
        let root = std::env::temp_dir().join(format!("xtask-pins-{}", std::process::id()));
        let dir = root.join("tests/lighthouse");
        std::fs::create_dir_all(&dir).unwrap();
        let write = |package: &str, locked: &str| {
            std::fs::write(dir.join("package.json"), package).unwrap();
            std::fs::write(
                dir.join("package-lock.json"),
                format!(
                    r#"{{"packages": {{"node_modules/lighthouse": {{"version": "{locked}"}},
                        "node_modules/third-party-web": {{"version": "0.27.0"}}}}}}"#
                ),
            )
            .unwrap();
        };
        let pinned = r#"{"devDependencies": {"lighthouse": "12.8.2"},
                         "overrides": {"third-party-web": "0.27.0"}}"#;
        write(pinned, "12.8.2");
        check_pins(&root).unwrap();
        write(pinned, "12.8.1");
        let error = format!("{:#}", check_pins(&root).unwrap_err());
        assert!(error.contains("installs lighthouse \"12.8.1\""), "{error}");
        write(&pinned.replace("\"12.8.2\"", "\"^12.8.2\""), "12.8.2");
        let error = format!("{:#}", check_pins(&root).unwrap_err());
        assert!(error.contains("one exact version"), "{error}");
        write(&pinned.replace("\"0.27.0\"", "\"latest\""), "12.8.2");
        let error = format!("{:#}", check_pins(&root).unwrap_err());
        assert!(
            error.contains("`third-party-web` must be pinned"),
            "{error}"
        );
        std::fs::remove_dir_all(root).unwrap();
    }

    #[test]
    fn the_pins_of_this_repository_hold() {
        check_pins(&crate::project_root()).unwrap();
    }

    #[test]
    fn pages_follow_the_table_of_contents_then_print_and_404() {
        let dir = std::env::temp_dir().join(format!("xtask-lighthouse-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("part")).unwrap();
        for file in ["index", "toc", "404", "print", "intro", "part/b", "a"] {
            std::fs::write(dir.join(format!("{file}.html")), "").unwrap();
        }
        std::fs::write(
            dir.join("toc.html"),
            r#"<a href="intro.html">I</a><a href="part/b.html">B</a><a href="a.html#x">A</a>
               <a href="intro.html">again</a><a href="https://example.com/x.html">off</a>"#,
        )
        .unwrap();
        let all = choose(&dir, &[]).unwrap();
        let names: Vec<(&str, bool)> = all.iter().map(|(n, c)| (n.as_str(), *c)).collect();
        assert_eq!(
            names,
            [
                ("intro", true),
                ("part/b", true),
                ("a", true),
                ("404", false),
                ("print", false)
            ]
        );
        let error = format!("{:#}", choose(&dir, &args("nothing")).unwrap_err());
        assert!(
            error.contains("the pages are: intro, part/b, a, 404, print"),
            "{error}"
        );
        assert_eq!(
            choose(&dir, &args("print")).unwrap(),
            [("print".to_string(), false)]
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
