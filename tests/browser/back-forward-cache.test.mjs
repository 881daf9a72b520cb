// Back to a page shows it as the reader left the book, without the unload listener mdBook's book.js
// adds for that (theme/back-forward-cache.js; Lighthouse's Best practices fails a page on it): no
// page registers one, and a theme chosen on the next page is the theme of the page Back returns to.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chromium } from "playwright-core";
import { openPage, url } from "./support.mjs";

let browser;
before(async () => {
    // As support.mjs's launch(), but with the back/forward cache on: Playwright turns it off by
    // default, and without it Back always loads the page again and this test could not fail.
    browser = await chromium.launch({
        executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
        headless: true,
        chromiumSandbox: false,
        ignoreDefaultArgs: ["--disable-back-forward-cache"],
        args: ["--disable-gpu", "--no-first-run", "--disable-background-networking"],
    });
});
after(async () => {
    await browser?.close();
});

test("no unload listener, and Back shows the theme chosen on the next page", async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(url("ch01-00-what-multitasking-is.html"));
    const cdp = await context.newCDPSession(page);
    const { result } = await cdp.send("Runtime.evaluate", { expression: "window" });
    const { listeners } = await cdp.send("DOMDebugger.getEventListeners", { objectId: result.objectId });
    assert.deepEqual(listeners.filter((l) => l.type === "unload"), [], "an unload listener on window");
    assert.equal(await page.evaluate(() => window.onunload), null);

    await page.goto(url("ch02-00-preemptive-multitasking.html"));
    await page.locator("#mdbook-theme-toggle").click();
    await page.locator("#mdbook-theme-coal").click();
    assert.ok(await page.evaluate(() => document.documentElement.classList.contains("coal")));
    // The page Back brings is either loaded again or restored from the back/forward cache (and
    // then reloaded by theme/back-forward-cache.js): it must show coal either way.
    await page.goBack({ waitUntil: "commit" });
    await page.waitForURL(/ch01-/);
    await assert.doesNotReject(
        page.waitForFunction(() => document.documentElement.classList.contains("coal"), null, { timeout: 10_000 }),
        "the page Back returned to shows the theme it had before the reader chose coal",
    );
    await context.close();
    assert.deepEqual(problems.console, []);
});
