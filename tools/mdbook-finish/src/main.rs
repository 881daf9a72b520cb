//! mdbook-finish: an mdBook renderer that runs after the HTML one and finishes its book.
//!
//! book.toml runs it as `[output.html-finish]` (`cargo xtask install-tools` installs it, as it does
//! every plugin of `tools/`). mdBook runs every renderer in every build, `mdbook serve` included,
//! and runs the preprocessors again for each one, so the jobs that need the built HTML book share
//! this one renderer. It needs nothing of the book's content: the render context mdBook sends on
//! stdin gives where the book is built, the chapters' names and paths, and `[output.html]`'s
//! settings (see `context`), and the rest is read from the HTML renderer's files. Each job is a module:
//!
//! - `hidden_lines`: copies the hidden lines tools/mdbook-hidden-lines staged into the book and
//!   checks every page's references to them;
//! - `print_page`: print.html without hidden lines;
//! - `search_index`: mdBook's search index rebuilt from the text a reader sees (no hidden lines,
//!   each diagram's labels once), its documents made from the chapters (`search_chapters`) when
//!   book.toml turns mdBook's indexing off, and checked against the Async Book's size per word
//!   (helped by `search_page`, `search_index_file` and `cached_english`); an edition in Chinese,
//!   Japanese or Korean is indexed in pairs of characters, with a budget per character
//!   (`search_cjk`); it runs on the main
//!   thread, from a copy of the pages, while the other jobs, which change the pages, run on a
//!   thread of their own; the pages that name the index are given its new name after them;
//! - `search_scripts`: mdBook's search scripts loaded when the reader opens search (and, in a CJK
//!   edition, theme/search-cjk.js with them);
//! - `head_scripts`: the `additional-js` files theme/head.hbs loads in `<head>` (listed in
//!   `[output.html-finish] head-scripts`) taken off the end of every page, where mdBook also puts
//!   them, and those only Rust code needs (`code-scripts`) taken off the pages without any;
//! - `diagram_labels`: the line breaks mdBook's html renderer writes into mermaid's labels taken
//!   out, so each label is laid out as mermaid drew it;
//! - `language_picker`: a link to the same page of each other edition (`po/LANG.po`) in the top
//!   bar of every page, and its `<link rel="alternate" hreflang>`;
//! - `ui_strings`: in a translated edition, the page's chrome and the scripts' messages
//!   (theme/ui-strings.toml) in its language, from its `po/LANG.po`.
//!
//! Any doubt (a page read differently from mdBook's index, a missing file, a page laid out
//! differently from what a job expects) fails the build, naming the page.

mod cached_english;
mod context;
mod diagram_labels;
mod head_scripts;
mod hidden_lines;
mod language_picker;
mod pages;
mod print_page;
mod search_chapters;
mod search_cjk;
mod search_index;
mod search_index_file;
mod search_page;
mod search_scripts;
mod ui_strings;

use anyhow::{Result, bail};
use context::RenderContext;
use head_scripts::List;
use pages::Page;
use std::path::Path;
use std::time::Instant;

