//! The `<script>` elements mdBook ends every page with for `additional-js` files, taken off the
//! pages that do not need them.
//!
//! mdBook 0.5.4 ends every page with a `<script>` element for each `additional-js` file, after
//! book.js. Two lists in this renderer's section of book.toml name files for which that is wrong:
//!
//! - `head-scripts`: files theme/head.hbs loads in each page's `<head>`, because they must run
//!   before book.js (theme/playground-local.js, theme/back-forward-cache.js) or on print.html only
//!   (theme/print-page.js). They are in `additional-js` so that mdBook copies them into the book
//!   (as `<name>-<hash>.js`); the elements at the end of each page are taken out (print-page.js,
//!   4 KB, was fetched by every page for nothing and the other two ran twice), the ones in
//!   `<head>` stay.
//! - `code-scripts`: files that only act on Rust code blocks (theme/code-editor.js,
//!   theme/hidden-lines.js, 25 KB together): taken off the pages that hold no Rust block (the
//!   404 page, the glossary, the reading list), kept everywhere else.
//!
//! Checked, failing the build with the file or the page named: each listed file is in
//! `additional-js` (else mdBook would not copy it), listed once and in one list only; every
//! head-script is loaded in some page's `<head>` (else taking the other elements out would leave
//! it loaded nowhere) and no code-script is; every page that loads book.js holds exactly one
//! element for each listed file after book.js, and a page that does not (mdBook's toc.html) holds
//! none outside its `<head>`.

use crate::pages::Page;
use crate::search_scripts::{Element, file_name, is_copy_of, script_elements};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// Which pages keep the element at the end of the page for the files of one list.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum List {
    /// `head-scripts`: none (`<head>` loads them).
    Head,
    /// `code-scripts`: the pages with a Rust code block.
    Code,
}

impl List {
    /// The key in this renderer's section of book.toml.
    pub fn key(self) -> &'static str {
        match self {
            List::Head => "head-scripts",
            List::Code => "code-scripts",
        }
    }

    /// Whether `html`, a page, keeps its elements for this list's files.
    fn keeps(self, html: &str) -> bool {
        match self {
            List::Head => false,
            List::Code => html.contains(RUST_CODE),
        }
    }
}

/// How every Rust code block of a page starts: mdBook's `<code class="language-rust…">`, which
/// tools/mdbook-hidden-lines writes the same way for the blocks it rewrites.
const RUST_CODE: &str = "<code class=\"language-rust";

/// A file of `additional-js`, split the way mdBook names its copy: `theme/print-page.js` is
/// copied as `theme/print-page-<hash>.js`.
struct Script<'a> {
    path: &'a str,
    /// `theme/`, or empty.
    folder: &'a str,
    stem: &'a str,
    /// `.js`.
    suffix: &'a str,
}

impl<'a> Script<'a> {
    fn new(path: &'a Path) -> Result<Script<'a>> {
        let path = path
            .to_str()
            .with_context(|| format!("{} is not UTF-8", path.display()))?;
        let name = file_name(path);
        let folder = &path[..path.len() - name.len()];
        let Some(dot) = name.find('.').filter(|&dot| dot > 0) else {
            bail!("{path} has no extension: which file of additional-js is it?");
        };
        Ok(Script {
            path,
            folder,
            stem: &name[..dot],
            suffix: &name[dot..],
        })
    }

    /// Whether a page's `src` (relative to the page: `../` as often as the page is deep) is
    /// mdBook's copy of this file.
    fn is_loaded_by(&self, src: &str) -> bool {
        let mut from_root = src;
        while let Some(rest) = from_root.strip_prefix("../") {
            from_root = rest;
        }
        from_root
            .strip_prefix(self.folder)
            .is_some_and(|file| is_copy_of(file, self.stem, self.suffix))
    }
}

const BOOK_JS: Script<'static> = Script {
    path: "book.js",
    folder: "",
    stem: "book",
    suffix: ".js",
};

