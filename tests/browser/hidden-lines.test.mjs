// The listings' hidden lines, which the pages no longer carry (tools/mdbook-hidden-lines takes
// them out; theme/hidden-lines.js fetches them back): no page holds one before a reader asks;
// unfolded, every block with hidden lines on every page is what stock mdBook 0.5.4 shows for the
// same block, text and highlighting; Copy copies what it copied before; Run sends the whole
// program; and when the shared file cannot be fetched, Run says so and runs nothing.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { BOOK_HTML, REPO_ROOT, RUNNER_URL, htmlFiles, launch, openPage, readBookFile, url } from "./support.mjs";

/** A page's reference to its shared file: a class of a block's <code> (see the tool's main.rs). */
const REFERENCE = /hidden-lines=([0-9a-f]{16}\.txt):/g;

let browser;
let stockDir;
before(async () => {
    browser = await launch();
    stockDir = await buildStock();
});
after(async () => {
    await browser?.close();
    if (stockDir) {
        rmSync(stockDir, { recursive: true, force: true });
    }
});

/** The same src/ built by stock mdBook (no preprocessor, no theme), as the budgets test does. */
async function buildStock() {
    const installed = join(homedir(), ".cargo/bin/mdbook");
    const mdbook = process.env.MDBOOK || (existsSync(installed) ? installed : "mdbook");
    const dir = mkdtempSync(join(tmpdir(), "book-stock-hidden-lines-"));
    writeFileSync(
        join(dir, "book.toml"),
        ["[book]", `src = ${JSON.stringify(join(REPO_ROOT, "src"))}`, "[rust]", 'edition = "2024"', "[build]", "create-missing = false", ""].join("\n"),
    );
    try {
        await promisify(execFile)(mdbook, ["build", dir, "-d", join(dir, "out")], { timeout: 180_000 });
    } catch (error) {
        throw new Error(`stock mdbook could not build the book to compare with: ${error.stderr || error.message}`);
    }
    return dir;
}

/** The pages whose blocks refer to hidden lines (print.html has none: checked below). */
function pagesWithHiddenLines() {
    return htmlFiles().filter((file) => file !== "print.html" && readBookFile(file).match(REFERENCE));
}

/** A stock page in a context that lets no request leave the machine (book.js asks the playground). */
async function openStock(file) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.route("**/*", (route) => (route.request().url().startsWith("file:") ? route.continue() : route.abort()));
    const page = await context.newPage();
    await page.goto(pathToFileURL(join(stockDir, "out", file)).href);
    return { context, page };
}

/**
 * Every Rust block of the page, in order: what Copy copies (book.js's playground_text(pre,
 * false)), then, after every "show hidden lines" button is pressed and the lines are in, the
 * block's text and markup.
 */
async function rustBlocks(page) {
    const copied = await page.locator("main pre > code.language-rust").evaluateAll((codes) =>
        codes.map((code) => window.playground_text(code.parentElement, false)),
    );
    await page.evaluate(() => document.querySelectorAll('main pre > .buttons > button[title="Show hidden lines"]').forEach((b) => b.click()));
    // Each block ends with its lines in, or with a message saying why not (reported below).
    await page.waitForFunction(
        () =>
            !window.hiddenLines ||
            Array.from(document.querySelectorAll("main pre > code.language-rust")).every(
                (c) => !window.hiddenLines.missing(c) || /hidden lines are missing/.test(c.parentElement.querySelector(".result")?.textContent),
            ),
        null,
        { timeout: 30_000 },
    );
    const shown = await page.locator("main pre > code.language-rust").evaluateAll((codes) =>
        codes.map((code) => ({
            text: code.textContent,
            html: code.innerHTML,
            hidden: code.querySelectorAll(".boring").length > 0,
            folded: code.classList.contains("hide-boring"),
            message: code.parentElement.querySelector(".result")?.textContent || "",
        })),
    );
    return shown.map((block, index) => ({ ...block, copied: copied[index] }));
}

/** The first line where two texts differ, for the failure message. */
function firstDifference(ours, stock) {
    const a = ours.split("\n");
    const b = stock.split("\n");
    const at = a.findIndex((line, index) => line !== b[index]);
    const line = at < 0 ? Math.min(a.length, b.length) : at;
    return `line ${line + 1}: ours ${JSON.stringify(a[line])}, stock ${JSON.stringify(b[line])}`;
}

