// The Run buttons: on a page of this machine they run code with the local runner, and when it is
// down they say so (code never leaves the machine); on the hosted site they use the public
// playground as mdBook always did.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
    ALL_EDITIONS,
    BOOK_URL,
    RUNNER_URL,
    chapter,
    editionUrl,
    htmlFiles,
    launch,
    normalize,
    openPage,
    readBookFile,
    readRepoFile,
    screenshot,
    url,
} from "./support.mjs";

const LISTING = "listings/ch02-preemptive-multitasking/listing-02-01-spinning-thread";
const PUBLIC_ANSWER = "an answer from the (stand-in) public playground";

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

/** Presses a block's Run button and returns what the block then shows. */
async function run(block) {
    // mdBook shows a block's buttons while the pointer is over it, and the Run button only
    // once the crate list has come back from the runner (or the playground).
    await block.hover();
    const button = block.locator(".play-button");
    await button.waitFor({ state: "visible", timeout: 10_000 });
    // Every text the block's result shows, in order, from what it shows now: book.js writes its
    // "Running..." (in the page's language: a translated edition has its own words) at once, and
    // the answer when it comes, in a later task.
    await block.evaluate((pre) => {
        const now = () => pre.querySelector("code.result")?.innerText;
        pre.shown = [now()];
        pre.watcher?.disconnect();
        pre.watcher = new MutationObserver(() => {
            if (now() !== pre.shown.at(-1)) {
                pre.shown.push(now());
            }
        });
        pre.watcher.observe(pre, { childList: true, subtree: true, characterData: true });
    });
    await button.click();
    const result = block.locator("code.result");
    await result.waitFor();
    await block.page().waitForFunction((pre) => pre.shown.length >= 3, await block.elementHandle(), { timeout: 30_000 });
    return result.innerText();
}

/**
 * The playground block on the page that holds the most lines of a source file, hidden lines
 * included: the page does not carry those, so every block's are put back first (through
 * theme/hidden-lines.js, as Run does; the blocks stay folded).
 */
async function blockShowing(page, source) {
    await page.evaluate(() =>
        Promise.all(
            Array.from(document.querySelectorAll("pre.playground > code"))
                .filter((code) => window.hiddenLines.missing(code))
                .map((code) => window.hiddenLines.load(code).then((putBack) => putBack())),
        ),
    );
    const lines = source
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !l.includes("ANCHOR"));
    const scores = await page.locator("pre.playground").evaluateAll(
        (blocks, wanted) =>
            blocks.map((block) => {
                const text = block.querySelector("code").textContent;
                return wanted.filter((line) => text.includes(line)).length / wanted.length;
            }),
        lines,
    );
    const best = scores.indexOf(Math.max(...scores));
    assert.ok(best >= 0 && scores[best] > 0.9, `no code block on ${page.url()} shows ${LISTING}`);
    return page.locator("pre.playground").nth(best);
}

/** Replaces an editable block's code as a reader would: click in it, select all, type. */
async function edit(block, code) {
    const ace = block.locator(".ace_content");
    await ((await ace.count()) > 0 ? ace : block.locator("code").first()).click();
    await block.page().keyboard.press("ControlOrMeta+A");
    await block.page().keyboard.insertText(code);
}

/** Whether a block can be edited in place: mdBook's ace editor, or theme/code-editor.js's. */
function editable(block) {
    return block.evaluate((pre) => {
        const code = pre.querySelector("code");
        return code.classList.contains("editable") || code.classList.contains("book-editable");
    });
}

/** The first page whose HTML has an ace-editable block (```rust,editable), preferring chapter 2. */
function pageWithAceBlock() {
    const marked = /<code class="[^"]*\beditable\b/;
    const pages = htmlFiles().filter((f) => f !== "print.html" && marked.test(readBookFile(f)));
    return pages.find((f) => f.startsWith("ch02-")) || pages[0];
}

// In every edition: a translated one's code blocks are the English ones.
for (const edition of ALL_EDITIONS) {
    test(`Run on listing 2-1 shows its output.txt, from the local runner (${edition || "en"} edition)`, async () => {
        const ch02 = chapter("ch02-00-preemptive-multitasking.md", "listing 2-1's Run button");
        const { context, page, problems } = await openPage(browser);
        const toRunner = [];
        page.on("request", (r) => r.url().startsWith(RUNNER_URL) && toRunner.push(new URL(r.url()).pathname));
        await page.goto(editionUrl(edition, ch02.html));
        const block = await blockShowing(page, readRepoFile(`${LISTING}/src/main.rs`));
        await block.scrollIntoViewIfNeeded();
        const shown = await run(block);
        assert.equal(normalize(shown), normalize(readRepoFile(`${LISTING}/output.txt`)));
        // The crate list comes with the runner's address; the runner is asked only to run.
        assert.ok(toRunner.includes("/evaluate.json") && !toRunner.includes("/meta/crates"), `runner saw ${toRunner}`);
        await block.locator("code.result").scrollIntoViewIfNeeded();
        await screenshot(page, `ch02-listing-2-1-run${edition ? `-${edition}` : ""}`);
        await context.close();
        assert.deepEqual(problems.external, []);
        assert.deepEqual(problems.console, []);
    });
}

