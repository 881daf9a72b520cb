// Search, on the index tools/mdbook-search-index rewrites without the listings' hidden lines: it
// still finds the words the other tests look for and the names a reader would search, each on a
// page that shows it, and no result quotes a hidden line. (The index's size per word of text is
// checked by the renderer itself, in every build.)
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launch, openPage, readBookFile, url } from "./support.mjs";

/** The words navigation.test.mjs searches for, and names a reader looks up. */
const TERMS = ["Poll", "Waker", "Context", "Future", "poll", "RawWakerVTable", "Pin", "block_on", "executor"];

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

/** The text of a built page's <main> as a reader sees it (no hidden lines), lower-cased. */
function visibleText(file) {
    const html = readBookFile(file);
    const main = html.slice(html.indexOf("<main>"), html.lastIndexOf("</main>"));
    return main
        .replace(/<span class="boring">[^<]*<\/span>/g, " ")
        // As the index reads a page: a space where an element opens, nothing where it closes.
        .replace(/<\/[^>]*>/g, "")
        .replace(/<[^>]*>/g, " ")
        .replaceAll("&lt;", "<")
        .replaceAll("&gt;", ">")
        .replaceAll("&amp;", "&")
        .toLowerCase();
}

test("search finds each term on a page that shows it, and quotes no hidden line", async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(url("index.html"));
    await page.locator("#mdbook-search-toggle").click();
    const bar = page.locator("#mdbook-searchbar");
    for (const term of TERMS) {
        await bar.fill("");
        // The search runs on key presses, as a reader types.
        await bar.pressSequentially(term);
        const header = page.locator("#mdbook-searchresults-header");
        await assert.doesNotReject(
            header.filter({ hasText: `'${term}'` }).waitFor({ timeout: 10_000 }),
            `searching for "${term}" showed no results header`,
        );
        const results = await page.locator("#mdbook-searchresults li").evaluateAll((items) =>
            items.map((li) => ({
                href: li.querySelector("a").getAttribute("href"),
                teaser: li.querySelector(".teaser").textContent,
            })),
        );
        assert.ok(results.length > 0, `searching for "${term}" found nothing`);
        const pages = [...new Set(results.map((r) => r.href.split(/[?#]/)[0]))];
        assert.ok(
            pages.some((file) => visibleText(file).includes(term.toLowerCase())),
            `searching for "${term}" found ${pages.join(", ")}, none of which shows the word`,
        );
        for (const { href, teaser } of results) {
            const file = href.split(/[?#]/)[0];
            // A teaser is cut from the stored text; every word of it must be on the page as shown.
            const shown = visibleText(file).replace(/\s+/g, " ");
            const words = teaser.toLowerCase().split(/\s+/).filter((w) => w.length > 3);
            const missing = words.filter((w) => !shown.includes(w));
            assert.deepEqual(missing, [], `"${term}": the teaser for ${href} quotes words its page does not show`);
        }
    }
    await context.close();
    assert.deepEqual(problems.console, []);
});
