//! What `cargo xtask lighthouse` reads out of Lighthouse's JSON reports, the medians it takes,
//! and the Markdown it writes.

use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::fmt::Write;

/// The figures of one Lighthouse run of one page.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The four category scores, 0–100: Performance, Accessibility, Best practices, SEO.
    pub scores: [f64; 4],
    pub cls: f64,
    pub tbt_ms: f64,
    pub lcp_ms: f64,
    /// Bytes over the wire (Lighthouse's `total-byte-weight`: transfer sizes, so after gzip).
    pub bytes: f64,
    /// Why Performance is lost: the failing diagnostics, largest estimated saving first.
    pub opportunities: Vec<String>,
    /// The failing audits of Accessibility and SEO.
    pub failures: Vec<String>,
    /// Requests that tried to leave the machine (blocked: the job runs offline).
    pub offsite: Vec<String>,
    /// Lighthouse's measure of this machine's speed during the run (`environment.benchmarkIndex`):
    /// a busy or slow machine scores low, and its long tasks (TBT) grow.
    pub benchmark_index: f64,
}

pub const CATEGORIES: [&str; 4] = ["performance", "accessibility", "best-practices", "seo"];

/// Reads one Lighthouse JSON report (`--output=json`).
pub fn parse_run(json: &str) -> Result<Run> {
    let report: Value = serde_json::from_str(json).context("not a JSON report")?;
    if let Some(error) = report.get("runtimeError") {
        bail!(
            "Lighthouse could not measure the page: {}",
            error["message"].as_str().unwrap_or("(no message)")
        );
    }
    let mut scores = [0.0; 4];
    for (score, category) in scores.iter_mut().zip(CATEGORIES) {
        *score = report["categories"][category]["score"]
            .as_f64()
            .with_context(|| format!("the report has no {category} score"))?
            * 100.0;
    }
    let audits = &report["audits"];
    let numeric = |id: &str| {
        audits[id]["numericValue"]
            .as_f64()
            .with_context(|| format!("the report has no figure for `{id}`"))
    };
    Ok(Run {
        scores,
        cls: numeric("cumulative-layout-shift")?,
        tbt_ms: numeric("total-blocking-time")?,
        lcp_ms: numeric("largest-contentful-paint")?,
        bytes: numeric("total-byte-weight")?,
        opportunities: opportunities(&report),
        failures: failures(&report),
        offsite: offsite_requests(audits),
        benchmark_index: report["environment"]["benchmarkIndex"]
            .as_f64()
            .unwrap_or(0.0),
    })
}

/// The performance diagnostics that fail (score under 0.9), by estimated saving: milliseconds of
/// FCP, LCP and TBT, a layout shift counted as 1000 ms per 0.1 of CLS (so it ranks high).
fn opportunities(report: &Value) -> Vec<String> {
    let mut found: Vec<(f64, String)> = refs(report, "performance")
        .filter(|r| r["group"].as_str() == Some("diagnostics"))
        .filter_map(|r| {
            let audit = &report["audits"][r["id"].as_str()?];
            if audit["score"].as_f64()? >= 0.9 {
                return None;
            }
            let savings = &audit["metricSavings"];
            let ms = |metric: &str| savings[metric].as_f64().unwrap_or(0.0);
            let weight = ms("FCP").max(ms("LCP")) + ms("TBT") + ms("CLS") * 10_000.0;
            Some((weight, described(audit)))
        })
        .collect();
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    found.into_iter().map(|(_, text)| text).collect()
}

/// The failing audits (score under 1) that count towards Accessibility and SEO.
fn failures(report: &Value) -> Vec<String> {
    ["accessibility", "seo"]
        .into_iter()
        .flat_map(|category| {
            refs(report, category)
                .filter(|r| r["weight"].as_f64().unwrap_or(0.0) > 0.0)
                .filter_map(move |r| {
                    let audit = &report["audits"][r["id"].as_str()?];
                    (audit["score"].as_f64()? < 1.0)
                        .then(|| format!("{category}: {}", described(audit)))
                })
        })
        .collect()
}

fn refs<'a>(report: &'a Value, category: &str) -> impl Iterator<Item = &'a Value> {
    report["categories"][category]["auditRefs"]
        .as_array()
        .map(|refs| refs.iter())
        .into_iter()
        .flatten()
}

