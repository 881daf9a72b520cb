// print.html: every chapter of SUMMARY.md in one page, to be read through or printed (the PDF is
// printed from a copy of it). Nothing on it is edited or run (tools/mdbook-finish keeps the
// listings' hidden lines out of it when the book is built, theme/print-page.js takes Run and copy
// buttons away before mdBook's book.js adds them), its diagrams are drawn,
// and the time it keeps the browser busy is measured and printed: a figure, not a pass/fail
// budget (a busy machine would fail one for no fault of the page). What is checked instead is
// deterministic: what the scripts left out.
//
// With ANCHOR_PRINT_URL set (another book's print.html, e.g. the Async Book built by the same
// mdBook and served on this machine), the blocking time of both pages is measured side by side,
// in alternating loads, and the ratio is printed too.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RUNNER_URL, chapters, fenced, launch, openPage, url } from "./support.mjs";

/** Loads measured for the median blocking time. */
const RUNS = Number(process.env.PRINT_BLOCKING_RUNS || 3);
/** The page counts as idle once no task has run over 50 ms for this long. */
const QUIET_MS = 3_000;
/**
 * A page still busy after this long fails the measurement: a hang detector, not a budget (a freeze
 * is a fault, not a figure). Generous, so that a loaded 2-core machine never reaches it: the
 * page settles in a few seconds on a quiet one.
 */
const MAX_WAIT_MS = 180_000;

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

/** Opens print.html (or `address`) without its print dialog, recording long tasks from the start. */
async function openPrintPage(address = url("print.html")) {
    const opened = await openPage(browser);
    const requests = [];
    opened.page.on("request", (request) => requests.push(request.url()));
    await opened.page.addInitScript(() => {
        // print.html would open the print dialog on load; these tests only read it.
        window.print = () => {};
        window.longTasks = [];
        new PerformanceObserver((list) => {
            for (const entry of list.getEntries()) {
                window.longTasks.push({ start: entry.startTime, duration: entry.duration });
            }
        }).observe({ type: "longtask", buffered: true });
    });
    await opened.page.goto(address, { waitUntil: "load", timeout: MAX_WAIT_MS });
    return { ...opened, requests };
}

/**
 * Waits until the page is idle (no long task for QUIET_MS) and returns its total blocking time
 * from navigation until then: the sum, over tasks longer than 50 ms, of the part beyond 50 ms.
 */
