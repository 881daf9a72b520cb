// The language picker (tools/mdbook-finish/src/language_picker.rs): on a chapter, on print.html and
// on 404.html of every edition, the top bar links the same page of every other edition, and
// following it keeps the reader on that page and in the same section (`#id`: headings keep their
// English ids in every edition), both ways; without JavaScript the link still leads to the same
// page. The link says which language it leads to (lang, hreflang), the page names the other edition
// in <head> (rel=alternate), and the picker is reached with Tab, shows its focus, and reads well in
// every mdBook theme.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ALL_EDITIONS, EDITIONS, chapter, editionUrl as inEdition, launch, openPage } from "./support.mjs";

/** A chapter and one of its sections, whose id every edition keeps. */
const SECTION = "wakers";
const CHAPTER = chapter("ch05-00-the-future-trait.md", "the language picker's section").html;
const THEMES = ["light", "rust", "coal", "navy", "ayu"];

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

/** The language code of `edition`, as its pages' <html lang> says. */
function language(edition) {
    return edition || "en";
}

/** Every ordered pair of editions. */
function pairs() {
    return ALL_EDITIONS.flatMap((from) => ALL_EDITIONS.filter((to) => to !== from).map((to) => [from, to]));
}

test("there is a translated edition to pick", () => {
    assert.ok(EDITIONS.length > 0, "no po/LANG.po: nothing for the picker to switch to");
});

for (const [from, to] of pairs()) {
    const name = `${language(from)} -> ${language(to)}`;

    test(`${name}: on a chapter the picker keeps the page and the section, also one reached after the page loaded`, async () => {
        const { context, page, problems } = await openPage(browser);
        await page.goto(`${inEdition(from, CHAPTER)}#${SECTION}`);
        const picker = page.locator(`#mdbook-menu-bar a.language-picker[hreflang="${language(to)}"]`);
        assert.equal(await picker.count(), 1, `${from || "en"}'s ${CHAPTER} has no picker to ${language(to)}`);
        assert.equal(await picker.getAttribute("lang"), language(to), "the link's text is not marked as in its language");
        await picker.click();
        await page.waitForURL(`${inEdition(to, CHAPTER)}#${SECTION}`);
        assert.equal(await page.locator("html").getAttribute("lang"), language(to));
        assert.equal(await page.locator(`[id="${SECTION}"]`).count(), 1, `the ${language(to)} page has no #${SECTION}`);
        // A section the reader moves to after the page loaded (a heading link, the sidebar).
        await page.goto(inEdition(from, CHAPTER));
        await page.evaluate((id) => {
            location.hash = id;
        }, SECTION);
        await page.locator(`#mdbook-menu-bar a.language-picker[hreflang="${language(to)}"]`).click();
        await page.waitForURL(`${inEdition(to, CHAPTER)}#${SECTION}`);
        await context.close();
        assert.deepEqual(problems.console, [], "console errors");
    });

    for (const file of ["print.html", "404.html"]) {
        test(`${name}: on ${file} the picker leads to the other edition's ${file}`, async () => {
            const { context, page, problems } = await openPage(browser);
            const seen = [];
            page.on("response", (response) => seen.push(`${response.status()} ${response.url()}`));
            // print.html opens the print dialog on load: kept from doing so here.
            await context.addInitScript(() => {
                window.print = () => {};
            });
            await page.goto(inEdition(from, file));
            await page.locator(`#mdbook-menu-bar a.language-picker[hreflang="${language(to)}"]`).click();
            await page.waitForURL(inEdition(to, file));
            assert.equal(await page.locator("html").getAttribute("lang"), language(to));
            assert.ok(seen.includes(`200 ${inEdition(to, file)}`), `${inEdition(to, file)} was not served: ${seen.join(", ")}`);
            await context.close();
            assert.deepEqual(problems.console, [], "console errors");
        });
    }

    test(`${name}: without JavaScript the picker still leads to the same page; <head> names it as the alternate`, async () => {
        const { context, page } = await openPage(browser, { javaScriptEnabled: false });
        await page.goto(`${inEdition(from, CHAPTER)}#${SECTION}`);
        const alternate = page.locator(`head link[rel="alternate"][hreflang="${language(to)}"]`);
        assert.equal(await alternate.count(), 1, "no <link rel=alternate> for the other edition");
        assert.equal(
            await alternate.evaluate((link) => link.href),
            inEdition(to, CHAPTER),
            "the alternate is not the same page of the other edition",
        );
        await page.locator(`a.language-picker[hreflang="${language(to)}"]`).click();
        await page.waitForURL(inEdition(to, CHAPTER));
        assert.equal(await page.locator("html").getAttribute("lang"), language(to));
        await context.close();
    });
}

for (const edition of ALL_EDITIONS) {
    test(`${language(edition)}: the picker is reached with Tab, shows its focus, and reads well in every theme`, async () => {
        const { context, page } = await openPage(browser);
        await page.goto(inEdition(edition, CHAPTER));
        let reached = false;
        for (let presses = 0; presses < 200 && !reached; presses++) {
            await page.keyboard.press("Tab");
            reached = await page.evaluate(() => document.activeElement?.classList.contains("language-picker") ?? false);
        }
        assert.ok(reached, "200 presses of Tab never reached the picker (the sidebar's links come first)");
        const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
        assert.notEqual(outline, "none", "the focused picker shows no outline");
        for (const theme of THEMES) {
            const ratio = await page.evaluate((theme) => {
                const html = document.documentElement;
                html.classList.remove("light", "rust", "coal", "navy", "ayu");
                html.classList.add(theme);
                const rgb = (color) => color.match(/[\d.]+/g).slice(0, 3).map(Number);
                const luminance = (color) => {
                    const [r, g, b] = rgb(color).map((c) => {
                        const s = c / 255;
                        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
                    });
                    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
                };
                const picker = document.querySelector("a.language-picker");
                picker.style.transition = "none";
                const text = luminance(getComputedStyle(picker).color);
                const bar = luminance(getComputedStyle(document.getElementById("mdbook-menu-bar")).backgroundColor);
                return (Math.max(text, bar) + 0.05) / (Math.min(text, bar) + 0.05);
            }, theme);
            assert.ok(ratio >= 4.5, `theme ${theme}: the picker's text has a contrast of ${ratio.toFixed(2)} with the top bar (at least 4.5)`);
        }
        await context.close();
    });
}