/// Takes the `<script>` elements of the `lists`' files out of the end of the pages that do not
/// keep them (see [`List`]); says how many it took from each list. `additional_js` is
/// `[output.html]`'s, `section` this renderer's section of book.toml, for the messages.
pub fn finish(
    pages: &mut [Page],
    lists: &[(List, &[PathBuf])],
    additional_js: &[PathBuf],
    section: &str,
) -> Result<Vec<usize>> {
    let mut scripts: Vec<(List, Script)> = Vec::new();
    for &(list, listed) in lists {
        let key = list.key();
        for path in listed {
            if !additional_js.contains(path) {
                bail!(
                    "[output.{section}] {key} lists {}, which is not in [output.html] additional-js: \
                     mdBook would not copy it into the book",
                    path.display()
                );
            }
            let script = Script::new(path).with_context(|| format!("[output.{section}] {key}"))?;
            if let Some((other, _)) = scripts.iter().find(|(_, s)| s.path == script.path) {
                bail!(
                    "[output.{section}] {} lists {} twice",
                    if *other == list {
                        key.to_string()
                    } else {
                        format!("{} and {key}", other.key())
                    },
                    script.path
                );
            }
            scripts.push((list, script));
        }
    }
    let mut in_some_head = vec![false; scripts.len()];
    let mut taken = vec![0; lists.len()];
    if scripts.is_empty() {
        return Ok(taken);
    }
    for page in pages.iter_mut() {
        let rewritten = rewrite(&page.html, &scripts).with_context(|| page.name.clone())?;
        for (seen, in_head) in in_some_head.iter_mut().zip(rewritten.in_head) {
            *seen |= in_head;
        }
        for (count, &(list, _)) in taken.iter_mut().zip(lists) {
            *count += rewritten.taken.iter().filter(|&&l| l == list).count();
        }
        page.set(rewritten.html);
    }
    for ((list, script), in_head) in scripts.iter().zip(&in_some_head) {
        match (list, in_head) {
            (List::Head, false) => bail!(
                "{}, listed in [output.{section}] {}, is loaded in no page's <head>: theme/head.hbs \
                 must load it, or taking the elements at the end of the pages out leaves it loaded nowhere",
                script.path,
                list.key()
            ),
            (List::Code, true) => bail!(
                "{}, listed in [output.{section}] {}, is loaded in a page's <head>, where it is not \
                 taken off the pages without Rust code: list it in one place",
                script.path,
                list.key()
            ),
            _ => {}
        }
    }
    Ok(taken)
}

struct Rewritten {
    html: String,
    /// For each script, whether the page's `<head>` loads it.
    in_head: Vec<bool>,
    /// The list of each element taken out.
    taken: Vec<List>,
}