fn main() {
    if let Err(error) = run() {
        eprintln!("mdbook-finish: {error:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let started = Instant::now();
    let context = RenderContext::from_stdin()?;
    let settings = &context.config.output.html;
    let html = context.html_dir()?;
    let mut pages = pages::read_all(&html)?;

    // The search index is rebuilt from a copy of the pages as the HTML renderer wrote them (but
    // print.html, which it does not index), while the other jobs change the pages on a thread of
    // their own; it writes only its own file, under its new name. When both fail, both errors are
    // reported (the jobs' first). The pages and the searcher script are given the new name, and
    // mdBook's file is removed, only when everything else succeeded: a failed build leaves every
    // page naming a file that is there.
    let search = &settings.search;
    search_chapters::check_settings(&search.chapter)?;
    let book = context.book.chapters();
    let words = search_index::Words::of(context.config.book.language.as_deref());
    let chapters: Vec<Page> = match search.enable {
        true => pages
            .iter()
            .filter(|p| p.name != "print.html")
            .cloned()
            .collect(),
        false => Vec::new(),
    };
    let (index, jobs) = std::thread::scope(|scope| {
        let jobs = scope.spawn(|| other_jobs(&context, &html, &mut pages));
        let index = search.enable.then(|| {
            search_index::finish(&html, &chapters, &book, search.heading_split_level, words)
        });
        let jobs = jobs
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("a job on the pages panicked")));
        (index, jobs)
    });
    let (mut said, index) = match (jobs, index.transpose()) {
        (Ok(said), Ok(index)) => (said, index),
        (Err(jobs), Err(index)) => {
            bail!("{jobs:#}\nmdbook-finish: and the search index: {index:#}")
        }
        (Err(error), Ok(_)) | (Ok(_), Err(error)) => return Err(error),
    };
    if let Some((old, new)) = index
        && old != new
    {
        let named = search_index::rename_references(&html, &mut pages, &old, &new)?;
        search_index::remove(&html, &old)?;
        said.push(format!("{named} pages name the index {new}"));
    }
    eprintln!(
        "mdbook-finish: {} ({} ms)",
        said.join("; "),
        started.elapsed().as_millis()
    );
    Ok(())
}

/// Every job but the search index's, on `pages`, which it writes back when they changed; what
/// each did, in a few words.
fn other_jobs(context: &RenderContext, html: &Path, pages: &mut [Page]) -> Result<Vec<String>> {
    let settings = &context.config.output.html;
    let staged = hidden_lines::finish(context.build_dir()?, html, pages)?;
    let mut said = Vec::new();
    if let Some(files) = staged {
        said.push(format!("{files} files of hidden lines copied"));
    }
    if settings.print.enable {
        let Some(print) = pages.iter_mut().find(|p| p.name == "print.html") else {
            bail!(
                "{} has no print.html although [output.html.print] is on",
                html.display()
            );
        };
        let lines = print_page::finish(print, staged.is_some())?;
        said.push(format!("print.html without its {lines} hidden lines"));
    }
    if settings.search.enable {
        let listed = settings
            .additional_js
            .iter()
            .any(|js| js == Path::new(search_scripts::LOADER));
        let cjk = match search_index::Words::of(context.config.book.language.as_deref()) {
            search_index::Words::Cjk => Some(search_scripts::copy_cjk_script(&context.root, html)?),
            search_index::Words::English => None,
        };
        let mut rewritten = 0;
        for page in pages.iter_mut() {
            rewritten += usize::from(search_scripts::finish(page, cjk.as_deref())?);
        }
        if rewritten > 0 && !listed {
            bail!(
                "{} is not in [output.html] additional-js: mdBook does not copy the loader the pages now need",
                search_scripts::LOADER
            );
        }
        said.push(format!(
            "search scripts loaded on first use on {rewritten} pages"
        ));
    }
    let own = context.own_settings()?;
    let lists = [
        (List::Head, own.head_scripts.as_slice()),
        (List::Code, own.code_scripts.as_slice()),
    ];
    let taken = head_scripts::finish(pages, &lists, &settings.additional_js, context.name())?;
    said.push(format!(
        "{} <script> elements of {} files left in <head> only; {} elements of {} files taken off pages \
         without Rust code",
        taken[0],
        own.head_scripts.len(),
        taken[1],
        own.code_scripts.len()
    ));
    let mut breaks = 0;
    for page in pages.iter_mut() {
        breaks += diagram_labels::finish(page)?;
    }
    said.push(format!(
        "{breaks} line breaks the html renderer put into diagram labels taken out"
    ));
    if let Some(picker) = &own.language_picker {
        let editions = language_picker::editions(picker, &context.root)?;
        let current = context
            .config
            .book
            .language
            .as_deref()
            .unwrap_or(&picker.source);
        let linked = language_picker::finish(pages, &editions, current)?;
        said.push(format!("a language picker on {linked} pages"));
    }
    let translated = ui_strings::finish(
        &context.root,
        html,
        pages,
        context.config.book.language.as_deref(),
    )?;
    said.push(format!(
        "{translated} strings of the page and scripts translated ({})",
        ui_strings::LIST
    ));
    pages::write_changed(pages)?;
    Ok(said)
}
