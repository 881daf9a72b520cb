// Diagrams: mermaid blocks are drawn as SVG (and only pages with one fetch mermaid's large
// script); svgbob blocks arrive as SVG already.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chapters, launch, openPage, readRepoFile, screenshot, url } from "./support.mjs";

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

/** How many ```name fenced blocks a chapter's Markdown has. */
function fences(chapter, name) {
    return (readRepoFile(`src/${chapter.md}`).match(new RegExp("^\\s*```" + name + "\\s*$", "gm")) || []).length;
}

test("mermaid diagrams are drawn as SVG, and only their pages load mermaid", async () => {
    const withDiagram = chapters().filter((c) => fences(c, "mermaid") > 0);
    const without = chapters().find((c) => fences(c, "mermaid") === 0);
    if (withDiagram.length === 0) {
        assert.fail("no chapter has a ```mermaid diagram yet");
    }
    const { context, page, problems } = await openPage(browser);
    const mermaidLoads = [];
    page.on("request", (r) => r.url().includes("mermaid.min") && mermaidLoads.push(page.url()));
    for (const chapter of withDiagram) {
        await page.goto(url(chapter.html));
        const drawn = page.locator("pre.mermaid svg");
        await drawn.first().waitFor({ timeout: 20_000 });
        assert.equal(await drawn.count(), fences(chapter, "mermaid"), `${chapter.md}: diagrams drawn`);
    }
    await page.locator("pre.mermaid svg").first().scrollIntoViewIfNeeded();
    await screenshot(page, "mermaid-diagram");
    if (without) {
        mermaidLoads.length = 0;
        await page.goto(url(without.html));
        await page.waitForLoadState("networkidle");
        assert.deepEqual(mermaidLoads, [], `${without.md} has no diagram but loaded mermaid`);
    }
    await context.close();
    assert.deepEqual(problems.console, []);
});

test("svgbob diagrams are in the pages as SVG", async () => {
    const withDiagram = chapters().filter((c) => fences(c, "bob") > 0);
    if (withDiagram.length === 0) {
        assert.fail("no chapter has a ```bob diagram yet");
    }
    const { context, page } = await openPage(browser);
    for (const chapter of withDiagram) {
        await page.goto(url(chapter.html));
        const drawn = page.locator("main svg.svgbob");
        assert.equal(await drawn.count(), fences(chapter, "bob"), `${chapter.md}: svgbob diagrams`);
        const box = await drawn.first().boundingBox();
        assert.ok(box && box.width > 10 && box.height > 10, `${chapter.md}: the first diagram is not visible`);
    }
    await page.locator("main svg.svgbob").first().scrollIntoViewIfNeeded();
    await screenshot(page, "svgbob-diagram");
    await context.close();
});
