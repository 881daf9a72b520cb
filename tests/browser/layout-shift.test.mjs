// No layout shift from web fonts (issue 18): every chapter page, on a phone (390×844, mobile
// emulation), with every font response held back for a second, as on a slow connection, must
// keep its cumulative layout shift (CLS, summed over the whole load) at most 0.02. Holding the
// fonts makes the test deterministic: a font that is swapped in after the first paint moves the
// text under it, every time, and the shift is measured with the browser's own PerformanceObserver.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chapters, launch, openPage, url } from "./support.mjs";

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true };
const FONT_DELAY_MS = 1000;
const LIMIT = 0.02;

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

/** Sums every layout shift not caused by input, from the start of the load, with what moved. */
function recordShifts() {
    window.__shifts = [];
    new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
            if (entry.hadRecentInput) {
                continue;
            }
            const moved = entry.sources.map((s) => {
                const node = s.node;
                if (!node) {
                    return "(removed node)";
                }
                const element = node.nodeType === 1 ? node : node.parentElement;
                const text = (node.textContent || "").trim().slice(0, 40);
                return `${element?.tagName.toLowerCase()}${element?.id ? "#" + element.id : ""}${element?.className && typeof element.className === "string" ? "." + element.className.split(" ")[0] : ""} "${text}"`;
            });
            window.__shifts.push({ value: entry.value, at: Math.round(entry.startTime), moved });
        }
    }).observe({ type: "layout-shift", buffered: true });
}

/** Loads a page with its fonts held back, waits until they arrived and the page settled. */
async function measure(address) {
    const { context, page, problems } = await openPage(browser, PHONE);
    try {
        let pending = 0;
        let fonts = 0;
        await page.route(/\.woff2(\?|$)/, async (route) => {
            pending += 1;
            fonts += 1;
            await new Promise((resolve) => setTimeout(resolve, FONT_DELAY_MS));
            await route.continue();
        });
        const settle = (request) => {
            if (/\.woff2(\?|$)/.test(request.url())) {
                pending -= 1;
            }
        };
        page.on("requestfinished", settle);
        page.on("requestfailed", settle);
        await page.addInitScript(recordShifts);
        const response = await page.goto(address, { waitUntil: "load", timeout: 60_000 });
        assert.equal(response?.status(), 200, `${address} did not load`);
        await page.waitForFunction(() => document.fonts.status === "loaded", null, { timeout: 30_000 });
        const deadline = Date.now() + 30_000;
        while (pending > 0 && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.equal(pending, 0, `${address}: font requests still pending after 30 s`);
        // Two frames after the last font arrived: any swap has been laid out and reported.
        await page.evaluate(
            () =>
                new Promise((resolve) =>
                    requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 200))),
                ),
        );
        const shifts = await page.evaluate(() => window.__shifts);
        assert.deepEqual(problems.console, [], `${address}: console errors`);
        return { fonts, shifts, total: shifts.reduce((sum, s) => sum + s.value, 0) };
    } finally {
        await context.close();
    }
}

test(`no chapter page shifts its layout by more than ${LIMIT} on a phone while its fonts arrive late`, { timeout: 15 * 60_000 }, async (t) => {
    const over = [];
    let fontsSeen = 0;
    for (const chapter of chapters()) {
        const { fonts, shifts, total } = await measure(url(chapter.html));
        fontsSeen += fonts;
        t.diagnostic(`${chapter.html}: CLS ${total.toFixed(4)} (${fonts} font requests held ${FONT_DELAY_MS} ms)`);
        for (const s of shifts) {
            t.diagnostic(`  shift ${s.value.toFixed(4)} at ${s.at} ms: ${s.moved.join("; ")}`);
        }
        if (total > LIMIT) {
            over.push(`${chapter.html}: CLS ${total.toFixed(4)}; ${shifts.map((s) => `${s.value.toFixed(4)} at ${s.at} ms (${s.moved[0] || "?"})`).join(", ")}`);
        }
    }
    // The test means nothing if no font was requested (and so none held back).
    assert.ok(fontsSeen > 0, "no page requested a web font: nothing was measured");
    assert.deepEqual(over, [], `layout shifts above ${LIMIT} at 390 px with fonts ${FONT_DELAY_MS} ms late:\n${over.join("\n")}`);
});