test("an edited block runs the edited code, and a compile error shows as one", async (t) => {
    const ch02 = chapter("ch02-00-preemptive-multitasking.md", "editing a block");
    const { context, page, problems } = await openPage(browser);
    await page.goto(url(ch02.html));
    let block = await blockShowing(page, readRepoFile(`${LISTING}/src/main.rs`));
    if (!(await editable(block))) {
        const file = pageWithAceBlock();
        if (!file) {
            assert.fail(
                "no code block can be edited: listing 2-1's block is not editable and no chapter has a " +
                    "```rust,editable block (mdBook 0.5 puts its editor only on blocks marked so; " +
                    "book.toml's `editable = true` just loads it)",
            );
        }
        await page.goto(url(file));
        block = page.locator("pre.playground:has(code.editable)").first();
    }
    await block.scrollIntoViewIfNeeded();

    await t.test("edited code runs", async () => {
        await edit(block, 'fn main() {\n    println!("edited: {}", 6 * 7);\n}\n');
        assert.equal(normalize(await run(block)), "edited: 42");
    });
    await t.test("a compile error is shown", async () => {
        await edit(block, 'fn main() {\n    let n: u32 = "seven";\n}\n');
        const shown = await run(block);
        assert.match(shown, /error\[E0308\]: mismatched types/);
        await block.locator("code.result").scrollIntoViewIfNeeded();
        await screenshot(page, "compile-error");
    });
    await context.close();
    assert.deepEqual(problems.external, []);
    assert.deepEqual(problems.console, []);
});

test("a compile_fail block shows its own error code when run", async () => {
    const marked = /<code class="[^"]*\bcompile_fail\b[^"]*\b(E\d{4})\b/;
    const file = htmlFiles().find((f) => f !== "print.html" && marked.test(readBookFile(f)));
    if (!file) {
        assert.fail("no chapter has a ```rust,compile_fail,EXXXX block yet");
    }
    const code = readBookFile(file).match(marked)[1];
    const { context, page, problems } = await openPage(browser);
    await page.goto(url(file));
    const block = page.locator("pre.playground:has(code.compile_fail)").first();
    await block.scrollIntoViewIfNeeded();
    assert.match(await run(block), new RegExp(`error\\[${code}\\]`));
    await context.close();
    assert.deepEqual(problems.console, []);
});

/** A context whose requests to the public playground get a stand-in answer, not the internet. */
async function withStandInPlayground(options) {
    const opened = await openPage(browser, options);
    const toPlayground = [];
    await opened.context.route("https://play.rust-lang.org/**", (route) => {
        const path = new URL(route.request().url()).pathname;
        toPlayground.push(path);
        const body =
            path === "/meta/crates"
                ? { crates: ["futures", "libc", "pin_project_lite"].map((id) => ({ id, name: id, version: "0" })) }
                : { result: PUBLIC_ANSWER, error: null };
        return route.fulfill({
            json: body,
            headers: { "Access-Control-Allow-Origin": "*" },
        });
    });
    return { ...opened, toPlayground };
}

test("on the hosted site, the Run button uses the public playground and never this machine's runner", async () => {
    const ch02 = chapter("ch02-00-preemptive-multitasking.md", "the hosted site's Run button");
    const { context, page, toPlayground } = await withStandInPlayground();
    // The same book, as if served from a web host: every request for it is answered from here.
    const hosted = new URL(BOOK_URL);
    hosted.hostname = "book.example";
    await context.route(`${hosted.origin}/**`, async (route) => {
        const local = new URL(route.request().url());
        local.host = new URL(BOOK_URL).host;
        return route.fulfill({ response: await route.fetch({ url: local.href }) });
    });
    const toRunner = [];
    page.on("request", (r) => r.url().startsWith(RUNNER_URL) && toRunner.push(r.url()));
    await page.goto(new URL(ch02.html, hosted).href);
    const block = await blockShowing(page, readRepoFile(`${LISTING}/src/main.rs`));
    assert.equal(await run(block), PUBLIC_ANSWER);
    assert.deepEqual(toPlayground.sort(), ["/evaluate.json", "/meta/crates"]);
    assert.deepEqual(toRunner, [], "a hosted page talked to this machine's runner");
    await context.close();
});

test("on this machine with the runner down, Run says so and nothing leaves the machine", async () => {
    const ch02 = chapter("ch02-00-preemptive-multitasking.md", "a runner that is down");
    const { context, page, problems, toPlayground } = await withStandInPlayground();
    await context.route(`${RUNNER_URL}/**`, (route) => route.abort("connectionrefused"));
    await page.goto(url(ch02.html));
    const block = await blockShowing(page, readRepoFile(`${LISTING}/src/main.rs`));
    const shown = await run(block);
    assert.match(shown, /local runner: the runner at http:\/\/127\.0\.0\.1:\d+ does not answer/);
    assert.match(shown, /not sent to the public playground/);
    assert.deepEqual(toPlayground, []);
    assert.deepEqual(problems.external, []);
    await context.close();
});

test("on this machine without a runner (plain `mdbook serve`), Run says how to get one", async () => {
    const ch02 = chapter("ch02-00-preemptive-multitasking.md", "a book served without its runner");
    const { context, page, problems, toPlayground } = await withStandInPlayground();
    await context.route("**/local-runner.json", (route) => route.fulfill({ status: 404, body: "" }));
    await page.goto(url(ch02.html));
    const block = await blockShowing(page, readRepoFile(`${LISTING}/src/main.rs`));
    assert.match(await run(block), /served without its runner\. Serve it with `cargo xtask serve`/);
    assert.deepEqual(toPlayground, []);
    assert.deepEqual(problems.external, []);
    await context.close();
});

test("the runner links the book's crates (extern crate futures)", async () => {
    const response = await fetch(`${RUNNER_URL}/evaluate.json`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Origin: new URL(BOOK_URL).origin },
        body: JSON.stringify({
            code: [
                "extern crate futures;",
                "extern crate pin_project_lite;",
                "fn main() {",
                "    let n = futures::executor::block_on(async { 6 * 7 });",
                '    println!("block_on gave {n}");',
                "}",
            ].join("\n"),
            edition: "2024",
            version: "stable",
            optimize: "0",
        }),
    });
    assert.deepEqual(await response.json(), { result: "block_on gave 42\n", error: null });
});