test("no page holds a hidden line before a reader asks for it, and every reference names a shared file", () => {
    const problems = [];
    for (const file of htmlFiles()) {
        const html = readBookFile(file);
        const filled = html.match(/<span class="boring">(?!<\/span>)/g);
        if (filled) {
            problems.push(`${file}: ${filled.length} hidden line(s) in the page`);
        }
        for (const [, name] of html.matchAll(REFERENCE)) {
            if (!existsSync(join(BOOK_HTML, "hidden-lines", name))) {
                problems.push(`${file}: refers to hidden-lines/${name}, which the book does not have`);
            }
        }
    }
    assert.ok(pagesWithHiddenLines().length > 0, "no page refers to hidden lines: is tools/mdbook-hidden-lines in book.toml?");
    assert.deepEqual(problems, []);
});

test("unfolded, every block with hidden lines on every page is stock mdBook's block, text and highlighting; Copy copies what stock copies", { timeout: 20 * 60_000 }, async () => {
    const problems = [];
    let blocks = 0;
    for (const file of pagesWithHiddenLines()) {
        const ours = await openPage(browser);
        await ours.page.goto(url(file));
        const stock = await openStock(file);
        const mine = await rustBlocks(ours.page);
        const theirs = await rustBlocks(stock.page);
        await ours.context.close();
        await stock.context.close();
        if (mine.length !== theirs.length) {
            problems.push(`${file}: ${mine.length} Rust blocks, stock mdBook has ${theirs.length}`);
            continue;
        }
        mine.forEach((block, index) => {
            const where = `${file}, Rust block ${index + 1}`;
            const stockBlock = theirs[index];
            if (block.message) {
                problems.push(`${where}: ${block.message}`);
            }
            if (block.hidden !== stockBlock.hidden || block.folded !== stockBlock.folded) {
                problems.push(`${where}: hidden lines ${block.hidden}/${block.folded} (present/folded), stock ${stockBlock.hidden}/${stockBlock.folded}`);
            }
            if (block.text !== stockBlock.text) {
                problems.push(`${where}: unfolded text differs from stock's, ${firstDifference(block.text, stockBlock.text)}`);
            } else if (block.html !== stockBlock.html) {
                problems.push(`${where}: same text, different highlighting than stock's`);
            }
            if (block.copied !== stockBlock.copied) {
                problems.push(`${where}: Copy copies something else than stock's, ${firstDifference(block.copied, stockBlock.copied)}`);
            }
            blocks += stockBlock.hidden ? 1 : 0;
        });
        assert.deepEqual(ours.problems.console, [], `console errors on ${file}`);
    }
    assert.deepEqual(problems, []);
    assert.ok(blocks > 0, "no block with hidden lines was compared");
});

/**
 * The first block with hidden lines on `file` that Run runs (not `no_run`), its Run button shown
 * (book.js shows it once the crate list is in), or null when the page has none.
 */
async function firstRunnable(page, file) {
    await page.goto(url(file));
    const blocks = page.locator("main pre.playground").filter({ has: page.locator('code[class*="hidden-lines="]:not(.no_run)') });
    if ((await blocks.count()) === 0) {
        return null;
    }
    // Some blocks sit in a closed <details>: the button is pressed from script, not by pointer.
    const block = blocks.first();
    await page.waitForFunction((pre) => {
        const play = pre.querySelector(".play-button");
        return play && !play.hidden && !play.classList.contains("hidden");
    }, await block.elementHandle(), { timeout: 10_000 });
    return block;
}

test("Run sends the whole program, hidden lines included, on every page that has them", { timeout: 10 * 60_000 }, async () => {
    const problems = [];
    let runs = 0;
    for (const file of pagesWithHiddenLines()) {
        const ours = await openPage(browser);
        const sent = await stubRunner(ours.page);
        const block = await firstRunnable(ours.page, file);
        if (!block) {
            await ours.context.close();
            continue;
        }
        runs += 1;
        const stock = await openStock(file);
        const index = await block.evaluate((pre) => Array.from(document.querySelectorAll("main pre > code.language-rust")).indexOf(pre.querySelector("code")));
        const whole = await stock.page.locator("main pre > code.language-rust").nth(index).evaluate((code) => code.textContent);
        await stock.context.close();
        await block.locator(".play-button").evaluate((button) => button.click());
        const result = block.locator("code.result").filter({ hasText: /stand-in runner|Nothing was run/ });
        await result.waitFor({ state: "attached", timeout: 30_000 });
        const shown = await result.textContent();
        if (sent.length !== 1 || sent[0] !== whole) {
            problems.push(`${file}, Rust block ${index + 1}: Run sent ${sent.length} program(s): ${sent.length ? firstDifference(sent[0], whole) : shown}`);
        }
        await ours.context.close();
    }
    assert.deepEqual(problems, []);
    assert.ok(runs > 0, "no page has a runnable block with hidden lines");
});

