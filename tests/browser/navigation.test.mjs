// Finding one's way: the sidebar, next and previous, search, and a theme that stays chosen.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chapters, launch, openPage, readRepoFile, screenshot, summaryEntries, url } from "./support.mjs";

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

function pageName(address) {
    return new URL(address).pathname.split("/").pop();
}

test("the sidebar lists SUMMARY.md's entries as xtask reads them, in the same order", async () => {
    // xtask reads SUMMARY.md with mdBook's own parser; this checks that reading against what
    // mdBook rendered: every part title, separator, chapter (page, number, title) and draft.
    const { context, page, problems } = await openPage(browser);
    await page.goto(url("index.html"));
    const shown = await page.locator("#mdbook-sidebar ol.chapter").first().evaluate((list) =>
        Array.from(list.querySelectorAll("li"), (li) => {
            if (li.classList.contains("part-title")) {
                return { kind: "part", title: li.textContent.trim() };
            }
            if (li.classList.contains("spacer")) {
                return { kind: "separator" };
            }
            if (li.classList.contains("header-item")) {
                return null; // the open page's own headings, which mdBook lists under it
            }
            const wrapper = li.querySelector(":scope > .chapter-link-wrapper");
            if (!wrapper) {
                return null; // mdBook's stray wrapper <li> around a part title
            }
            const link = wrapper.querySelector("a[href]");
            const number = wrapper.querySelector("strong")?.textContent.trim() || null;
            const title = Array.from((link || wrapper).childNodes)
                .filter((node) => node.nodeName !== "STRONG")
                .map((node) => node.textContent)
                .join("")
                .trim();
            if (!link) {
                return { kind: "draft", number, title };
            }
            return { kind: "chapter", html: link.getAttribute("href").split("/").pop(), number, title };
        }).filter(Boolean),
    );
    const expected = summaryEntries().map((entry) => {
        switch (entry.kind) {
            case "chapter":
                return { kind: "chapter", html: entry.html.split("/").pop(), number: entry.number, title: entry.title };
            case "draft":
                return { kind: "draft", number: entry.number, title: entry.title };
            case "part":
                return { kind: "part", title: entry.title };
            default:
                return { kind: entry.kind };
        }
    });
    assert.deepEqual(shown, expected);
    await context.close();
    assert.deepEqual(problems.console, []);
});

test("the sidebar leads to every chapter", async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(url("index.html"));
    for (const chapter of chapters().slice(1)) {
        const link = page.locator(`#mdbook-sidebar a[href$="${chapter.html}"]`).first();
        await link.click();
        await page.waitForURL((u) => pageName(u.href) === chapter.html, { waitUntil: "domcontentloaded" });
        const active = page.locator("#mdbook-sidebar a.active");
        assert.match(await active.first().getAttribute("href"), new RegExp(`${chapter.html}$`));
    }
    await context.close();
    assert.deepEqual(problems.console, []);
});

test("next and previous walk the chapters in SUMMARY.md's order", async () => {
    const order = chapters().map((c) => c.html);
    assert.ok(order.length > 0, "SUMMARY.md links no chapter");
    const { context, page, problems } = await openPage(browser);
    await page.goto(url(order[0]));
    const arrive = (expected) =>
        page.waitForURL((u) => pageName(u.href) === expected, { waitUntil: "domcontentloaded" });
    for (const expected of order.slice(1)) {
        await page.locator('a[rel~="next"]:visible').first().click();
        await arrive(expected);
    }
    assert.equal(await page.locator('a[rel~="next"]').count(), 0, "the last chapter has a next link");
    // Back a few steps: the links are the same on every page.
    for (const expected of order.slice(0, -1).reverse().slice(0, 3)) {
        await page.locator('a[rel~="prev"]:visible').first().click();
        await arrive(expected);
    }
    await context.close();
    assert.deepEqual(problems.console, []);
});

test("search finds a term of Part II", async () => {
    const partTwo = chapters().filter((c) => /^Part II\b/.test(c.part));
    if (partTwo.length === 0) {
        assert.fail("no chapter of Part II is in SUMMARY.md yet, so search cannot be tested on it");
    }
    const sources = partTwo.map((c) => ({ chapter: c, text: readRepoFile(`src/${c.md}`) }));
    const term = ["Poll", "Waker", "Context", "Future"].find((word) =>
        sources.some(({ text }) => new RegExp(`\\b${word}\\b`).test(text)),
    );
    assert.ok(term, "Part II mentions none of Poll, Waker, Context, Future");
    const { context, page, problems } = await openPage(browser);
    await page.goto(url("index.html"));
    await page.locator("#mdbook-search-toggle").click();
    // The search runs on key presses, as a reader types.
    await page.locator("#mdbook-searchbar").pressSequentially(term);
    const results = page.locator("#mdbook-searchresults li a");
    await results.first().waitFor();
    const targets = (await results.evaluateAll((links) => links.map((a) => a.getAttribute("href")))).map(
        (href) => href.split(/[?#]/)[0],
    );
    const wanted = partTwo.map((c) => c.html);
    assert.ok(
        targets.some((t) => wanted.includes(t)),
        `searching for "${term}" found ${targets.join(", ")}, none of them in Part II (${wanted.join(", ")})`,
    );
    await screenshot(page, "search-results");
    await context.close();
    assert.deepEqual(problems.console, []);
});

test("a chosen theme stays chosen after a reload", async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(url("index.html"));
    const html = page.locator("html");
    for (const theme of ["coal", "light"]) {
        await page.locator("#mdbook-theme-toggle").click();
        await page.locator(`#mdbook-theme-${theme}`).click();
        assert.match(await html.getAttribute("class"), new RegExp(`\\b${theme}\\b`));
        await page.reload();
        assert.match(
            await html.getAttribute("class"),
            new RegExp(`\\b${theme}\\b`),
            `the ${theme} theme was lost on reload`,
        );
        if (theme === "coal") {
            await screenshot(page, "index-coal-theme");
        }
    }
    await context.close();
    assert.deepEqual(problems.console, []);
});
