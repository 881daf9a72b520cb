//! mdBook's search scripts, loaded when a reader opens search instead of on every page.
//!
//! mdBook 0.5.4 ends every page with `<script>` elements for `elasticlunr-<hash>.min.js`,
//! `mark-<hash>.min.js` and `searcher-<hash>.js` (its templates/index.hbs), about 56 KB that every
//! page downloads and runs although most readers never search. This job takes those three
//! elements out of each page and gives their addresses, as the page wrote them, to the loader
//! (`theme/search-loader.js`, which book.toml's `additional-js` puts on every page) in a
//! `data-search-scripts` attribute on its `<script>` element. The loader adds them, in the same
//! order, when the reader opens search (see that file). mdBook's files are not changed.
//!
//! An edition in Chinese, Japanese or Korean gets one more script, `theme/search-cjk.js`, which
//! cuts a query as its index was cut (`crate::search_cjk`): this job copies it from the book's
//! folder into the HTML book's `theme/`, named after its content as mdBook names its copies, and
//! lists it right after elasticlunr. The English edition's pages do not change.

use crate::pages::Page;
use anyhow::{Context, Result, bail};
use std::path::Path;

/// The loader's file in `additional-js`, and the start of the name mdBook gives its copy.
pub const LOADER: &str = "theme/search-loader.js";
/// The script a CJK edition's search needs, in the book's folder.
pub const CJK_SCRIPT: &str = "theme/search-cjk.js";
const LOADER_NAME: &str = "search-loader";
/// mdBook's search scripts, in the order its pages load them: the name each file's hashed copy
/// starts with, and how it ends.
const SCRIPTS: [(&str, &str); 3] = [
    ("elasticlunr", ".min.js"),
    ("mark", ".min.js"),
    ("searcher", ".js"),
];
const OPEN: &str = "<script src=\"";
const CLOSE: &str = "\"></script>";

/// Copies [`CJK_SCRIPT`] from the book's folder `root` into the HTML book `html`, under the
/// name mdBook would give it (`theme/search-cjk-<hash>.js`); gives that name.
pub fn copy_cjk_script(root: &Path, html: &Path) -> Result<String> {
    let source = root.join(CJK_SCRIPT);
    let text = std::fs::read(&source).with_context(|| {
        format!(
            "cannot read {}, which search needs in an edition in Chinese, Japanese or Korean",
            source.display()
        )
    })?;
    let name = crate::search_index::hashed_name("search-cjk", ".js", &text);
    let copy = html.join("theme").join(&name);
    std::fs::create_dir_all(html.join("theme"))
        .and_then(|()| std::fs::write(&copy, &text))
        .with_context(|| format!("cannot write {}", copy.display()))?;
    Ok(name)
}

/// Rewrites `page`, listing `cjk` (the name [`copy_cjk_script`] gave, in a CJK edition) after
/// elasticlunr; says whether it held the search scripts.
pub fn finish(page: &mut Page, cjk: Option<&str>) -> Result<bool> {
    let Some(html) = rewrite(&page.html, cjk).map_err(|e| e.context(page.name.clone()))? else {
        return Ok(false);
    };
    page.set(html);
    Ok(true)
}

/// One `<script src="…"></script>` element of a page.
pub struct Element {
    pub start: usize,
    /// Just past its end, and the newline and indentation that follow it.
    pub end: usize,
    src_end: usize,
    pub src: String,
}

/// `html` with its search scripts handed to the loader (with `cjk`, in the loader's folder, after
/// elasticlunr), or `None` when it has none.
fn rewrite(html: &str, cjk: Option<&str>) -> Result<Option<String>> {
    let elements = script_elements(html);
    let named = |name: &str, suffix: &str| {
        elements
            .iter()
            .filter(|e| is_copy_of(file_name(&e.src), name, suffix))
            .collect::<Vec<_>>()
    };
    let found: Vec<Vec<&Element>> = SCRIPTS
        .iter()
        .map(|(name, suffix)| named(name, suffix))
        .collect();
    if found.iter().all(Vec::is_empty) {
        return Ok(None);
    }
    let Ok(scripts) = found
        .iter()
        .map(|f| match f[..] {
            [one] => Ok(one),
            _ => Err(()),
        })
        .collect::<Result<Vec<&Element>, ()>>()
    else {
        let counts: Vec<String> = SCRIPTS
            .iter()
            .zip(&found)
            .map(|((name, _), f)| format!("{} {name}", f.len()))
            .collect();
        bail!(
            "expected one <script> element each for mdBook's search scripts, found {}",
            counts.join(", ")
        );
    };
    if !scripts.windows(2).all(|w| w[0].start < w[1].start) {
        bail!("mdBook's search scripts are not in the order elasticlunr, mark, searcher");
    }
    let loader = match named(LOADER_NAME, ".js")[..] {
        [one] => one,
        ref found => bail!(
            "holds mdBook's search scripts and {} <script> elements for {LOADER} (expected one: \
             is it in book.toml's [output.html] additional-js?)",
            found.len()
        ),
    };
    if loader.start < scripts[2].end {
        bail!("{LOADER} is loaded before mdBook's search scripts; expected after them");
    }
    let mut sources: Vec<String> = scripts.iter().map(|e| e.src.clone()).collect();
    if let Some(cjk) = cjk {
        let folder = &loader.src[..loader.src.len() - file_name(&loader.src).len()];
        sources.insert(1, format!("{folder}{cjk}"));
    }
    let mut out = String::with_capacity(html.len());
    let mut at = 0;
    for script in &scripts {
        out.push_str(&html[at..script.start]);
        at = script.end;
    }
    out.push_str(&html[at..loader.src_end + 1]);
    out.push_str(&format!(" data-search-scripts=\"{}\"", sources.join(" ")));
    out.push_str(&html[loader.src_end + 1..]);
    Ok(Some(out))
}