test("when the hidden lines cannot be fetched, Run says so and runs nothing, and the eye button says so", async () => {
    const file = pagesWithHiddenLines()[0];
    const ours = await openPage(browser);
    const sent = await stubRunner(ours.page);
    await ours.page.route("**/hidden-lines/*", (route) => route.fulfill({ status: 404, body: "not here" }));
    const block = await firstRunnable(ours.page, file);
    assert.ok(block, `${file} has no runnable block with hidden lines`);
    await block.locator(".play-button").evaluate((button) => button.click());
    const result = block.locator("code.result");
    await result.filter({ hasText: /stand-in runner|Nothing was run/ }).waitFor({ state: "attached", timeout: 10_000 });
    assert.deepEqual(sent, [], `${file}: Run sent a program without its hidden lines`);
    assert.match(await result.textContent(), /hidden lines are missing: hidden-lines\/[0-9a-f]{16}\.txt: the server answered 404\. Nothing was run\./);
    await block.locator('button[title="Show hidden lines"]').evaluate((button) => button.click());
    await result.filter({ hasText: "hidden lines are missing" }).filter({ hasNotText: "Nothing was run" }).waitFor({ state: "attached", timeout: 10_000 });
    assert.equal(await block.evaluate((pre) => pre.querySelector("code").classList.contains("hide-boring")), true, "the block unfolded without its hidden lines");
    await ours.context.close();
});

test("a shared file that is not the one the page was built with is refused, naming it (its last line changed: a hidden line)", async () => {
    const file = pagesWithHiddenLines()[0];
    const ours = await openPage(browser);
    await stubRunner(ours.page);
    await ours.page.route("**/hidden-lines/*", async (route) => {
        const response = await route.fetch();
        const lines = (await response.text()).split("\n");
        return route.fulfill({ response, body: lines.slice(0, -1).concat("// not the listing's line").join("\n") });
    });
    const block = await firstRunnable(ours.page, file);
    assert.ok(block, `${file} has no runnable block with hidden lines`);
    await block.locator(".play-button").evaluate((button) => button.click());
    const message = await block.locator("code.result").filter({ hasText: /stand-in runner|Nothing was run/ }).textContent({ timeout: 10_000 });
    assert.match(message, /hidden-lines\/[0-9a-f]{16}\.txt is not the file this page was built with/);
    await ours.context.close();
});

test("a book opened from files says why the hidden lines are not there", async () => {
    const file = pagesWithHiddenLines()[0];
    const context = await browser.newContext();
    await context.route("**/*", (route) => (route.request().url().startsWith("file:") ? route.continue() : route.abort()));
    const page = await context.newPage();
    await page.goto(pathToFileURL(join(BOOK_HTML, file)).href);
    const block = page.locator("main pre").filter({ has: page.locator('code[class*="hidden-lines="]') }).first();
    await block.hover();
    await block.locator('button[title="Show hidden lines"]').evaluate((button) => button.click());
    await block.locator("code.result", { hasText: "file://" }).waitFor({ state: "attached", timeout: 10_000 });
    await context.close();
});

test("after the eye button put the hidden lines back, an edit undone still runs the whole program", async () => {
    const file = pagesWithHiddenLines()[0];
    const ours = await openPage(browser);
    const sent = await stubRunner(ours.page);
    const block = await firstRunnable(ours.page, file);
    assert.ok(block, `${file} has no runnable block with hidden lines`);
    const code = await block.evaluateHandle((pre) => pre.querySelector("code"));
    await block.locator('button[title="Show hidden lines"]').evaluate((button) => button.click());
    await ours.page.waitForFunction((c) => !window.hiddenLines.missing(c), code, { timeout: 10_000 });
    const whole = await code.evaluate((c) => c.textContent);
    await code.evaluate((c) => c.append("// an edit"));
    await block.locator(".reset-button").evaluate((button) => button.click());
    await block.locator(".play-button").evaluate((button) => button.click());
    await block.locator("code.result").filter({ hasText: /stand-in runner|Nothing was run/ }).waitFor({ state: "attached", timeout: 10_000 });
    assert.equal(sent.length, 1, `${file}: Run sent ${sent.length} programs`);
    assert.equal(sent[0], whole, `${file}: after Undo, Run sent ${JSON.stringify(sent[0].slice(0, 80))}…, not the whole program`);
    await ours.context.close();
});

