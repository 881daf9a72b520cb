//! mdbook-diagrams: an mdBook preprocessor that runs after mdbook-mermaid and mdbook-svgbob and
//! leaves every diagram finished in the page, so no diagram library is downloaded by a reader.
//!
//! - mermaid: each `<pre class="mermaid">` becomes inline SVG drawn by mermaid.js itself in
//!   headless Chromium (draw.rs), in the book's font, once in mermaid's light and once in its
//!   dark theme; drawings are cached under `target/diagrams/` (cache.rs). The page gets one
//!   drawing with a style sheet for each kind of theme, where the two differ in colour only,
//!   which every build checks (themes.rs).
//! - svgbob: each drawing gets a `viewBox`, so it scales to the column (svgbob.rs).
//!
//! A diagram mermaid cannot parse fails the build, naming the chapter file and the diagram.
//!
//! mdBook runs a preprocessor once per renderer; book.toml limits this one to the html renderer.
//! On a build with every drawing cached its time goes to reading and writing the book's JSON
//! (tools/preprocessor-main reads it whole and writes it in one piece) and to finding the diagram
//! blocks; the inputs every drawing depends on are hashed only when they change (cache.rs).

mod assets;
mod cache;
mod css;
mod draw;
mod markup;
mod mermaid;
mod process;
mod svgbob;
mod themes;

use anyhow::{Context, Result, bail};
use mdbook_preprocessor::book::Book;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use pulldown_cmark::{Event, Options, Parser, Tag};
use std::collections::HashMap;
use std::ops::Range;
use std::path::PathBuf;

struct Diagrams;

impl Preprocessor for Diagrams {
    fn name(&self) -> &str {
        "diagrams"
    }

    fn run(
        &self,
        ctx: &PreprocessorContext,
        book: Book,
    ) -> mdbook_preprocessor::errors::Result<Book> {
        run(ctx, book)
    }

    /// Only the HTML pages show drawings (mdbook-mermaid, too, runs for HTML only).
    fn supports_renderer(&self, renderer: &str) -> mdbook_preprocessor::errors::Result<bool> {
        Ok(renderer == "html")
    }
}

/// `supports RENDERER`, or the book in and out as JSON (tools/preprocessor-main).
fn main() {
    preprocessor_main::main(&Diagrams)
}

/// One diagram block of one chapter.
struct Found {
    chapter: usize,
    range: Range<usize>,
    kind: Kind,
}

enum Kind {
    Mermaid(String),
    Svgbob,
}

fn run(ctx: &PreprocessorContext, mut book: Book) -> Result<Book> {
    let mut chapters: Vec<(PathBuf, String)> = Vec::new();
    book.for_each_chapter_mut(|chapter| {
        if let Some(path) = &chapter.source_path {
            chapters.push((path.clone(), std::mem::take(&mut chapter.content)));
        }
    });
    let mut found = Vec::new();
    for (index, (_, content)) in chapters.iter().enumerate() {
        found.extend(diagram_blocks(index, content));
    }
    let src = ctx.root.join(&ctx.config.book.src);
    let name = |chapter: usize| src.join(&chapters[chapter].0).display().to_string();

    let drawings = draw_mermaid(ctx, &found, &name)?;
    // Replaced from the last block of each chapter back, so earlier ranges stay valid.
    let mut count: HashMap<(usize, &str), usize> = HashMap::new();
    let mut html: Vec<(usize, Range<usize>, String)> = Vec::new();
    for block in &found {
        let (chapter, content) = &chapters[block.chapter];
        let stem = chapter
            .with_extension("")
            .display()
            .to_string()
            .replace(['/', '\\'], "-");
        let kind = match block.kind {
            Kind::Svgbob => "svgbob",
            Kind::Mermaid(_) => "mermaid",
        };
        let n = count.entry((block.chapter, kind)).or_default();
        *n += 1;
        // Ids unique in the book, so that print.html, which holds every chapter, repeats none.
        // A mermaid drawing repeats its id in every inner id, reference and style rule (about a
        // hundred times), so it gets a short one: `m`, the chapter's place in the book and the
        // diagram's number in the chapter.
        let id = match block.kind {
            Kind::Svgbob => format!("{kind}-{stem}-{n}"),
            Kind::Mermaid(_) => format!("m{}-{n}", block.chapter),
        };
        let replacement = match &block.kind {
            Kind::Svgbob => svgbob::fit(&content[block.range.clone()], &id)
                .with_context(|| name(block.chapter))?,
            Kind::Mermaid(source) => {
                let [light, dark] =
                    mermaid::THEMES.map(|theme| &drawings[&(theme, source.as_str())]);
                let drawing = themes::combine(light, dark, mermaid::PLACEHOLDER);
                if let themes::Drawing::Two { why, .. } = &drawing {
                    eprintln!(
                        "mdbook-diagrams: warning: {}: {} keeps two drawings, one per theme: mermaid's light and dark drawings differ in more than colour: {why}",
                        name(block.chapter),
                        mermaid::describe(source)
                    );
                }
                mermaid::figure(&id, &drawing)
            }
        };
        html.push((block.chapter, block.range.clone(), replacement));
    }
    for (chapter, range, replacement) in html.into_iter().rev() {
        chapters[chapter].1.replace_range(range, &replacement);
    }

    let mut contents = chapters.into_iter().map(|(_, content)| content);
    book.for_each_chapter_mut(|chapter| {
        if chapter.source_path.is_some() {
            chapter.content = contents.next().expect("one content per chapter");
        }
    });
    Ok(book)
}

