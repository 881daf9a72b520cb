// Every mermaid diagram on the pages looks exactly as mermaid drew it. tools/mdbook-diagrams has
// mermaid.js draw each diagram twice at build time (its "default" theme for mdBook's light and
// rust themes, its "dark" theme for coal, navy and ayu) and keeps each drawing as mermaid.js
// wrote it in target/diagrams/cache (cache.rs); what reaches a page is made lighter (one drawing
// whose colours follow the theme, where the two allow it) and goes through mdBook's renderer and
// mdbook-finish. Here, on every page that holds a diagram and in all five themes, each drawing is
// photographed, replaced by mermaid's own drawing for that theme from the cache, and photographed
// again: the two pictures must be the same, pixel for pixel. Both are photographed in the same
// page, so this checks the drawing the page holds (its markup, styles, ids, labels), not the
// page's own CSS, which applies to both alike: diagrams.test.mjs checks what the themes' CSS
// makes of the colours.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { REPO_ROOT, SCREENSHOTS, htmlFiles, launch, openPage, readBookFile, url } from "./support.mjs";

/** Where tools/mdbook-diagrams keeps mermaid's drawings: `<sha256>.svg`, one per drawing. */
const CACHE = join(REPO_ROOT, "target/diagrams/cache");
/** The root id of every cached drawing; its other ids are `MERMAIDID-n` (draw.js, mermaid.rs). */
const PLACEHOLDER = "MERMAIDID";
/** mdBook's themes, and which of mermaid's drawings each shows. */
const THEMES = [
    ["light", "light"],
    ["rust", "light"],
    ["coal", "dark"],
    ["navy", "dark"],
    ["ayu", "dark"],
];
/** Where the pictures of a drawing that differs from mermaid's are saved. */
const PICTURES = join(SCREENSHOTS, "diagram-fidelity");

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

/** The pages of the built book that hold a mermaid diagram (print.html among them). */
function pagesWithDiagrams() {
    return htmlFiles().filter((file) => readBookFile(file).includes('class="diagram mermaid-diagram"'));
}

/** Every drawing in the cache, as { file, svg }, or a failure saying why there is none. */
function cachedDrawings() {
    const why = "the book's build (tools/mdbook-diagrams) fills it: build the book before this test, as `cargo xtask test browser` does";
    if (!existsSync(CACHE)) {
        throw new Error(`${CACHE} does not exist: ${why}`);
    }
    // A drawing being written is `<key>.<pid>.partial` until it is renamed (cache.rs).
    const files = readdirSync(CACHE).filter((f) => f.endsWith(".svg")).sort();
    if (files.length === 0) {
        throw new Error(`${CACHE} holds no drawing (*.svg): ${why}`);
    }
    return files.map((file) => ({ file, svg: readFileSync(join(CACHE, file), "utf8") }));
}

/**
 * Defines, in every page of a context, `window.drawingKey(svg)`: what identifies a drawing
 * whatever its ids and colours, its texts (labels, titles) outside its style sheet, each with its
 * white space collapsed, in document order, and its viewBox (which tells apart two drawings with
 * the same texts, should the book ever have them). The line breaks mdBook's renderer
 * writes between a label's tags are white space between them, not text, so a drawing that has
 * them is still found (and then differs in its picture).
 */
function defineDrawingKey(context) {
    return context.addInitScript(() => {
        window.drawingKey = (svg) => {
            const texts = [];
            const walker = document.createTreeWalker(svg, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const text = node.data.replace(/\s+/g, " ").trim();
                if (text !== "" && !node.parentElement.closest("style")) {
                    texts.push(text);
                }
            }
            return { texts: texts.join("\n"), viewBox: svg.getAttribute("viewBox") };
        };
    });
}

/**
 * Each cached drawing with its key and the theme mermaid drew it in: "dark" when the text colour
 * its style sheet gives the whole drawing (the rule `#MERMAIDID{…fill:…}`) is light, as in
 * mermaid's dark theme (#ccc), "light" when it is dark (#333 in mermaid's default theme).
 */
