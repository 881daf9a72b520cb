// Every page of the built book loads cleanly and stays on this machine (print.html's own checks
// are in print.test.mjs).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { htmlFiles, launch, openPage, screenshot, url } from "./support.mjs";

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
