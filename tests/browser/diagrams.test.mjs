// Diagrams arrive drawn (tools/mdbook-diagrams draws mermaid's at build time and gives svgbob's a
// viewBox): no page holds an undrawn diagram or asks for mermaid's script, their text is text,
// the page's theme picks the light or dark drawing, and at a phone's width and a desktop's every
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
        // The dark drawing stands in for the light one: same viewBox and width, so what fits
        // (measured in the light theme below) fits in the dark themes too.
        const unlike = await figures.evaluateAll((figures) =>
            figures.flatMap((figure, index) => {
                const [light, dark] = ["light", "dark"].map((v) => figure.querySelector(`svg.diagram-${v}`));
                const shape = (svg) =>
                    svg && `viewBox ${svg.getAttribute("viewBox")}, width ${svg.getAttribute("width")}, --diagram-width ${svg.style.getPropertyValue("--diagram-width")}`;
                return shape(light) && shape(light) === shape(dark) ? [] : [`mermaid diagram ${index + 1}: light ${shape(light)} / dark ${shape(dark)}`];
            }),
        );
        assert.deepEqual(unlike, [], `${html}: light and dark drawings of different shapes`);
        mermaidCount += chapter ? sources.length : 0;
        // Two drawings per diagram and many diagrams per page (all of them on print.html): no id twice.
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

test("the page's theme shows the matching drawing, at once when the theme changes", async () => {
    const chapter = chapters().find((c) => fenced(c, "mermaid").length > 0);
    const { context, page } = await openPage(browser);
    await page.goto(url(chapter.html));
    const shown = () =>
        page.locator("main .mermaid-diagram").first().evaluate((e) =>
            Array.from(e.querySelectorAll("svg"))
                .filter((s) => getComputedStyle(s).display !== "none")
                .map((s) => (s.classList.contains("diagram-dark") ? "dark" : "light")),
        );
    const theme = (name) =>
        page.evaluate((n) => {
            const html = document.documentElement;
            html.classList.remove("light", "rust", "coal", "navy", "ayu");
            html.classList.add(n);
        }, name);
    for (const [name, expected] of [["light", "light"], ["navy", "dark"], ["coal", "dark"], ["ayu", "dark"], ["rust", "light"]]) {
        await theme(name);
        assert.deepEqual(await shown(), [expected], `${chapter.md}: theme ${name} shows the ${expected} drawing`);
    }
    // Through the theme menu too, as a reader switches.
    await page.locator("#mdbook-theme-toggle, #theme-toggle").first().click();
    await page.locator("#mdbook-theme-navy, #navy").first().click();
    assert.deepEqual(await shown(), ["dark"], `${chapter.md}: choosing Navy in the menu shows the dark drawing`);
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