/// Every `<script src="…"></script>` element, as mdBook writes them (no other attribute).
pub fn script_elements(html: &str) -> Vec<Element> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = html[from..].find(OPEN) {
        let start = from + at;
        let src_start = start + OPEN.len();
        let Some(length) = html[src_start..].find('"') else {
            break;
        };
        let src_end = src_start + length;
        from = src_end;
        if !html[src_end..].starts_with(CLOSE) {
            continue;
        }
        let after = src_end + CLOSE.len();
        let end = after
            + html[after..]
                .find(|c: char| !c.is_ascii_whitespace())
                .unwrap_or(html.len() - after);
        found.push(Element {
            start,
            end,
            src_end,
            src: html[src_start..src_end].to_string(),
        });
        from = after;
    }
    found
}

pub fn file_name(src: &str) -> &str {
    src.rsplit('/').next().unwrap_or(src)
}

/// Whether `file` is `<name><suffix>` or mdBook's hashed copy of it, `<name>-<hex><suffix>`.
pub fn is_copy_of(file: &str, name: &str, suffix: &str) -> bool {
    let Some(middle) = file
        .strip_prefix(name)
        .and_then(|rest| rest.strip_suffix(suffix))
    else {
        return false;
    };
    middle.is_empty()
        || middle
            .strip_prefix('-')
            .is_some_and(|hash| !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "<main>x</main>\n        <script>const a = 1;</script>\n        \
        <script src=\"../elasticlunr-ef4e11c1.min.js\"></script>\n        \
        <script src=\"../mark-09e88c2c.min.js\"></script>\n        \
        <script src=\"../searcher-09f2665d.js\"></script>\n\n        \
        <script src=\"../book-609e4cb8.js\"></script>\n        \
        <script src=\"../theme/search-loader-0a1b2c3d.js\"></script>\n    </body>";

    #[test]
    fn hands_the_three_scripts_to_the_loader_in_order() {
        let out = rewrite(PAGE, None).unwrap().unwrap();
        assert_eq!(
            out,
            "<main>x</main>\n        <script>const a = 1;</script>\n        \
            <script src=\"../book-609e4cb8.js\"></script>\n        \
            <script src=\"../theme/search-loader-0a1b2c3d.js\" data-search-scripts=\"\
            ../elasticlunr-ef4e11c1.min.js ../mark-09e88c2c.min.js ../searcher-09f2665d.js\"></script>\n    </body>"
        );
    }

    #[test]
    fn lists_the_cjk_script_after_elasticlunr_from_the_loader_s_folder() {
        let out = rewrite(PAGE, Some("search-cjk-5e6f7a8b.js"))
            .unwrap()
            .unwrap();
        assert!(
            out.contains(
                " data-search-scripts=\"../elasticlunr-ef4e11c1.min.js ../theme/search-cjk-5e6f7a8b.js \
                ../mark-09e88c2c.min.js ../searcher-09f2665d.js\""
            ),
            "{out}"
        );
    }

    #[test]
    fn copies_the_cjk_script_under_its_hashed_name_or_names_the_missing_file() {
        let root = std::env::temp_dir().join(format!("mdbook-finish-cjk-{}", std::process::id()));
        let html = root.join("book/html");
        std::fs::create_dir_all(root.join("theme")).unwrap();
        let error = copy_cjk_script(&root, &html).unwrap_err().to_string();
        assert!(error.contains("theme/search-cjk.js"), "{error}");
        std::fs::write(root.join(CJK_SCRIPT), "// pairs").unwrap();
        let name = copy_cjk_script(&root, &html).unwrap();
        assert!(
            is_copy_of(&name, "search-cjk", ".js") && name != "search-cjk.js",
            "{name}"
        );
        let copied = std::fs::read_to_string(html.join("theme").join(&name)).unwrap();
        assert_eq!(copied, "// pairs");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn leaves_a_page_without_search_alone() {
        let page =
            "<script src=\"book.js\"></script><script src=\"theme/search-loader.js\"></script>";
        assert!(rewrite(page, None).unwrap().is_none());
        assert!(rewrite(page, Some("search-cjk-1.js")).unwrap().is_none());
    }

    #[test]
    fn fails_without_the_loader_or_with_a_script_missing() {
        let no_loader = PAGE.replace("theme/search-loader-0a1b2c3d.js", "theme/other.js");
        let error = rewrite(&no_loader, None).unwrap_err().to_string();
        assert!(error.contains("additional-js"), "{error}");
        let no_mark = PAGE.replace("mark-09e88c2c.min.js", "marker.js");
        let error = rewrite(&no_mark, None).unwrap_err().to_string();
        assert!(
            error.contains("1 elasticlunr, 0 mark, 1 searcher"),
            "{error}"
        );
    }

    #[test]
    fn recognizes_hashed_copies_only() {
        assert!(is_copy_of("mark-09e88c2c.min.js", "mark", ".min.js"));
        assert!(is_copy_of("searcher.js", "searcher", ".js"));
        assert!(!is_copy_of("searcher-x.js", "searcher", ".js"));
        assert!(!is_copy_of("marked-1.min.js", "mark", ".min.js"));
    }
}
