// Search, on the index tools/mdbook-finish rewrites without the listings' hidden lines: it
// still finds the words the other tests look for and the names a reader would search, each on a
// page that shows it, and no result quotes a hidden line. (The index's size per word of text is
// checked by the renderer itself, in every build.)
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { readFileSync } from "node:fs";
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
            header.filter({ hasText: quoted(term) }).waitFor({ timeout: 10_000 }),
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

/** The results header's quotation of `term`: 'term' in English, “term” in the Chinese edition
 * (theme/ui-strings.toml translates the header's pieces). */
function quoted(term) {
    const escaped = term.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`['“]${escaped}['”]`);
}

async function resultsFor(page, term) {
    const header = page.locator("#mdbook-searchresults-header");
    await assert.doesNotReject(
        header.filter({ hasText: quoted(term) }).waitFor({ timeout: 15_000 }),
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

// The Chinese edition (zh-CN/), whose index holds pairs of characters (tools/mdbook-finish's
// search_cjk.rs) and whose pages load theme/search-cjk.js with mdBook's search scripts, to cut a
// query the same way and make each teaser from the text around the match.
const CHINESE = "zh-CN";
const CASES = JSON.parse(readFileSync(new URL("./search-cjk-cases.json", import.meta.url), "utf8"));

/**
 * What a reader of the Chinese edition searches for, and the pages a result must be on (at least
 * one result on one of them): chapter 15 builds a waker, 11 to 14 are the pinning chapters.
 */
const CHINESE_TERMS = [
    { term: "唤醒器", pages: ["ch15-00-building-a-waker.html"] },
    { term: "固定", pages: ["ch11-00-self-referential-futures.html", "ch12-00-three-ways-out.html",
        "ch13-00-pin-in-practice.html", "ch14-00-pin-projection.html"] },
    { term: "执行器", pages: ["ch16-00-a-simple-executor.html", "ch17-00-an-executor-with-wakers.html"] },
    { term: "状态机", pages: ["ch08-00-from-async-fn-to-enum.html"] },
    // Two words written together, as a reader types them.
    { term: "唤醒丢失", pages: ["ch06-00-waiting-for-a-future.html", "ch17-00-an-executor-with-wakers.html"] },
    { term: "自引用", pages: ["ch11-00-self-referential-futures.html"] },
    // One character, which the index holds only inside pairs (互斥锁: 互斥, 斥锁).
    { term: "锁", pages: ["ch21-00-async-keyboard-input.html"] },
    // English names in the Chinese text keep English's stemming.
    { term: "poll", pages: ["ch06-00-waiting-for-a-future.html"] },
    { term: "RawWakerVTable", pages: ["ch15-00-building-a-waker.html"] },
];

/** A built page's text as the index reads it, lower-cased, its entities decoded, its whitespace one space. */
function shownText(file) {
    return visibleText(file)
        .replace(/&(quot|#34|#39|#x27|nbsp);/g, (entity) =>
            ({ "&quot;": "\"", "&#34;": "\"", "&#39;": "'", "&#x27;": "'", "&nbsp;": "\u00a0" })[entity])
        .replace(/\s+/g, " ");
}

/** The Chinese edition's index page, with search opened and its scripts counted as requested. */
async function chineseSearch() {
    let html;
    try {
        html = readBookFile(`${CHINESE}/index.html`);
    } catch {
        assert.fail(`the site has no ${CHINESE}/index.html: the browser suite tests the whole site, every edition`);
    }
    assert.match(html, /<html lang="zh-CN"/);
    const opened = await openPage(browser);
    const requested = [];
    opened.page.on("request", (request) => {
        const found = new URL(request.url()).pathname.match(/\/(search-cjk|searcher|searchindex)-[0-9a-f]+\.js$/);
        if (found) {
            requested.push(found[1]);
        }
    });
    await opened.page.goto(url(`${CHINESE}/index.html`));
    await opened.page.locator("#mdbook-search-toggle").click();
    return { ...opened, requested, bar: opened.page.locator("#mdbook-searchbar") };
}

test("the Chinese edition's pages cut every shared case, and every document, as its index was cut", async () => {
    const { context, page, problems, bar, requested } = await chineseSearch();
    await bar.fill("唤醒器");
    await bar.dispatchEvent("keyup");
    await resultsFor(page, "唤醒器");
    assert.ok(requested.includes("search-cjk"), `search-cjk.js was not loaded: ${requested.join(", ")}`);
    const { pipeline, cut } = await page.evaluate((cases) => {
        const names = window.search.index.pipeline;
        const run = window.elasticlunr.Pipeline.load(names);
        return {
            pipeline: names,
            cut: cases.map(({ text }) => {
                const tokens = window.elasticlunr.tokenizer(text);
                return { text, tokens, indexed: run.run(tokens) };
            }),
        };
    }, CASES);
    assert.deepEqual(pipeline, ["trimmer-cjk", "stopWordFilter", "stemmer-cjk"]);
    assert.deepEqual(cut, CASES.map(({ text, tokens, indexed }) => ({ text, tokens, indexed })));
    // And on the whole edition: each field of each document, cut here, gives as many tokens as
    // the index counted for it, and the index finds the document by each of them.
    const differing = await page.evaluate(() => {
        const { elasticlunr, search } = window;
        const index = elasticlunr.Index.load(search.index);
        const { docs, docInfo } = search.index.documentStore;
        const found = [];
        for (const field of search.index.fields) {
            for (const [ref, doc] of Object.entries(docs)) {
                const tokens = index.pipeline.run(elasticlunr.tokenizer(doc[field]));
                if (tokens.length !== docInfo[ref][field]) {
                    found.push(`${field} of ${ref}: ${tokens.length} tokens cut here, ${docInfo[ref][field]} indexed`);
                    continue;
                }
                const missing = tokens.find((token) => !(ref in index.index[field].getDocs(token)));
                if (missing !== undefined) {
                    found.push(`${field} of ${ref}: ${missing} is not indexed`);
                }
            }
        }
        return found;
    });
    assert.deepEqual(differing.slice(0, 10), [], `${differing.length} fields cut differently from the index`);
    await context.close();
    assert.deepEqual(problems.console, []);
});

test("Chinese search finds each term on the pages about it, with a teaser of the text around it", async () => {
    const { context, page, problems, bar } = await chineseSearch();
    for (const { term, pages } of CHINESE_TERMS) {
        // Chinese is typed through an input method, which puts the words in the bar and ends with
        // the key that picks them (searcher.js searches on key-up); Playwright types characters
        // that no key makes without key events.
        await bar.fill(term);
        await bar.dispatchEvent("keyup");
        assert.ok((await resultsFor(page, term)) > 0, `searching for "${term}" found nothing`);
        const results = await page.locator("#mdbook-searchresults li").evaluateAll((items) =>
            items.map((li) => ({
                href: li.querySelector("a").getAttribute("href"),
                teaser: li.querySelector(".teaser").textContent,
                marked: [...li.querySelectorAll(".teaser em")].map((em) => em.textContent),
            })),
        );
        const found = results.map((r) => r.href.split(/[?#]/)[0].split("/").pop());
        assert.ok(
            found.some((file) => pages.includes(file)),
            `searching for "${term}" found ${[...new Set(found)].join(", ")}, none of ${pages.join(", ")}`,
        );
        // (A section found by its title or breadcrumbs alone has nothing marked.)
        for (const { href, teaser } of results) {
            const file = new URL(href, page.url()).pathname.split("/").slice(-2).join("/");
            assert.ok(file.startsWith(`${CHINESE}/`), `"${term}": ${href} leaves the Chinese edition`);
            // Quoted from the page as shown (each stretch between spaces: a diagram's labels are
            // read once, in the drawing's order), a part of the section, not all of it.
            const shown = shownText(file);
            const missing = teaser.toLowerCase().split(/\s+/).filter((part) => part !== "" && !shown.includes(part));
            assert.deepEqual(missing, [], `"${term}": the teaser for ${href} quotes what its page does not show`);
            assert.ok([...teaser].length <= 140, `"${term}": the teaser for ${href} is ${[...teaser].length} characters long`);
        }
        // A teaser among the first three marks the term itself.
        const first = results.slice(0, 3).flatMap((r) => r.marked.map((m) => m.toLowerCase()));
        assert.ok(first.some((m) => m.includes(term.toLowerCase())), `"${term}": the first teasers mark ${first.join(", ")}`);
    }
    await context.close();
    assert.deepEqual(problems.console, []);
});

test("a Chinese result followed highlights the term on its page", async () => {
    const { context, page, problems, bar } = await chineseSearch();
    await bar.fill("唤醒器");
    await bar.dispatchEvent("keyup");
    assert.ok((await resultsFor(page, "唤醒器")) > 0);
    const first = page.locator("#mdbook-searchresults li a").first();
    await Promise.all([page.waitForURL(/highlight=/), first.click()]);
    assert.match(page.url(), new RegExp(`/${CHINESE}/`));
    const marked = page.locator("#mdbook-content mark");
    await assert.doesNotReject(marked.first().waitFor({ timeout: 15_000 }), "nothing highlighted");
    const words = await marked.allTextContents();
    assert.ok(words.every((w) => w === "唤醒器"), words.join(", "));
    await context.close();
    assert.deepEqual(problems.console, []);
});