/// An audit's title, with its figure ("Est savings of 310 ms") when it has one.
fn described(audit: &Value) -> String {
    let title = audit["title"].as_str().unwrap_or("(untitled audit)");
    match audit["displayValue"].as_str() {
        Some(value) if !value.is_empty() => format!("{title} ({value})"),
        _ => title.to_string(),
    }
}

/// Every request of the page to anything but this machine.
fn offsite_requests(audits: &Value) -> Vec<String> {
    let items = audits["network-requests"]["details"]["items"].as_array();
    items
        .into_iter()
        .flatten()
        .filter_map(|item| item["url"].as_str())
        .filter(|url| url.starts_with("http") || url.starts_with("ws"))
        .filter(|url| !is_local(url))
        .map(str::to_string)
        .collect()
}

fn is_local(url: &str) -> bool {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = after_scheme.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
    if host == "[::1]" || host.starts_with("[::1]:") {
        return true;
    }
    let name = host.split(':').next().unwrap_or("");
    name == "localhost"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The median of each figure over a page's runs (each figure on its own), and the reasons of the
/// run whose Performance score is the median one.
pub fn median(runs: &[Run]) -> Run {
    assert!(!runs.is_empty(), "a page is measured at least once");
    let mid = |values: &mut Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let of = |pick: fn(&Run) -> f64| mid(&mut runs.iter().map(pick).collect());
    let mut by_performance: Vec<&Run> = runs.iter().collect();
    by_performance.sort_by(|a, b| a.scores[0].total_cmp(&b.scores[0]));
    let typical = by_performance[runs.len() / 2];
    let mut offsite: Vec<String> = runs.iter().flat_map(|r| r.offsite.clone()).collect();
    offsite.sort();
    offsite.dedup();
    Run {
        scores: [0, 1, 2, 3].map(|i| mid(&mut runs.iter().map(|r| r.scores[i]).collect())),
        cls: of(|r| r.cls),
        tbt_ms: of(|r| r.tbt_ms),
        lcp_ms: of(|r| r.lcp_ms),
        bytes: of(|r| r.bytes),
        opportunities: typical.opportunities.clone(),
        failures: typical.failures.clone(),
        offsite,
        benchmark_index: of(|r| r.benchmark_index),
    }
}

/// One measured page of a book.
pub struct Page {
    pub name: String,
    /// A page of the book's table of contents (print.html and 404.html are not).
    pub chapter: bool,
    pub figures: Run,
}

/// The goals of issue 18: mobile Performance of at least 95 on every chapter page,
/// Accessibility and SEO 100 on every page.
pub fn misses(page: &Page) -> Vec<&'static str> {
    let [performance, accessibility, _, seo] = page.figures.scores;
    let mut missed = Vec::new();
    if page.chapter && performance.round() < 95.0 {
        missed.push("Performance < 95");
    }
    if accessibility.round() < 100.0 {
        missed.push("Accessibility < 100");
    }
    if seo.round() < 100.0 {
        missed.push("SEO < 100");
    }
    missed
}

const HEADER: &str = "| page | Performance | Accessibility | Best practices | SEO | CLS | TBT (ms) | LCP (s) | transferred (KiB) |\n\
                      |---|--:|--:|--:|--:|--:|--:|--:|--:|\n";

/// The table of one book.
pub fn table(pages: &[Page]) -> String {
    let mut out = String::from(HEADER);
    for page in pages {
        let f = &page.figures;
        let [p, a, b, s] = f.scores.map(|score| format!("{score:.0}"));
        let _ = writeln!(
            out,
            "| {} | {p} | {a} | {b} | {s} | {:.3} | {:.0} | {:.1} | {:.0} |",
            page.name,
            f.cls,
            f.tbt_ms,
            f.lcp_ms / 1000.0,
            f.bytes / 1024.0
        );
    }
    out
}

/// For each page that misses a goal: which, and Lighthouse's reasons.
pub fn reasons(pages: &[Page]) -> String {
    let mut out = String::new();
    for page in pages {
        let missed = misses(page);
        let f = &page.figures;
        // print.html and 404.html have no Performance goal, but why they are slow still matters.
        let slow = f.scores[0].round() < 95.0;
        if missed.is_empty() && !slow {
            continue;
        }
        let what = if missed.is_empty() {
            "Performance < 95, not a goal for this page".to_string()
        } else {
            missed.join(", ")
        };
        let _ = writeln!(out, "- **{}** ({what}):", page.name);
        if slow {
            let top: Vec<&str> = f.opportunities.iter().take(3).map(String::as_str).collect();
            let _ = writeln!(
                out,
                "  top opportunities: {}",
                if top.is_empty() {
                    "none listed".to_string()
                } else {
                    top.join("; ")
                }
            );
        }
        for failure in &f.failures {
            let _ = writeln!(out, "  {failure}");
        }
    }
    if out.is_empty() {
        out.push_str("Every page meets the goals.\n");
    }
    out
}