async function readCache(page, cached) {
    const read = await page.evaluate(
        ({ drawings, placeholder }) => {
            // A canvas writes any CSS colour as #rrggbb (or rgba(…) when it is transparent).
            const canvas = document.createElement("canvas").getContext("2d");
            const luminance = (colour) => {
                if (!CSS.supports("color", colour)) {
                    return null;
                }
                canvas.fillStyle = colour;
                const written = canvas.fillStyle;
                const [r, g, b] = written.startsWith("#")
                    ? [1, 3, 5].map((i) => parseInt(written.slice(i, i + 2), 16))
                    : written.match(/[\d.]+/g).map(Number);
                return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
            };
            return drawings.map(({ svg }) => {
                const holder = document.createElement("div");
                holder.innerHTML = svg;
                const root = holder.firstElementChild;
                const sheet = Array.from(root?.querySelectorAll("style") ?? [], (s) => s.textContent).join("");
                const rule = sheet.match(new RegExp(`#${placeholder}\\{([^}]*)\\}`));
                const fill = rule?.[1].match(/(?:^|;)\s*fill\s*:\s*([^;]+)/)?.[1];
                const ink = fill === undefined ? null : luminance(fill.trim());
                return {
                    rootId: root?.id,
                    key: root ? window.drawingKey(root) : null,
                    variant: ink === null ? null : ink > 0.5 ? "dark" : "light",
                };
            });
        },
        { drawings: cached, placeholder: PLACEHOLDER },
    );
    const unreadable = cached
        .map((c, i) => ({ ...c, ...read[i] }))
        .filter((c) => c.rootId !== PLACEHOLDER || c.variant === null)
        .map((c) => `${join(CACHE, c.file)}: not a drawing of tools/mdbook-diagrams (root id ${c.rootId}, no text colour in its #${PLACEHOLDER} rule)`);
    assert.deepEqual(unreadable, [], "cached drawings this test cannot read");
    return cached.map((c, i) => ({ ...c, key: read[i].key, variant: read[i].variant }));
}

/**
 * How many pixels of two PNG pictures differ (any channel), counted in the page; where their
 * sizes differ, every pixel outside the part they share counts too.
 */
function differingPixels(page, ours, theirs) {
    return page.evaluate(
        async ([a, b]) => {
            const load = (data) =>
                new Promise((resolve, reject) => {
                    const image = new Image();
                    image.onload = () => resolve(image);
                    image.onerror = () => reject(new Error("a screenshot is not a PNG"));
                    image.src = `data:image/png;base64,${data}`;
                });
            const pixels = (image) => {
                const canvas = document.createElement("canvas");
                canvas.width = image.width;
                canvas.height = image.height;
                const context = canvas.getContext("2d", { willReadFrequently: true });
                context.drawImage(image, 0, 0);
                return context.getImageData(0, 0, image.width, image.height).data;
            };
            const [one, two] = [await load(a), await load(b)];
            const [p, q] = [pixels(one), pixels(two)];
            const width = Math.min(one.width, two.width);
            const height = Math.min(one.height, two.height);
            let count = one.width * one.height + two.width * two.height - 2 * width * height;
            for (let y = 0; y < height; y++) {
                for (let x = 0; x < width; x++) {
                    const i = 4 * (y * one.width + x);
                    const j = 4 * (y * two.width + x);
                    if (p[i] !== q[j] || p[i + 1] !== q[j + 1] || p[i + 2] !== q[j + 2] || p[i + 3] !== q[j + 3]) {
                        count++;
                    }
                }
            }
            return { count, ours: `${one.width}×${one.height}`, mermaid: `${two.width}×${two.height}` };
        },
        [ours.toString("base64"), theirs.toString("base64")],
    );
}

/**
 * Opens the page, ready to be photographed: its fonts loaded, and what stays on screen as the
 * page scrolls (the menu bar) hidden, as it would cover the top of a diagram scrolled into view
 * and a difference there would go unseen (it is hidden in both pictures).
 */
async function open(page, html) {
    await page.goto(url(html));
    await page.evaluate(() => document.fonts.ready);
    await page.evaluate(() => {
        for (const element of document.querySelectorAll("body *")) {
            const { position } = getComputedStyle(element);
            if ((position === "fixed" || position === "sticky") && !element.querySelector(".mermaid-diagram")) {
                element.style.visibility = "hidden";
            }
        }
    });
}

/**
 * Puts the open page in the theme as mdBook's theme menu does (book.js's set_theme: the theme's
 * class on <html>, which is all the drawings' colours and theme/book.css look at), with the
 * colour transitions of mdBook's style sheets taken to their end at once.
 */
async function showTheme(page, theme) {
    await page.evaluate(
        ([theme, all]) => {
            document.documentElement.classList.remove(...all);
            document.documentElement.classList.add(theme);
            for (const animation of document.getAnimations()) {
                if (animation instanceof CSSTransition) {
                    animation.finish();
                }
            }
        },
        [theme, THEMES.map(([name]) => name)],
    );
}

