// The words around the chapters, in each edition's language: what a reader meets on a page of the
// Chinese edition (the search box, a code block's buttons and their messages, a failed Run) is
// Chinese, as po/LANG.po translates theme/ui-strings.toml (tools/mdbook-finish puts it in), and
// the English edition's is mdBook's English. Each expected text is read from the PO file, so a
// better translation does not break this test; an edition that still shows the English fails.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ALL_EDITIONS, RUNNER_URL, chapter, editionUrl, launch, openPage, readRepoFile, screenshot } from "./support.mjs";

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

/** The translations of po/LANG.po: English → translation, for those translated and not fuzzy. */
function translations(language) {
    const found = new Map();
    const unquote = (line) => JSON.parse(line.slice(line.indexOf('"')));
    for (const entry of readRepoFile(`po/${language}.po`).split(/\n\n+/)) {
        if (/^#,.*\bfuzzy\b/m.test(entry) || /^#~/m.test(entry)) {
            continue;
        }
        const lines = entry.split("\n").filter((line) => line && !line.startsWith("#"));
        const at = (keyword) => lines.findIndex((line) => line.startsWith(`${keyword} `));
        const [id, str] = [at("msgid"), at("msgstr")];
        if (id < 0 || str < id) {
            continue;
        }
        const join = (from, to) => lines.slice(from, to).map(unquote).join("");
        const english = join(id, str);
        const translated = join(str, lines.length);
        if (english && translated) {
            found.set(english, translated);
        }
    }
    return found;
}

/** What `english` reads as in `edition` ("" for English); a missing translation fails. */
function inEdition(edition) {
    const known = edition ? translations(edition) : null;
    return (english) => {
        if (!known) {
            return english;
        }
        const text = known.get(english);
        assert.ok(text, `po/${edition}.po does not translate ${JSON.stringify(english)} (theme/ui-strings.toml)`);
        assert.notEqual(text, english);
        return text;
    };
}

/** The first code block of the page whose listing has hidden lines. */
async function blockWithHiddenLines(page) {
    await page.locator("pre.playground .buttons").first().waitFor({ state: "attached", timeout: 10_000 });
    const index = await page.evaluate(() =>
        Array.from(document.querySelectorAll("pre.playground > code")).findIndex((code) => window.hiddenLines.missing(code)),
    );
    assert.ok(index >= 0, "no block with hidden lines on the page");
    return page.locator("pre.playground").nth(index);
}

for (const edition of ALL_EDITIONS) {
    const name = edition || "en";
    test(`the page's chrome and the code blocks' messages are in the edition's language (${name})`, async () => {
        const say = inEdition(edition);
        const ch02 = chapter("ch02-00-preemptive-multitasking.md", "the code blocks' messages");
        const { context, page, problems } = await openPage(browser, { permissions: ["clipboard-read", "clipboard-write"] });
        // Run fails as it does when the runner is down: its message is the one to read.
        await context.route(`${RUNNER_URL}/**`, (route) => route.abort("connectionrefused"));
        await page.goto(editionUrl(edition, ch02.html));

        assert.equal(await page.locator("#mdbook-searchbar").getAttribute("placeholder"), say("Search this book ..."));
        assert.equal(await page.locator('a[href="print.html"]').first().getAttribute("title"), say("Print this book"));

        const block = await blockWithHiddenLines(page);
        await block.scrollIntoViewIfNeeded();
        await block.hover();
        const copy = block.locator("button.clip-button");
        await copy.waitFor({ state: "visible", timeout: 10_000 });
        assert.equal(await copy.getAttribute("title"), say("Copy to clipboard"));
        await copy.click();
        await assert.doesNotReject(
            copy.locator(".tooltiptext").filter({ hasText: say("Copied!") }).waitFor({ timeout: 10_000 }),
            `the copy button did not say ${say("Copied!")}`,
        );

        // The hidden-lines button, which theme/hidden-lines.js recognises by the title book.js gave it.
        const unfold = block.locator(`button[title="${say("Show hidden lines")}"]`);
        assert.equal(await unfold.count(), 1, `no button titled ${say("Show hidden lines")}`);
        await unfold.click();
        const fold = block.locator(`button[title="${say("Hide lines")}"]`);
        await fold.waitFor({ timeout: 10_000 });
        assert.equal(await fold.getAttribute("aria-label"), say("Hide lines"));
        const hidden = block.locator("code .boring").first();
        await assert.doesNotReject(hidden.waitFor({ state: "visible", timeout: 10_000 }), "pressing the button showed no hidden line");
        await fold.click();
        await unfold.waitFor({ timeout: 10_000 });
        await assert.doesNotReject(hidden.waitFor({ state: "hidden", timeout: 10_000 }), "pressing it again left the hidden lines shown");

        await block.hover();
        const run = block.locator("button.play-button");
        await run.waitFor({ state: "visible", timeout: 10_000 });
        assert.equal(await run.getAttribute("title"), say("Run this code"));
        await run.click();
        const result = block.locator("code.result");
        const refusal = say("local runner: ") + say("the runner at ");
        await assert.doesNotReject(
            result.filter({ hasText: refusal }).waitFor({ timeout: 30_000 }),
            `Run's failure does not begin ${JSON.stringify(refusal)}`,
        );
        const shown = await result.innerText();
        assert.ok(shown.includes(say(" does not answer; is `cargo xtask serve` still running?")), shown);
        assert.ok(shown.includes(say(" Code from a book served on this machine is not sent to the public playground.")), shown);
        await screenshot(page, `ui-language-${name}`);
        await context.close();
        assert.deepEqual(problems.external, []);
        // The one error is the runner's refused connection, made above.
        const refused = (message) => message.endsWith("Failed to load resource: net::ERR_CONNECTION_REFUSED");
        assert.deepEqual(problems.console.filter((message) => !refused(message)), []);
    });
}
