// Every page of the built book loads cleanly and stays on this machine; print.html holds every
// chapter of SUMMARY.md.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chapters, htmlFiles, launch, openPage, screenshot, url } from "./support.mjs";

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

test("every page loads with no console error and no request leaving this machine", async () => {
    const pages = htmlFiles();
    assert.ok(pages.includes("index.html"), "book/html has no index.html");
    const { context, page, problems } = await openPage(browser);
    const broken = [];
    page.on("response", (response) => {
        if (response.status() >= 400 && !response.url().endsWith("/404.html")) {
            broken.push(`${page.url()}: ${response.status()} for ${response.url()}`);
        }
    });
    for (const file of pages) {
        await page.goto(url(file), { waitUntil: "load" });
        await page.waitForLoadState("networkidle");
        if ((await page.locator("pre.mermaid").count()) > 0) {
            await page.locator("pre.mermaid svg").first().waitFor({ timeout: 20_000 });
        }
    }
    await screenshot(page, "last-page-loaded");
    await context.close();
    assert.deepEqual(problems.console, [], "console errors");
    assert.deepEqual(problems.external, [], "requests that left this machine");
    assert.deepEqual(broken, [], "failed loads");
});

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
    // print.html would open the print dialog on load; the test only reads it.
    await page.addInitScript(() => {
        window.print = () => {};
    });
    await page.goto(url("print.html"));
    const printed = (await page.locator("main").locator("h1, h2, h3").allInnerTexts()).map((t) => t.trim());
    let from = 0;
    for (const { md, text } of headings) {
        const at = printed.indexOf(text, from);
        assert.ok(at >= 0, `print.html lacks ${md} (heading "${text}"), or has it out of order`);
        from = at + 1;
    }
    await context.close();
    assert.deepEqual(problems.console, []);
});