/**
 * Stands in for the runner on `page`: each program Run sends to its /evaluate.json is answered
 * "stand-in runner" and added to the array returned, in the order sent.
 */
async function stubRunner(page) {
    const sent = [];
    await page.route(`${RUNNER_URL}/evaluate.json`, (route) => {
        sent.push(JSON.parse(route.request().postData()).code);
        return route.fulfill({ json: { result: "stand-in runner", error: "" } });
    });
    return sent;
}

/** Holds every request for hidden lines on `page` until the function returned is called. */
async function holdHiddenLines(page) {
    let release;
    const held = new Promise((resolve) => {
        release = resolve;
    });
    await page.route("**/hidden-lines/*", async (route) => {
        await held;
        return route.continue();
    });
    return release;
}

test("what is typed while the hidden lines are on their way is typed after they are in, where the caret was", async () => {
    const file = pagesWithHiddenLines()[0];
    const ours = await openPage(browser);
    const release = await holdHiddenLines(ours.page);
    const block = await firstRunnable(ours.page, file);
    assert.ok(block, `${file} has no runnable block with hidden lines`);
    const code = await block.evaluateHandle((pre) => pre.querySelector("code"));
    const firstVisible = await code.evaluate((c) => c.textContent.split("\n")[0]);
    await code.evaluate((c) => c.focus());
    await ours.page.keyboard.press("Enter");
    await ours.page.keyboard.type("// typed\n");
    assert.equal(await code.evaluate((c) => window.hiddenLines.missing(c)), true, "the hidden lines came before they were let through");
    release();
    await ours.page.waitForFunction((c) => !window.hiddenLines.missing(c), code, { timeout: 10_000 });
    await ours.page.waitForFunction((c) => c.textContent.includes("// typed\n"), code, { timeout: 10_000 }).catch(() => {});
    const text = await code.evaluate((c) => c.textContent);
    const name = await code.evaluate((c) => /hidden-lines=([0-9a-f]{16}\.txt)/.exec(c.className)[1]);
    const whole = await ours.page.evaluate((n) => fetch(new URL(`hidden-lines/${n}`, document.baseURI.replace(/[^/]*$/, "") + path_to_root)).then((r) => r.text()), name);
    const at = whole.indexOf(firstVisible);
    assert.equal(text, whole.slice(0, at) + "// typed\n" + whole.slice(at), `${file}: the text typed while the hidden lines were fetched is not where it was typed`);
    await ours.context.close();
});

test("select-all pressed while the hidden lines are on their way still selects them: what is typed over it is all that runs", async () => {
    // Its first block has hidden lines before and after the visible ones: mdBook's `fn main`
    // wrapper, whose closing `}` is what a partial replacement would leave behind.
    const file = "ch05-00-the-future-trait.html";
    const ours = await openPage(browser);
    const release = await holdHiddenLines(ours.page);
    const block = await firstRunnable(ours.page, file);
    assert.ok(block, `${file} has no runnable block with hidden lines`);
    const code = await block.evaluateHandle((pre) => pre.querySelector("code"));
    await code.evaluate((c) => c.focus());
    await ours.page.keyboard.press("Enter");
    await ours.page.keyboard.press("Control+a");
    await ours.page.keyboard.type("fn main() {}");
    assert.equal(await code.evaluate((c) => window.hiddenLines.missing(c)), true, "the hidden lines came before they were let through");
    release();
    await ours.page.waitForFunction((c) => !window.hiddenLines.missing(c) && c.textContent.includes("fn main() {}"), code, { timeout: 10_000 });
    // What Run sends: book.js's playground_text() is the code's textContent.
    const text = await code.evaluate((c) => c.textContent);
    assert.equal(text, "fn main() {}", `${file}: select-all during the fetch, then typing, left ${JSON.stringify(text)} to run`);
    await ours.context.close();
});