/**
 * Each drawing the open page shows in its theme compared with mermaid's: returns what differs
 * and what cannot be compared, as sentences, and how many drawings were compared.
 */
async function compareDrawings(page, html, theme, variant, cache) {
    const found = [];
    // The drawing each figure shows in this theme (one, or one of a light and a dark).
    const shown = await page.locator("main .mermaid-diagram").evaluateAll((figures) =>
        figures.map((figure) => {
            const visible = Array.from(figure.querySelectorAll(":scope > svg")).filter((s) => getComputedStyle(s).display !== "none");
            return visible.length === 1 ? { id: visible[0].id, key: window.drawingKey(visible[0]) } : { count: visible.length };
        }),
    );
    let compared = 0;
    for (const [index, drawing] of shown.entries()) {
        const name = `${html}, theme ${theme}, diagram ${index + 1}`;
        if (!drawing.id) {
            found.push(`${name}: shows ${drawing.count} drawings instead of one`);
            continue;
        }
        const same = (c) => c.variant === variant && c.key.texts === drawing.key.texts;
        let matches = cache.filter(same);
        if (matches.length > 1) {
            matches = matches.filter((c) => c.key.viewBox === drawing.key.viewBox);
        }
        if (matches.length !== 1) {
            const files = matches.map((c) => c.file).join(", ");
            found.push(
                `${name} (#${drawing.id}): matches ${matches.length} of mermaid's ${variant} drawings in ${CACHE}` +
                    (files ? ` (${files})` : " (the cache holds the last build's drawings: is this book from another build?)"),
            );
            continue;
        }
        // Scrolled into view by the screenshot.
        const element = page.locator(`[id="${drawing.id}"]`);
        const ours = await element.screenshot();
        // Mermaid's drawing in our drawing's place: its ids start with ours, as mdbook-diagrams
        // gives them, and it keeps our class that says which theme shows it (theme/book.css).
        const original = await element.evaluate((svg, mermaid) => {
            const original = svg.outerHTML;
            const classes = Array.from(svg.classList).filter((c) => /^diagram-(light|dark)$/.test(c));
            svg.outerHTML = mermaid.replaceAll("MERMAIDID", svg.id);
            document.getElementById(svg.id).classList.add(...classes);
            return original;
        }, matches[0].svg);
        const theirs = await element.screenshot();
        compared++;
        if (!ours.equals(theirs)) {
            const { count, ours: ourSize, mermaid: theirSize } = await differingPixels(page, ours, theirs);
            if (count > 0) {
                mkdirSync(PICTURES, { recursive: true });
                const stem = join(PICTURES, `${html.replace(/\.html$/, "").replaceAll("/", "_")}-${theme}-${index + 1}`);
                writeFileSync(`${stem}-ours.png`, ours);
                writeFileSync(`${stem}-mermaid.png`, theirs);
                const sizes = ourSize === theirSize ? `${ourSize}` : `ours ${ourSize}, mermaid's ${theirSize}`;
                found.push(`${name} (#${drawing.id}, ${matches[0].file}): ${count} pixels differ (${sizes}); see ${stem}-{ours,mermaid}.png`);
            }
        }
        await element.evaluate((svg, original) => {
            svg.outerHTML = original;
        }, original);
    }
    return { found, compared };
}

test("every mermaid diagram on every page, in every theme, is drawn exactly as mermaid draws it", async () => {
    const pages = pagesWithDiagrams();
    assert.ok(pages.length > 0, "no page of the built book holds a mermaid diagram");
    const cached = cachedDrawings();
    // One context for all pages keeps the book's files in its cache.
    const { context, page } = await openPage(browser);
    await defineDrawingKey(context);
    await page.goto(url(pages[0]));
    const cache = await readCache(page, cached);
    const found = [];
    let compared = 0;
    for (const html of pages) {
        await open(page, html);
        for (const [theme, variant] of THEMES) {
            await showTheme(page, theme);
            const result = await compareDrawings(page, html, theme, variant, cache);
            found.push(...result.found);
            compared += result.compared;
        }
    }
    await context.close();
    console.log(`${compared} drawings compared with mermaid's on ${pages.length} pages in ${THEMES.length} themes`);
    assert.deepEqual(found, [], `drawings that are not mermaid's own (${compared} compared on ${pages.length} pages)`);
    assert.ok(compared > 0, "no drawing was compared");
});
