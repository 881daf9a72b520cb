// Diagrams arrive drawn (tools/mdbook-diagrams draws mermaid's at build time and gives svgbob's a
// viewBox): no page holds an undrawn diagram or asks for mermaid's script, their text is text,
// the page's theme colours each mermaid drawing, and at a phone's width and a desktop's every
// diagram fits its column, or scrolls sideways inside its own box that the keyboard can reach.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chapters, fenced, launch, openPage, screenshot, url } from "./support.mjs";

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

const firstLine = (source) => source.split("\n").map((l) => l.trim()).find((l) => l !== "") || "";

/** Every page a reader can open that may hold a diagram: the chapters, then print.html. */
function pages() {
    return [...chapters().map((c) => ({ html: c.html, chapter: c })), { html: "print.html", chapter: null }];
}

/**
 * What is wrong with the diagrams of the open page, as sentences: a diagram cut by an ancestor
 * that hides overflow or wider than the column, an SVG without a viewBox whose drawing runs past
 * its own box, a box that scrolls but cannot take keyboard focus.
 */
async function layoutProblems(page) {
    return page.evaluate(() => {
        const problems = [];
        const column = document.querySelector("main").getBoundingClientRect();
        // svgbob's drawings are looked at even outside a .diagram box (as mdbook-svgbob leaves them).
        const shown = Array.from(document.querySelectorAll("main .diagram > svg, main svg.svgbob")).filter(
            (svg) => getComputedStyle(svg).display !== "none",
        );
        shown.forEach((svg, index) => {
            const name = `diagram ${index + 1} (${svg.closest(".diagram")?.className || svg.className.baseVal})`;
            const box = svg.parentElement;
            const rect = svg.getBoundingClientRect();
            const boxRect = box.getBoundingClientRect();
            if (boxRect.left < column.left - 1 || boxRect.right > column.right + 1) {
                problems.push(`${name}: its box (${Math.round(boxRect.width)} px) is wider than the column (${Math.round(column.width)} px)`);
            }
            const scrolls = box.scrollWidth > box.clientWidth + 1;
            if (scrolls) {
                if (!["auto", "scroll"].includes(getComputedStyle(box).overflowX)) {
                    problems.push(`${name}: wider than its box, which does not scroll`);
                }
                if (box.tabIndex < 0) {
                    problems.push(`${name}: its box scrolls but cannot be reached with the keyboard`);
                }
            }
            // Cut by an ancestor that hides what overflows it. What shows of a scrolling box's
            // drawing is the box.
            const visible = scrolls ? boxRect : rect;
            for (let parent = svg.parentElement; parent && parent !== document.body; parent = parent.parentElement) {
                const overflow = getComputedStyle(parent).overflowX;
                const parentRect = parent.getBoundingClientRect();
                const cut = visible.right > parentRect.right + 1 || visible.left < parentRect.left - 1;
                if (parent !== box && ["hidden", "clip"].includes(overflow) && cut) {
                    problems.push(`${name}: cut by an ancestor <${parent.tagName.toLowerCase()}> that hides overflow`);
                }
            }
            // Without a viewBox nothing scales: a drawing wider than the SVG's box is cut off.
            const viewBox = svg.viewBox.baseVal;
            if (!viewBox || viewBox.width === 0) {
                const drawing = svg.getBBox();
                if (drawing.x + drawing.width > rect.width + 1) {
                    problems.push(`${name}: has no viewBox and its drawing (${Math.round(drawing.x + drawing.width)} px) runs past its ${Math.round(rect.width)} px box`);
                }
            }
        });
        return problems;
    });
}