/// The same figures for the chapter pages taken together (their median), and print.html's.
pub fn summary_row(label: &str, pages: &[Page]) -> String {
    let chapters: Vec<Run> = pages
        .iter()
        .filter(|p| p.chapter)
        .map(|p| p.figures.clone())
        .collect();
    if chapters.is_empty() {
        return String::new();
    }
    let m = median(&chapters);
    let [p, a, b, s] = m.scores.map(|score| format!("{score:.0}"));
    let worst = chapters.iter().map(|r| r.scores[0]).fold(100.0, f64::min);
    format!(
        "| {label}: median chapter page (of {}; lowest Performance {worst:.0}) | {p} | {a} | {b} | {s} | {:.3} | {:.0} | {:.1} | {:.0} |\n",
        chapters.len(),
        m.cls,
        m.tbt_ms,
        m.lcp_ms / 1000.0,
        m.bytes / 1024.0
    )
}

/// The figures the issue recorded (issue 18), shown when the anchor is not measured in the run.
pub fn recorded() -> String {
    let mut out = String::from(
        "Recorded in issue 18 (Lighthouse 12.8, mobile, simulated throttling, median of 3, pages \
         served with gzip; the Async Book, rust-lang/async-book, built with the same mdBook 0.5.4). \
         Pass `--anchor DIR` (a built mdBook folder) to measure it in the same run instead.\n\n\
         | page | ours then: Performance / Accessibility / CLS | Async Book page: Performance / Accessibility / CLS |\n\
         |---|---|---|\n",
    );
    for (page, ours, anchor) in [
        (
            "Introduction",
            "78 / 99 / 0.27",
            "90 / 84 / 0.01 (its introduction)",
        ),
        (
            "ch08 (a mermaid diagram)",
            "75 / 99 / 0.06 (TBT 643 ms)",
            "—",
        ),
        ("ch10", "88 / 99 / 0.01", "91 / 81 / 0.01 (a chapter)"),
        ("ch13", "83 / 99 / 0.20", "86 / 84 / 0.00"),
        (
            "print.html",
            "41 / 100 / 0.27 (TBT 9.2 s)",
            "82 / 79 / 0.01",
        ),
    ] {
        let _ = writeln!(out, "| {page} | {ours} | {anchor} |");
    }
    out
}

/// How fast the machine was while a book was measured: the median of Lighthouse's benchmark index
/// over its pages, and the lowest.
pub fn machine(pages: &[Page]) -> String {
    let mut indexes: Vec<f64> = pages.iter().map(|p| p.figures.benchmark_index).collect();
    if indexes.is_empty() {
        return String::new();
    }
    indexes.sort_by(f64::total_cmp);
    format!(
        "Lighthouse's benchmark index of this machine during these runs: median {:.0}, lowest {:.0} \
         (a quiet desktop scores well over 1000; a lower figure means a busier or slower machine, \
         whose long tasks, and so TBT and Performance, grow).\n",
        indexes[indexes.len() / 2],
        indexes[0]
    )
}

