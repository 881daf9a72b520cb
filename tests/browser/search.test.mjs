// Search, on the index tools/mdbook-finish rewrites without the listings' hidden lines: it
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

// mdBook's search scripts come when the reader opens search (theme/search-loader.js, given their
// addresses by tools/mdbook-finish), not with every page. Each way of opening search still works,
// and what the reader types before they arrive is kept: searcher.js is held back by half a second
// in these tests, so the keys always come first.
const SEARCH_FILES = /\/(elasticlunr|mark|searcher|searchindex)-[0-9a-f]+(\.min)?\.js$/;

/** A page of ch10 whose search scripts are counted as they are requested, searcher.js late. */
async function searchPage(address = "ch10-00-finishing-and-cancelling.html") {
    const opened = await openPage(browser);
    const requested = [];
    opened.page.on("request", (request) => {
        const found = new URL(request.url()).pathname.match(SEARCH_FILES);
        if (found) {
            requested.push(found[1]);
        }
    });
    await opened.page.route(/\/searcher-[0-9a-f]+\.js$/, async (route) => {
        await new Promise((resolve) => setTimeout(resolve, 500));
        await route.continue();
    });
    await opened.page.goto(url(address), { waitUntil: "load" });
    return { ...opened, requested };
}

async function resultsFor(page, term) {
    const header = page.locator("#mdbook-searchresults-header");
    await assert.doesNotReject(
        header.filter({ hasText: `'${term}'` }).waitFor({ timeout: 15_000 }),
        `no results header for "${term}"`,
    );
    return page.locator("#mdbook-searchresults li").count();
}

test("no search script is requested before search opens; the button opens it", async () => {
    const { context, page, problems, requested } = await searchPage();
    // Past the load event, scrolled and idle: still nothing.
    await page.mouse.wheel(0, 800);
    await page.waitForLoadState("networkidle");
    assert.deepEqual(requested, [], "search scripts were requested before search was opened");
    await page.locator("#mdbook-search-toggle").click();
    const bar = page.locator("#mdbook-searchbar");
    assert.ok(await bar.isVisible(), "the search bar did not open on the first click");
    await page.keyboard.type("waker");
    assert.ok((await resultsFor(page, "waker")) > 0);
    assert.equal(await bar.inputValue(), "waker");
    assert.deepEqual(requested.sort(), ["elasticlunr", "mark", "searcher", "searchindex"]);
    // The button closes it again, now through searcher.js.
    await page.locator("#mdbook-search-toggle").click();
    assert.ok(await bar.isHidden(), "the second click did not close search");
    await context.close();
    assert.deepEqual(problems.console, []);
});

for (const key of ["s", "/"]) {
    test(`the \`${key}\` key opens search and the word typed right after it is searched`, async () => {
        const { context, page, problems, requested } = await searchPage();
        await page.keyboard.press(key);
        await page.keyboard.type("executor");
        // The keys were typed before searcher.js could have run.
        assert.ok(requested.includes("searcher"));
        assert.ok((await resultsFor(page, "executor")) > 0);
        assert.equal(await page.locator("#mdbook-searchbar").inputValue(), "executor");
        assert.match(new URL(page.url()).search, /[?&]search=executor\b/);
        await context.close();
        assert.deepEqual(problems.console, []);
    });
}

test("Enter pressed before the search scripts arrive keeps the page and the words", async () => {
    const { context, page, problems } = await searchPage();
    const before = page.url();
    await page.keyboard.press("s");
    await page.keyboard.type("waker");
    await page.keyboard.press("Enter");
    assert.ok((await resultsFor(page, "waker")) > 0, "no results after Enter");
    assert.equal(await page.locator("#mdbook-searchbar").inputValue(), "waker");
    assert.equal(new URL(page.url()).pathname, new URL(before).pathname);
    assert.ok(!new URL(page.url()).searchParams.has("searchbar"), `the form was submitted: ${page.url()}`);
    await context.close();
    assert.deepEqual(problems.console, []);
});

test("a ?search= address searches, and a result followed highlights the word", async () => {
    const { context, page, problems } = await searchPage("index.html?search=reactor");
    assert.ok((await resultsFor(page, "reactor")) > 0);
    assert.ok(await page.locator("#mdbook-searchbar").isVisible());
    const first = page.locator("#mdbook-searchresults li a").first();
    const href = await first.getAttribute("href");
    assert.match(href, /\?highlight=reactor#/);
    await Promise.all([page.waitForURL(/highlight=reactor/), first.click()]);
    const marked = page.locator("#mdbook-content mark");
    await assert.doesNotReject(marked.first().waitFor({ timeout: 15_000 }), `${href}: nothing highlighted`);
    const words = await marked.allTextContents();
    assert.ok(words.every((w) => w.toLowerCase().startsWith("reactor")), words.join(", "));
    await context.close();
    assert.deepEqual(problems.console, []);
});
