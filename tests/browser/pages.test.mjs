// Every page of the built site, every edition's (English at its root, each translation under
// LANG/), loads cleanly and stays on this machine (print.html's own checks are in print.test.mjs).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { EDITIONS, launch, openPage, screenshot, siteHtmlFiles, url } from "./support.mjs";

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

test("every page of every edition loads with no console error and no request leaving this machine", async (t) => {
    const pages = siteHtmlFiles();
    for (const index of ["", ...EDITIONS.map((e) => `${e}/`)].map((e) => `${e}index.html`)) {
        assert.ok(pages.includes(index), `the site has no ${index}`);
    }
    t.diagnostic(`${pages.length} pages of ${1 + EDITIONS.length} editions`);
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