test("every page holds drawn diagrams only, and no page asks for mermaid's script", async () => {
    const { context, page, problems } = await openPage(browser);
    const scripts = [];
    page.on("request", (r) => /mermaid[^/]*\.js/.test(new URL(r.url()).pathname) && scripts.push(r.url()));
    let mermaidCount = 0;
    for (const { html, chapter } of pages()) {
        await page.goto(url(html));
        assert.equal(await page.locator("pre.mermaid").count(), 0, `${html}: a mermaid diagram was left undrawn`);
        const sources = chapter ? fenced(chapter, "mermaid") : pages().flatMap((p) => (p.chapter ? fenced(p.chapter, "mermaid") : []));
        const text = await page.locator("main").innerText();
        for (const source of sources) {
            assert.ok(!text.includes(firstLine(source)), `${html}: mermaid's source text "${firstLine(source)}" is on the page`);
        }
        const figures = page.locator("main .mermaid-diagram");
        assert.equal(await figures.count(), sources.length, `${html}: one drawing per mermaid block`);
        if (chapter) {
            assert.equal(await page.locator("main .svgbob-diagram").count(), fenced(chapter, "bob").length, `${html}: svgbob drawings`);
        }
        // One drawing for every theme, or (where mermaid's light and dark drawings differ in more
        // than colour) both, the dark one of the light one's shape: same viewBox and width, so
        // what fits (measured in the light theme below) fits in the dark themes too.
        const unlike = await figures.evaluateAll((figures) =>
            figures.flatMap((figure, index) => {
                const drawings = figure.querySelectorAll(":scope > svg");
                if (drawings.length === 1 && !/\bdiagram-(light|dark)\b/.test(drawings[0].className.baseVal)) {
                    return [];
                }
                const [light, dark] = ["light", "dark"].map((v) => figure.querySelector(`:scope > svg.diagram-${v}`));
                const shape = (svg) =>
                    svg && `viewBox ${svg.getAttribute("viewBox")}, width ${svg.getAttribute("width")}, --diagram-width ${svg.style.getPropertyValue("--diagram-width")}`;
                return drawings.length === 2 && shape(light) && shape(light) === shape(dark)
                    ? []
                    : [`mermaid diagram ${index + 1}: ${drawings.length} drawing(s), light ${shape(light)} / dark ${shape(dark)}`];
            }),
        );
        assert.deepEqual(unlike, [], `${html}: neither one drawing nor a light and a dark one of the same shape`);
        mermaidCount += chapter ? sources.length : 0;
        // Many diagrams per page (all of them on print.html): no id twice.
        const repeated = await page.evaluate(() => {
            const seen = new Set();
            return Array.from(document.querySelectorAll("main svg [id], main svg[id]"), (e) => e.id).filter((id) => seen.has(id) || !seen.add(id));
        });
        assert.deepEqual(repeated, [], `${html}: ids used twice`);
    }
    assert.ok(mermaidCount > 0, "no chapter has a ```mermaid diagram");
    assert.deepEqual(scripts, [], "pages requested mermaid's script");
    assert.deepEqual(problems.console, []);
    await context.close();
});

test("a diagram's labels are text: selectable and found on the page", async () => {
    const chapter = chapters().find((c) => fenced(c, "mermaid").length > 0);
    assert.ok(chapter, "no chapter has a ```mermaid diagram");
    const { context, page } = await openPage(browser);
    await page.goto(url(chapter.html));
    const figure = page.locator("main .mermaid-diagram").first();
    const selected = await figure.evaluate((element) => {
        const svg = Array.from(element.querySelectorAll("svg")).find((s) => getComputedStyle(s).display !== "none");
        const selection = window.getSelection();
        selection.selectAllChildren(svg);
        return selection.toString();
    });
    const words = selected.split(/[^A-Za-z_]+/).filter((w) => w.length >= 4);
    assert.ok(words.length > 0, `${chapter.md}: selecting the first diagram selects no text`);
    // The word is in the diagram's source, so it is a label, not mermaid's own text.
    const source = fenced(chapter, "mermaid")[0];
    assert.ok(words.some((w) => source.includes(w)), `${chapter.md}: the selected text (${selected.slice(0, 80)}) holds no label`);
    await context.close();
});

/**
 * What a reader sees of each mermaid diagram of the open page, as luminances from 0 to 1: the fill
 * of its first labelled box (a node, a state, a participant) and the colour of that label's text.
 */