/// Every HTML block of `content` that is a diagram, with its byte range.
fn diagram_blocks(chapter: usize, content: &str) -> Vec<Found> {
    let mut found = Vec::new();
    for (event, range) in Parser::new_ext(content, Options::all()).into_offset_iter() {
        if let Event::Start(Tag::HtmlBlock) = event {
            let block = &content[range.clone()];
            let kind = if let Some(source) = mermaid::source(block) {
                Kind::Mermaid(source)
            } else if svgbob::is_svgbob(block) {
                Kind::Svgbob
            } else {
                continue;
            };
            found.push(Found {
                chapter,
                range,
                kind,
            });
        }
    }
    found
}

/// Every mermaid diagram's drawing in each theme, keyed by (mermaid theme, text): from the
/// cache, and the rest drawn in one Chromium run and stored.
fn draw_mermaid<'a>(
    ctx: &PreprocessorContext,
    found: &'a [Found],
    name: &dyn Fn(usize) -> String,
) -> Result<HashMap<(&'static str, &'a str), String>> {
    let mut drawings = HashMap::new();
    let sources: Vec<(usize, &str)> = found
        .iter()
        .filter_map(|f| match &f.kind {
            Kind::Mermaid(source) => Some((f.chapter, source.as_str())),
            Kind::Svgbob => None,
        })
        .collect();
    if sources.is_empty() {
        return Ok(drawings);
    }
    let work = ctx.root.join("target/diagrams");
    let assets = assets::get(&work.join("tools"))?;
    let mut inputs = vec![assets.mermaid_js.as_path()];
    inputs.extend(assets.fonts.iter().map(|(_, f)| f.as_path()));
    let mut cache = cache::Cache::open(work.join("cache"), &inputs, draw::DRAW_JS)?;

    let mut jobs = Vec::new();
    let mut wanted: HashMap<String, (&'static str, usize, &str)> = HashMap::new();
    for &(chapter, source) in &sources {
        for theme in mermaid::THEMES {
            if drawings.contains_key(&(theme, source)) {
                continue;
            }
            let key = cache.key(theme, source);
            match cache.get(&key) {
                Some(svg) => {
                    drawings.insert((theme, source), svg);
                }
                None if !wanted.contains_key(&key) => {
                    wanted.insert(key.clone(), (theme, chapter, source));
                    jobs.push(draw::Job { key, theme, source });
                }
                None => {}
            }
        }
    }
    if !jobs.is_empty() {
        eprintln!(
            "mdbook-diagrams: drawing {} mermaid diagram(s) with headless Chromium",
            jobs.len()
        );
        let drawn = draw::draw(&jobs, &assets, &work)?;
        let mut errors = Vec::new();
        for (key, (theme, chapter, source)) in &wanted {
            match &drawn[key] {
                Ok(svg) => {
                    cache.put(key, svg)?;
                    drawings.insert((*theme, *source), svg.clone());
                }
                Err(error) => errors.push(format!(
                    "{}: mermaid cannot draw {}:\n{error}",
                    name(*chapter),
                    mermaid::describe(source)
                )),
            }
        }
        if !errors.is_empty() {
            errors.sort();
            errors.dedup();
            bail!("{}", errors.join("\n"));
        }
    }
    cache.prune()?;
    Ok(drawings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_diagram_blocks_but_not_their_text_in_code() {
        let content = "# A\n\n`<pre class=\"mermaid\">` in code\n\n<pre class=\"mermaid\">graph TD\n\nA --&gt; B\n</pre>\n\n\
                       text\n\n<div style='width:100%; height:4px;'><svg class=\"svgbob\"></svg></div>\n\n";
        let found = diagram_blocks(0, content);
        assert_eq!(found.len(), 2);
        match &found[0].kind {
            Kind::Mermaid(source) => assert_eq!(source, "graph TD\n\nA --> B\n"),
            Kind::Svgbob => panic!("the first block is mermaid's"),
        }
        assert!(matches!(found[1].kind, Kind::Svgbob));
        assert!(content[found[1].range.clone()].starts_with("<div style="));
    }
}
