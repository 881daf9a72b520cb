// Accessibility: axe-core (pinned in package-lock.json) checks every page of the site, each
// translated edition's (under LANG/) as well as the English, with all its
// rules in the light theme, and with the rules that depend on colours in navy, the dark theme
// mdBook picks for readers whose system prefers dark (the other rules read the page's structure,
// which is the same in every theme). Every violation fails, whatever axe's impact ("minor" to
// "critical"), except the few listed in EXCEPTIONS below, each by rule and element, with the reason.
//
// Left out: print.html, which is every chapter again on one page (it would only repeat their
// results, on the longest page of the book) and calls window.print() on load; and toc.html,
// mdBook's copy of the sidebar for readers without JavaScript, shown only inside an <iframe> of
// the other pages and never visited as a page (it has no <title>: mdBook 0.5.4 writes it so).
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";
import { basename } from "node:path";
import { launch, openPage, siteHtmlFiles, url } from "./support.mjs";

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
/** The axe rules whose result depends on the theme's colours. */
const COLOUR_RULES = ["color-contrast", "link-in-text-block"];
/** Each theme with the axe rules run in it (null: all of them). */
const THEMES = [
    { theme: "light", rules: null },
    { theme: "navy", rules: COLOUR_RULES },
    // AXE_MORE_THEMES="rust coal ayu" checks mdBook's other themes too (colour rules only).
    ...(process.env.AXE_MORE_THEMES || "")
        .split(/[\s,]+/)
        .filter(Boolean)
        .map((theme) => ({ theme, rules: COLOUR_RULES })),
];
/**
 * Violations in mdBook's own markup that the theme's scripts and CSS cannot fix, by axe rule and
 * the element's selector as axe prints it, each with the reason. Nothing else is excused.
 */
const EXCEPTIONS = [];
const SKIPPED = new Set(["print.html", "toc.html"]);

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

/** axe's violations on every page, in one theme, but for the EXCEPTIONS. */
async function audit(theme, rules) {
    const { context, page } = await openPage(browser);
    // mdBook reads the reader's choice from localStorage before it draws the page.
    await context.addInitScript((chosen) => {
        localStorage.setItem("mdbook-theme", chosen);
    }, theme);
    const found = [];
    const pages = siteHtmlFiles().filter((file) => !SKIPPED.has(basename(file)));
    assert.ok(pages.includes("index.html"), "book/html has no index.html");
    for (const file of pages) {
        await page.goto(url(file), { waitUntil: "load" });
        const html = page.locator("html");
        assert.match((await html.getAttribute("class")) || "", new RegExp(`\\b${theme}\\b`), `${file}: theme ${theme} not applied`);
        // Diagrams arrive drawn (tools/mdbook-diagrams): nothing to wait for.
        await page.addScriptTag({ path: AXE });
        const violations = await page.evaluate(async (only) => {
            const options = { resultTypes: ["violations"] };
            if (only) {
                options.runOnly = { type: "rule", values: only };
            }
            const result = await window.axe.run(document, options);
            return result.violations.map((v) => ({
                id: v.id,
                help: v.help,
                nodes: v.nodes.map((n) => ({ impact: n.impact, target: n.target.join(" "), summary: n.failureSummary })),
            }));
        }, rules);
        for (const v of violations) {
            for (const node of v.nodes) {
                if (!EXCEPTIONS.some((e) => e.id === v.id && e.target === node.target)) {
                    found.push({ file, theme, id: v.id, impact: node.impact, help: v.help, target: node.target, summary: node.summary });
                }
            }
        }
    }
    await context.close();
    return { found, pages: pages.length };
}

/** One line per theme, rule and element, with the pages it is on. */
function report(found) {
    const groups = new Map();
    for (const f of found) {
        const key = `${f.theme} | ${f.id} (${f.impact}: ${f.help}) | ${f.target}`;
        const entry = groups.get(key) || { pages: [], summary: f.summary };
        entry.pages.push(f.file);
        groups.set(key, entry);
    }
    return [...groups].map(([key, { pages, summary }]) => {
        const where = pages.length > 4 ? `${pages.slice(0, 4).join(", ")} and ${pages.length - 4} more` : pages.join(", ");
        const why = (summary || "").split("\n").slice(1, 2).join("").trim();
        return `${key}\n    on ${where}${why ? `\n    ${why}` : ""}`;
    });
}

for (const { theme, rules } of THEMES) {
    const which = rules ? `rules ${rules.join(", ")}` : "all rules";
    test(`no axe violation on any page, theme ${theme} (${which})`, async (t) => {
        const { found, pages } = await audit(theme, rules);
        t.diagnostic(`${pages} pages checked in theme ${theme} with ${which}: ${found.length} findings (any impact)`);
        assert.equal(found.length, 0, `axe-core found, theme | rule | element:\n${report(found).join("\n")}`);
    });
}