function diagramColours(page) {
    return page.locator("main .mermaid-diagram").evaluateAll((figures) =>
        figures.map((figure) => {
            const svg = Array.from(figure.querySelectorAll(":scope > svg")).find((s) => getComputedStyle(s).display !== "none");
            const luminance = (colour) => {
                const [r, g, b] = colour.match(/[\d.]+/g).map(Number);
                return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
            };
            const label = svg?.querySelector(".node .nodeLabel, text.actor > tspan");
            const box = Array.from(label?.closest(".node, g")?.querySelectorAll("rect, path, polygon, circle") ?? []).find(
                (shape) => !["none", "rgba(0, 0, 0, 0)"].includes(getComputedStyle(shape).fill),
            );
            // SVG text is coloured by its fill, HTML text (inside a foreignObject) by its colour.
            const ink = label && getComputedStyle(label)[label instanceof SVGElement ? "fill" : "color"];
            return { box: box ? luminance(getComputedStyle(box).fill) : null, text: ink ? luminance(ink) : null };
        }),
    );
}

test("every mermaid diagram takes its colours from the page's theme, at once when the theme changes", async () => {
    const { context, page } = await openPage(browser);
    const seen = [];
    const withDiagrams = chapters().filter((c) => fenced(c, "mermaid").length > 0);
    for (const chapter of withDiagrams) {
        await page.goto(url(chapter.html));
        for (const [theme, dark] of [["light", false], ["navy", true], ["coal", true], ["ayu", true], ["rust", false]]) {
            await page.evaluate((name) => {
                const html = document.documentElement;
                html.classList.remove("light", "rust", "coal", "navy", "ayu");
                html.classList.add(name);
            }, theme);
            (await diagramColours(page)).forEach((colours, index) =>
                seen.push({ where: `${chapter.md}, mermaid diagram ${index + 1}, theme ${theme}`, dark, ...colours }),
            );
        }
    }
    assert.ok(seen.length > 0, "no chapter has a ```mermaid diagram");
    // Light themes: pale boxes and dark text, as mermaid's "default" theme draws them; the dark
    // themes the other way round, as its "dark" theme does.
    const wrong = seen
        .filter((s) => s.box === null || s.text === null || (s.dark ? s.box > 0.5 || s.text < 0.5 : s.box < 0.5 || s.text > 0.5))
        .map((s) => `${s.where}: box ${s.box?.toFixed(2)}, text ${s.text?.toFixed(2)}`);
    assert.deepEqual(wrong, [], "mermaid diagrams not in their theme's colours (luminance from 0 to 1)");
    // Through the theme menu too, as a reader switches.
    await page.goto(url(withDiagrams[0].html));
    const [before] = await diagramColours(page);
    await page.locator("#mdbook-theme-toggle, #theme-toggle").first().click();
    await page.locator("#mdbook-theme-navy, #navy").first().click();
    const [after] = await diagramColours(page);
    assert.ok(before.box > 0.5 && after.box < 0.5, `${withDiagrams[0].md}: choosing Navy in the menu: box ${before.box} -> ${after.box}`);
    await screenshot(page, "mermaid-diagram-dark");
    await context.close();
});

for (const [label, viewport] of [
    ["a phone (390 px)", { width: 390, height: 844 }],
    ["a desktop (1280 px)", { width: 1280, height: 900 }],
]) {
    test(`at ${label}, every diagram of every page fits its column or scrolls in its own box`, async () => {
        const { context, page } = await openPage(browser, { viewport });
        const found = [];
        let diagrams = 0;
        for (const { html } of pages()) {
            await page.goto(url(html));
            diagrams += await page.locator("main .diagram").count();
            for (const problem of await layoutProblems(page)) {
                found.push(`${html}: ${problem}`);
            }
        }
        assert.ok(diagrams > 0, "the book has no diagram");
        assert.deepEqual(found, [], `diagrams that do not fit at ${label}`);
        await page.goto(url(chapter13()));
        await page.locator("main .diagram").first().scrollIntoViewIfNeeded();
        await screenshot(page, `diagram-${viewport.width}px`);
        await context.close();
    });
}

/** A page with an svgbob diagram, for the screenshots. */
function chapter13() {
    return (chapters().find((c) => fenced(c, "bob").length > 0) || chapters()[0]).html;
}