async function blockingTime(page) {
    const started = Date.now();
    for (;;) {
        const quiet = await page.evaluate(() => {
            const last = window.longTasks.at(-1);
            return performance.now() - (last ? last.start + last.duration : 0);
        });
        if (quiet >= QUIET_MS) {
            break;
        }
        if (Date.now() - started > MAX_WAIT_MS) {
            assert.fail(`${page.url()} was still busy ${MAX_WAIT_MS / 1000} s after it loaded`);
        }
        await page.waitForTimeout(250);
    }
    return page.evaluate(() => ({
        blocking: window.longTasks.reduce((sum, task) => sum + Math.max(0, task.duration - 50), 0),
        longest: Math.max(0, ...window.longTasks.map((task) => task.duration)),
        tasks: window.longTasks.length,
        elements: document.getElementsByTagName("*").length,
    }));
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

test("print.html holds every chapter of SUMMARY.md, in order", async () => {
    const { context, page, problems } = await openPage(browser);
    // Each chapter's first heading, as its own page shows it.
    const headings = [];
    for (const chapter of chapters()) {
        await page.goto(url(chapter.html), { waitUntil: "domcontentloaded" });
        const first = page.locator("main").locator("h1, h2, h3").first();
        assert.ok((await first.count()) > 0, `${chapter.md} has no heading`);
        headings.push({ md: chapter.md, text: (await first.innerText()).trim() });
    }
    assert.ok(headings.length > 0, "SUMMARY.md links no chapter");
    await context.close();
    const printed = await openPrintPage();
    const texts = (await printed.page.locator("main").locator("h1, h2, h3").allInnerTexts()).map((t) => t.trim());
    let from = 0;
    for (const { md, text } of headings) {
        const at = texts.indexOf(text, from);
        assert.ok(at >= 0, `print.html lacks ${md} (heading "${text}"), or has it out of order`);
        from = at + 1;
    }
    await printed.context.close();
    assert.deepEqual(problems.console, []);
    assert.deepEqual(printed.problems.console, []);
});

test("print.html has nothing to edit or run, no hidden lines, and asks nothing of a runner", async () => {
    const { context, page, problems, requests } = await openPrintPage();
    await blockingTime(page);
    const found = await page.evaluate(() => ({
        blocks: document.querySelectorAll("main pre > code").length,
        editable: document.querySelectorAll("main [contenteditable]").length,
        runButtons: document.querySelectorAll("main .play-button").length,
        buttons: document.querySelectorAll("main pre > .buttons").length,
        hiddenLines: document.querySelectorAll("main .boring").length,
        // book.js marks a block whose hidden lines it saw.
        blocksWithHiddenLines: document.querySelectorAll("main .hide-boring").length,
        highlighted: document.querySelectorAll("main pre > code.hljs").length,
    }));
    assert.ok(found.blocks > 0, "print.html has no code block");
    assert.equal(found.highlighted, found.blocks, "every code block is still highlighted (the PDF prints the colours)");
    assert.equal(found.editable, 0, "editable blocks on print.html");
    assert.equal(found.runButtons, 0, "Run buttons on print.html");
    assert.equal(found.buttons, 0, "buttons (copy, hidden lines, Run) on print.html's code blocks");
    assert.equal(found.hiddenLines, 0, "hidden lines in print.html's code: did the mdbook-finish renderer run?");
    assert.equal(found.blocksWithHiddenLines, 0, "book.js saw hidden lines: did the mdbook-finish renderer run?");
    const runner = new URL(RUNNER_URL).origin;
    const asked = requests.filter(
        (address) => address.startsWith(runner) || address.includes("play.rust-lang.org") || address.includes("local-runner.json"),
    );
    assert.deepEqual(asked, [], "requests to a runner, the playground or the runner's address");
    await context.close();
    assert.deepEqual(problems.console, []);
    assert.deepEqual(problems.external, []);
});

test("every diagram of the chapters is drawn on print.html", async () => {
    const count = (name) => chapters().reduce((sum, c) => sum + fenced(c, name).length, 0);
    const expected = { mermaid: count("mermaid"), svgbob: count("bob") };
    assert.ok(expected.mermaid + expected.svgbob > 0, "no chapter has a diagram");
    const { context, page, problems } = await openPrintPage();
    await blockingTime(page);
    const found = await page.evaluate(() => ({
        // A diagram still shown as its source: a mermaid block with no drawing in it.
        undrawn: Array.from(document.querySelectorAll("main pre.mermaid"))
            .filter((pre) => !pre.querySelector("svg"))
            .map((pre) => pre.textContent.trim().split("\n")[0]),
        // A mermaid diagram is drawn when it holds its drawing (or, where mermaid's light and dark
        // drawings differ in more than colour, both).
        mermaid: Array.from(document.querySelectorAll("main .mermaid-diagram")).filter((figure) => {
            const drawings = figure.querySelectorAll(":scope > svg");
            return drawings.length === 1
                ? !/\bdiagram-(light|dark)\b/.test(drawings[0].className.baseVal)
                : drawings.length === 2 && figure.querySelector(":scope > svg.diagram-light") && figure.querySelector(":scope > svg.diagram-dark");
        }).length,
        svgbob: document.querySelectorAll("main .svgbob-diagram > svg").length,
    }));
    assert.deepEqual(found.undrawn, [], "diagrams left as text on print.html");
    assert.equal(found.mermaid, expected.mermaid, "print.html's drawn mermaid diagrams against the chapters' ```mermaid blocks");
    assert.equal(found.svgbob, expected.svgbob, "print.html's svgbob drawings against the chapters' ```bob blocks");
    await context.close();
    assert.deepEqual(problems.console, []);
});

test("print.html's blocking time is measured (a figure, printed)", async () => {
    const anchor = process.env.ANCHOR_PRINT_URL;
    const ours = [];
    const theirs = [];
    for (let run = 0; run < RUNS; run++) {
        // A fresh context each time: empty cache, as a first visit.
        const printed = await openPrintPage();
        ours.push(await blockingTime(printed.page));
        await printed.context.close();
        if (anchor) {
            const other = await openPrintPage(anchor);
            theirs.push(await blockingTime(other.page));
            await other.context.close();
        }
    }
    const describe = (label, runs) =>
        `${label}: total blocking time ${median(runs.map((r) => r.blocking)).toFixed(0)} ms ` +
        `(median of ${runs.length}: ${runs.map((r) => r.blocking.toFixed(0)).join(", ")} ms; ` +
        `longest task ${median(runs.map((r) => r.longest)).toFixed(0)} ms; ${runs[0].elements} elements once idle)`;
    console.log(describe("print.html", ours));
    if (anchor) {
        console.log(describe(anchor, theirs));
        const ratio = median(ours.map((r) => r.blocking)) / Math.max(1, median(theirs.map((r) => r.blocking)));
        console.log(`print.html blocks ${ratio.toFixed(1)}× as long as ${anchor}`);
    }
});