fn rewrite(html: &str, scripts: &[(List, Script)]) -> Result<Rewritten> {
    let Some(head_end) = html.find("</head>") else {
        bail!("has no </head>");
    };
    let elements = script_elements(html);
    let book_js: Vec<&Element> = elements
        .iter()
        .filter(|e| BOOK_JS.is_loaded_by(&e.src))
        .collect();
    let book_js = match book_js[..] {
        [] => None,
        [one] => Some(one),
        _ => bail!("loads book.js {} times", book_js.len()),
    };
    let mut in_head = Vec::new();
    let mut doomed: Vec<(&Element, List)> = Vec::new();
    for &(list, ref script) in scripts {
        let (head, body): (Vec<&Element>, Vec<&Element>) = elements
            .iter()
            .filter(|e| script.is_loaded_by(&e.src))
            .partition(|e| e.start < head_end);
        in_head.push(!head.is_empty());
        match (book_js, &body[..]) {
            (Some(book_js), [one]) if one.start > book_js.start => {
                if !list.keeps(html) {
                    doomed.push((one, list));
                }
            }
            (Some(_), _) => {
                let after = body
                    .iter()
                    .filter(|e| e.start > book_js.map_or(0, |b| b.start))
                    .count();
                bail!(
                    "expected one <script> element for {} after book.js (mdBook's, for \
                     additional-js), found {after} after it and {} in the <body> in all",
                    script.path,
                    body.len()
                );
            }
            (None, []) => {}
            (None, _) => bail!(
                "loads no book.js but has {} <script> elements for {} outside its <head>",
                body.len(),
                script.path
            ),
        }
    }
    doomed.sort_by_key(|(e, _)| e.start);
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    for (element, _) in &doomed {
        out.push_str(&html[at..element.start]);
        at = element.end;
    }
    out.push_str(&html[at..]);
    Ok(Rewritten {
        html: out,
        in_head,
        taken: doomed.into_iter().map(|(_, list)| list).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str =
        "<head>\n        <script src=\"../theme/early-0a1b2c3d.js\"></script>\n    </head>";
    const BODY: &str = "\n    <body>\n        <script src=\"../book-609e4cb8.js\"></script>\n\n        \
        <script src=\"../theme/other-11111111.js\"></script>\n        \
        <script src=\"../theme/early-0a1b2c3d.js\"></script>\n        \
        <script src=\"../theme/late-22222222.js\"></script>\n    </body>";

    fn page(name: &str, html: &str) -> Page {
        Page {
            name: name.to_string(),
            path: PathBuf::from(name),
            html: html.to_string(),
            changed: false,
        }
    }

    fn paths(list: &[&str]) -> Vec<PathBuf> {
        list.iter().map(PathBuf::from).collect()
    }

    fn run(pages: &mut [Page], listed: &[&str]) -> Result<usize> {
        Ok(run_lists(pages, listed, &[])?[0])
    }

    /// Finishes with `head` as head-scripts and `code` as code-scripts.
    fn run_lists(pages: &mut [Page], head: &[&str], code: &[&str]) -> Result<Vec<usize>> {
        let additional = paths(&["theme/other.js", "theme/early.js", "theme/late.js"]);
        let (head, code) = (paths(head), paths(code));
        let lists = [(List::Head, head.as_slice()), (List::Code, code.as_slice())];
        finish(pages, &lists, &additional, "html-finish")
    }

    /// The error, with its context, of finishing these pages (name, html).
    fn failure(pages: &[(&str, &str)], listed: &[&str]) -> String {
        let mut pages: Vec<Page> = pages.iter().map(|(name, html)| page(name, html)).collect();
        format!("{:#}", run(&mut pages, listed).unwrap_err())
    }

    #[test]
    fn takes_the_element_after_book_js_out_and_keeps_the_head_s() {
        let mut pages = [page("a/b.html", &format!("{HEAD}{BODY}"))];
        assert_eq!(run(&mut pages, &["theme/early.js"]).unwrap(), 1);
        let expected = format!(
            "{HEAD}\n    <body>\n        <script src=\"../book-609e4cb8.js\"></script>\n\n        \
            <script src=\"../theme/other-11111111.js\"></script>\n        \
            <script src=\"../theme/late-22222222.js\"></script>\n    </body>"
        );
        assert_eq!(pages[0].html, expected);
        assert!(pages[0].changed);
    }

    #[test]
    fn leaves_a_page_without_book_js_alone() {
        let toc = format!("{HEAD}<body></body>");
        let mut pages = [
            page("toc.html", &toc),
            page("x.html", &format!("{HEAD}{BODY}")),
        ];
        assert_eq!(run(&mut pages, &["theme/early.js"]).unwrap(), 1);
        assert!(!pages[0].changed);
    }

    #[test]
    fn refuses_a_file_that_is_not_in_additional_js() {
        let error = failure(
            &[("x.html", &format!("{HEAD}{BODY}"))],
            &["theme/missing.js"],
        );
        assert!(
            error.contains("[output.html-finish] head-scripts lists theme/missing.js")
                && error.contains("additional-js"),
            "{error}"
        );
    }

    #[test]
    fn refuses_a_file_no_head_loads() {
        let error = failure(&[("x.html", &format!("{HEAD}{BODY}"))], &["theme/late.js"]);
        assert!(
            error.starts_with("theme/late.js, listed in [output.html-finish] head-scripts, is loaded in no page's <head>"),
            "{error}"
        );
    }

    #[test]
    fn names_the_page_whose_element_is_missing_or_doubled() {
        let missing = format!("{HEAD}{BODY}").replace(
            "theme/early-0a1b2c3d.js\"></script>\n        <script src=\"../theme/late",
            "theme/late",
        );
        let whole = format!("{HEAD}{BODY}");
        let pages = [("x.html", whole.as_str()), ("ch02.html", missing.as_str())];
        let error = failure(&pages, &["theme/early.js"]);
        assert_eq!(
            error,
            "ch02.html: expected one <script> element for theme/early.js after book.js (mdBook's, \
             for additional-js), found 0 after it and 0 in the <body> in all"
        );
        let doubled = format!("{HEAD}{BODY}").replace("late-22222222", "early-0a1b2c3d");
        let error = failure(&[("ch03.html", &doubled)], &["theme/early.js"]);
        assert!(
            error.starts_with("ch03.html: expected one") && error.contains("found 2 after it"),
            "{error}"
        );
        let in_toc =
            format!("{HEAD}<body><script src=\"theme/early-0a1b2c3d.js\"></script></body>");
        let error = failure(&[("toc.html", &in_toc)], &["theme/early.js"]);
        assert!(
            error.starts_with("toc.html: loads no book.js but has 1"),
            "{error}"
        );
    }

    #[test]
    fn takes_code_scripts_off_the_pages_without_rust_code_only() {
        let with_code = format!(
            "{HEAD}<main><pre><code class=\"language-rust hidden-lines=x\">fn f() {{}}</code></pre></main>{BODY}"
        );
        let console = format!(
            "{HEAD}<main><pre><code class=\"language-console\">$ ls</code></pre></main>{BODY}"
        );
        let mut pages = [page("a.html", &with_code), page("404.html", &console)];
        let taken = run_lists(&mut pages, &["theme/early.js"], &["theme/late.js"]).unwrap();
        assert_eq!(taken, [2, 1]);
        assert!(pages[0].html.contains("theme/late-22222222.js"));
        assert!(!pages[1].html.contains("theme/late-22222222.js"));
        assert!(pages[1].html.contains("theme/other-11111111.js"));

        let error = format!(
            "{:#}",
            run_lists(&mut [page("x.html", &console)], &[], &["theme/early.js"]).unwrap_err()
        );
        assert!(
            error.starts_with("theme/early.js, listed in [output.html-finish] code-scripts, is loaded in a page's <head>"),
            "{error}"
        );
        let error = format!(
            "{:#}",
            run_lists(
                &mut [page("x.html", &console)],
                &["theme/early.js"],
                &["theme/early.js"]
            )
            .unwrap_err()
        );
        assert_eq!(
            error,
            "[output.html-finish] head-scripts and code-scripts lists theme/early.js twice"
        );
    }

    #[test]
    fn recognizes_the_copies_of_a_listed_file_only() {
        let early = Script::new(Path::new("theme/early.js")).unwrap();
        assert!(early.is_loaded_by("theme/early-0a1b2c3d.js"));
        assert!(early.is_loaded_by("../../theme/early.js"));
        assert!(!early.is_loaded_by("early-0a1b2c3d.js"));
        assert!(!early.is_loaded_by("theme/earlyx-0a1b2c3d.js"));
        assert!(!early.is_loaded_by("other/theme/early-0a1b2c3d.js"));
        assert!(BOOK_JS.is_loaded_by("../book-609e4cb8.js"));
        assert!(!BOOK_JS.is_loaded_by("theme/book-609e4cb8.js"));
    }
}