/// Requests that tried to leave the machine, per page (they were blocked).
pub fn offsite(pages: &[Page]) -> String {
    let mut out = String::new();
    for page in pages.iter().filter(|p| !p.figures.offsite.is_empty()) {
        let _ = writeln!(
            out,
            "- {} asked for {} (blocked: the measurement runs offline)",
            page.name,
            page.figures.offsite.join(", ")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report of the shape Lighthouse 12 writes, cut down to what is read here.
    fn report(performance: f64, cls: f64) -> String {
        serde_json::json!({
            "categories": {
                "performance": { "score": performance, "auditRefs": [
                    { "id": "render-blocking-resources", "weight": 0, "group": "diagnostics" },
                    { "id": "layout-shifts", "weight": 0, "group": "diagnostics" },
                    { "id": "font-display", "weight": 0, "group": "diagnostics" },
                    { "id": "cumulative-layout-shift", "weight": 25, "group": "metrics" }
                ]},
                "accessibility": { "score": 0.99, "auditRefs": [
                    { "id": "aria-allowed-role", "weight": 1 },
                    { "id": "unweighted", "weight": 0 }
                ]},
                "best-practices": { "score": 0.82, "auditRefs": [] },
                "seo": { "score": 1, "auditRefs": [] }
            },
            "audits": {
                "cumulative-layout-shift": { "numericValue": cls, "score": 0.5 },
                "total-blocking-time": { "numericValue": 10.0 },
                "largest-contentful-paint": { "numericValue": 1897.5 },
                "total-byte-weight": { "numericValue": 304_666.0 },
                "render-blocking-resources": { "score": 0, "title": "Eliminate render-blocking resources",
                    "displayValue": "Est savings of 310 ms", "metricSavings": { "FCP": 300, "LCP": 300 } },
                "layout-shifts": { "score": 0, "title": "Avoid large layout shifts",
                    "displayValue": "4 layout shifts found", "metricSavings": { "CLS": 0.174 } },
                "font-display": { "score": 1, "title": "All text remains visible" },
                "aria-allowed-role": { "score": 0, "title": "Uses ARIA roles on incompatible elements" },
                "unweighted": { "score": 0, "title": "not counted" },
                "network-requests": { "details": { "items": [
                    { "url": "http://127.0.0.1:4000/book/introduction.html" },
                    { "url": "data:image/svg+xml,<svg/>" },
                    { "url": "https://fonts.example.com/a.woff2" }
                ]}}
            }
        })
        .to_string()
    }

    #[test]
    fn reads_scores_figures_and_reasons() {
        let run = parse_run(&report(0.91, 0.174)).unwrap();
        assert_eq!(run.scores.map(f64::round), [91.0, 99.0, 82.0, 100.0]);
        assert_eq!((run.cls, run.tbt_ms, run.bytes), (0.174, 10.0, 304_666.0));
        // The layout shift ranks above the 310 ms, and a passing audit is not listed.
        assert_eq!(
            run.opportunities,
            [
                "Avoid large layout shifts (4 layout shifts found)",
                "Eliminate render-blocking resources (Est savings of 310 ms)"
            ]
        );
        assert_eq!(
            run.failures,
            ["accessibility: Uses ARIA roles on incompatible elements"]
        );
        assert_eq!(run.offsite, ["https://fonts.example.com/a.woff2"]);
    }

    #[test]
    fn a_runtime_error_or_a_missing_score_is_refused() {
        let error =
            parse_run(r#"{"runtimeError":{"code":"NO_FCP","message":"The page did not paint"}}"#);
        assert!(format!("{:#}", error.unwrap_err()).contains("did not paint"));
        let missing =
            report(0.9, 0.0).replace("\"seo\":{\"auditRefs\":[],\"score\":1}", "\"seo\":{}");
        assert!(format!("{:#}", parse_run(&missing).unwrap_err()).contains("no seo score"));
    }

    #[test]
    fn median_takes_each_figure_on_its_own() {
        let runs: Vec<Run> = [(0.80, 0.30), (0.95, 0.01), (0.90, 0.20)]
            .map(|(p, cls)| parse_run(&report(p, cls)).unwrap())
            .into();
        let m = median(&runs);
        assert_eq!(m.scores[0].round(), 90.0);
        assert_eq!(m.cls, 0.20);
    }

    #[test]
    fn goals_apply_performance_to_chapter_pages_only() {
        let figures = parse_run(&report(0.5, 0.0)).unwrap();
        let page = |chapter| Page {
            name: "print".into(),
            chapter,
            figures: figures.clone(),
        };
        assert_eq!(misses(&page(false)), ["Accessibility < 100"]);
        assert_eq!(
            misses(&page(true)),
            ["Performance < 95", "Accessibility < 100"]
        );
        let text = reasons(&[page(true)]);
        assert!(
            text.contains("top opportunities: Avoid large layout shifts"),
            "{text}"
        );
        let text = reasons(&[page(false)]);
        assert!(text.contains("**print** (Accessibility < 100):"), "{text}");
        assert!(
            text.contains("top opportunities"),
            "a slow print page says why: {text}"
        );
    }

    #[test]
    fn local_addresses() {
        assert!(is_local("http://127.0.0.1:3000/x.html"));
        assert!(is_local("ws://localhost:3000/"));
        assert!(!is_local("https://127.0.0.1.example.com/"));
        assert!(!is_local("http://10.0.0.1/"));
    }
}
