// The book by keyboard alone (theme/code-editor.js, theme/keyboard-access.js): a reader Tabs to a
// runnable block, edits it with keys that are also the book's shortcuts (none of them fires),
// runs it with Ctrl-Enter, reads the output from the block's live region, stops editing with
// Escape, and Tabs on through every button of the block, each visible while it has focus, and
// out of it. No mouse: only `page.keyboard`, never a click or a hover.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { chapter, launch, normalize, openPage, screenshot, url } from "./support.mjs";

let browser;
before(async () => {
    browser = await launch();
});
after(async () => {
    await browser?.close();
});

/** Enough Tab presses to reach any block of a chapter from the top of the page. */
const MAX_TABS = 400;

/**
 * Where the focus is, seen from `block` (the <pre> of a code block) or from any runnable block:
 * "code" (the code, not editable), "editing" (the code, editable), "inside" (elsewhere in the
 * block), "outside" or "nowhere".
 */
function whereIsFocus(page, block = null) {
    return page.evaluate((mine) => {
        const active = document.activeElement;
        const pre = active && active.closest("pre");
        const inBlock = mine ? pre === mine : pre !== null && pre.classList.contains("playground");
        if (!active || active === document.body) {
            return { where: "nowhere" };
        }
        if (!inBlock) {
            return { where: "outside", tag: active.tagName, text: (active.textContent || "").trim().slice(0, 60) };
        }
        if (active === pre.querySelector("code")) {
            return { where: active.isContentEditable ? "editing" : "code" };
        }
        return { where: "inside", tag: active.tagName, label: active.getAttribute("aria-label") };
    }, block);
}

/** The computed accessibility node (role, name, description, live, readonly) of `expression`. */
async function axNode(page, expression) {
    const cdp = await page.context().newCDPSession(page);
    const { result } = await cdp.send("Runtime.evaluate", { expression });
    const { nodes } = await cdp.send("Accessibility.getPartialAXTree", {
        objectId: result.objectId,
        fetchRelatives: false,
    });
    await cdp.detach();
    return axSummary(nodes[0]);
}

function axSummary(node) {
    const property = (name) => node.properties?.find((p) => p.name === name)?.value?.value;
    return {
        role: node.role?.value,
        name: node.name?.value || "",
        description: node.description?.value || "",
        live: property("live"),
        readonly: property("readonly"),
    };
}

/** What a reader sees of the focused element: its focus ring, and whether it is visible at all. */
function focusedLooks(page) {
    return page.evaluate(() => {
        const element = document.activeElement;
        const style = getComputedStyle(element);
        // Opacity multiplies down the tree: a button in a transparent box is not seen.
        let opacity = 1;
        for (let e = element; e; e = e.parentElement) {
            opacity *= Number(getComputedStyle(e).opacity);
        }
        const box = element.getBoundingClientRect();
        return {
            ring: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 1,
            visibility: style.visibility,
            opacity,
            size: box.width * box.height,
        };
    });
}

/** The book's shortcuts that a keystroke could have set off: the page, search, the help. */
function bookState(page) {
    return page.evaluate(() => ({
        url: window.location.href,
        search: !document.getElementById("mdbook-search-wrapper").classList.contains("hidden"),
        help: getComputedStyle(document.getElementById("mdbook-help-container")).display !== "none",
    }));
}

/**
 * Tab from where the focus is until it lands in a runnable code block, and return the block;
 * fails if it never does, or if it lands anywhere but on the code, not yet editable.
 */
async function tabToRunnableBlock(page) {
    for (let i = 0; i < MAX_TABS; i++) {
        await page.keyboard.press("Tab");
        const focus = await whereIsFocus(page);
        if (focus.where === "outside" || focus.where === "nowhere") {
            continue;
        }
        assert.equal(
            focus.where,
            "code",
            `Tab's first stop in a code block is ${JSON.stringify(focus)}, not its code, not yet editable`,
        );
        const block = await page.evaluateHandle(() => document.activeElement.closest("pre"));
        const runnable = await block.evaluate((pre) => !pre.querySelector("code").classList.contains("no_run"));
        if (runnable) {
            return block;
        }
    }
    assert.fail(`${MAX_TABS} presses of Tab from the top of ${page.url()} never reached a runnable code block`);
}

test("a runnable block, by keyboard alone: edit with the book's shortcut keys, run, hear the output, move on", async () => {
    const ch02 = chapter("ch02-00-preemptive-multitasking.md", "editing a block by keyboard");
    const { context, page, problems } = await openPage(browser);
    await page.goto(url(ch02.html));
    // The Run buttons appear once the crate list has come from the local runner's settings.
    await page.waitForFunction(() => {
        const play = document.querySelector("pre.playground .play-button");
        return play && !play.hidden;
    });
    const start = await bookState(page);

    const block = await tabToRunnableBlock(page);
    const asCode = await axNode(page, "document.activeElement");
    assert.equal(asCode.role, "textbox", "the code is a text box");
    assert.equal(asCode.readonly, true, "the code is read-only until Enter");
    assert.match(asCode.name, /Enter edits/, `its name says how to edit: "${asCode.name}"`);
    assert.match(asCode.name, /Ctrl-Enter runs/, `its name says how to run: "${asCode.name}"`);
    assert.match(asCode.description, /Tab indents/, `its description announces Tab: "${asCode.description}"`);
    assert.match(asCode.description, /Escape stops editing/, `its description says how to leave: "${asCode.description}"`);
    assert.ok((await focusedLooks(page)).ring, "the code shows a focus ring");

    // Enter starts editing. What is typed below holds every key the book takes on the document
    // (mdBook 0.5.4's book.js and searcher.js): s and / (search), ? (help), ArrowLeft and
    // ArrowRight (previous and next chapter), ArrowUp, ArrowDown and Enter (search results), and
    // Tab, which indents here.
    // Not yet editing, the arrows are the code's too (they scroll it, when it is wide).
    const navigations = [];
    page.on("framenavigated", (frame) => frame === page.mainFrame() && navigations.push(frame.url()));
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowLeft");
    assert.equal((await whereIsFocus(page, block)).where, "code", "the arrows moved the focus off the code");

    await page.keyboard.press("Enter");
    assert.equal((await whereIsFocus(page, block)).where, "editing", "Enter on the code makes it editable");
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.type("fn main() {");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Tab");
    assert.equal((await whereIsFocus(page, block)).where, "editing", "Tab while editing left the code");
    await page.keyboard.type('println!("s/? {}", 7)');
    await page.keyboard.press("ArrowLeft");
    await page.keyboard.press("ArrowLeft");
    await page.keyboard.type("6 * ");
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowRight");
    await page.keyboard.type(";");
    await page.keyboard.press("Enter");
    await page.keyboard.type("}");
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("ArrowDown");
    const typed = 'fn main() {\n    println!("s/? {}", 6 * 7);\n}';
    assert.deepEqual(navigations, [], "a key typed in the code changed the page");
    assert.deepEqual(await bookState(page), start, "a key typed in the block set off one of the book's shortcuts");
    assert.equal((await whereIsFocus(page, block)).where, "editing", "the focus stayed in the code while typing");
    // What the reader sees is all there is: select-all took the listing's hidden lines too.
    assert.equal(normalize(await block.evaluate((pre) => pre.querySelector("code").innerText)), typed);
    assert.equal(normalize(await block.evaluate((pre) => pre.querySelector("code").textContent)), typed);

    // The output is written into a live region that was there before the run.
    const region = await block.evaluateHandle((pre) => pre.querySelector('[aria-live="polite"]'));
    assert.ok(await region.evaluate((r) => r !== null), "the block has an aria-live region before it is run");
    const beforeRun = await axNode(page, `document.activeElement.closest("pre").querySelector('[aria-live="polite"]')`);
    assert.equal(beforeRun.live, "polite", `the output region is live to assistive technology: ${JSON.stringify(beforeRun)}`);
    await page.keyboard.press("ControlOrMeta+Enter");
    // Ctrl-Enter writes "Running..." at once, then the runner's answer.
    assert.notEqual(await region.evaluate((r) => r.textContent), "", "Ctrl-Enter did not start a run");
    await page.waitForFunction((r) => r.textContent !== "Running...", region, { timeout: 60_000 });
    assert.equal(normalize(await region.evaluate((r) => r.textContent)), "s/? 42");
    assert.ok(
        await block.evaluate((pre, r) => pre.querySelector(".result") === r, region),
        "mdBook wrote the output into the live region, not into a new element",
    );
    await screenshot(page, "keyboard-run");

    // Escape stops editing and leaves the focus on the code; Tab then visits the block's buttons,
    // each visible while focused, and leaves the block.
    await page.keyboard.press("Escape");
    assert.equal((await whereIsFocus(page, block)).where, "code", "Escape leaves the focus on the code, not editable");
    assert.ok((await focusedLooks(page)).ring, "the code shows a focus ring after Escape");
    assert.deepEqual(await bookState(page), start, "Escape in the code set off one of the book's shortcuts");
    const buttons = await block.evaluate((pre) =>
        Array.from(pre.querySelectorAll(".buttons button"))
            .filter((b) => !b.hidden && !b.classList.contains("hidden"))
            .map((b) => b.getAttribute("aria-label")),
    );
    for (const wanted of ["Undo changes", "Copy to clipboard", "Run this code", "Show hidden lines"]) {
        assert.ok(buttons.includes(wanted), `the block has a "${wanted}" button (it has ${buttons})`);
    }
    const visited = [];
    for (;;) {
        await page.keyboard.press("Tab");
        const focus = await whereIsFocus(page, block);
        if (focus.where !== "inside") {
            assert.equal(focus.where, "outside", `after the block's buttons, Tab went to ${JSON.stringify(focus)}`);
            break;
        }
        assert.equal(focus.tag, "BUTTON", `Tab stopped in the block on a ${focus.tag}`);
        const looks = await focusedLooks(page);
        assert.equal(looks.visibility, "visible", `"${focus.label}" is hidden while it has focus`);
        assert.equal(looks.opacity, 1, `"${focus.label}" is transparent (${looks.opacity}) while it has focus`);
        assert.ok(looks.size > 0, `"${focus.label}" takes no room`);
        visited.push(focus.label);
        assert.ok(visited.length <= buttons.length, `Tab went round the block's buttons: ${visited}`);
    }
    assert.deepEqual(visited, buttons, "Tab visits every button of the block, in order");
    assert.deepEqual(await bookState(page), start, "leaving the block set off one of the book's shortcuts");
    assert.deepEqual(navigations, [], "a key pressed in the block changed the page");

    // Back to the block's Undo button, which puts back the listing and empties the output.
    for (let i = 0; i < buttons.length; i++) {
        await page.keyboard.press("Shift+Tab");
        if ((await whereIsFocus(page, block)).label === "Undo changes") {
            break;
        }
    }
    assert.equal((await whereIsFocus(page, block)).label, "Undo changes", "Shift-Tab reaches Undo changes");
    await page.keyboard.press("Enter");
    const after = await block.evaluate((pre) => ({
        code: pre.querySelector("code").textContent,
        output: pre.querySelector('[aria-live="polite"]')?.textContent,
    }));
    assert.ok(!after.code.includes("s/? "), "Undo changes put back the listing");
    assert.equal(after.output, "", "Undo changes emptied the output, and the live region stays for the next run");

    // Outside the code the book's shortcuts are there as before.
    await page.keyboard.press("s");
    assert.ok((await bookState(page)).search, "`s` outside the code opens search");

    await context.close();
    assert.deepEqual(problems.external, []);
    assert.deepEqual(problems.console, []);
});

test("a block with hidden lines, by keyboard: Tab indents the selected lines, Escape is the input method's while it composes, select-all and typing runs only what was typed", async () => {
    // ch05's first block is a listing without `fn main`: mdBook wraps it in a hidden `fn main() {`
    // before it and a hidden `}` after it.
    const ch05 = chapter("ch05-00-the-future-trait.md", "a block with hidden lines after the code");
    const { context, page, problems } = await openPage(browser);
    await page.goto(url(ch05.html));
    await page.waitForFunction(() => {
        const play = document.querySelector("pre.playground .play-button");
        return play && !play.hidden;
    });
    const block = await tabToRunnableBlock(page);
    const code = await block.evaluateHandle((pre) => pre.querySelector("code"));
    // The page does not carry the hidden lines: Enter starts editing, and theme/hidden-lines.js
    // puts them back first (typing waits for them).
    await page.keyboard.press("Enter");
    await page.waitForFunction((c) => !window.hiddenLines.missing(c), code, { timeout: 10_000 });
    const listing = await code.evaluate((c) => {
        const hidden = c.querySelectorAll(".boring");
        const after = document.createRange();
        after.selectNodeContents(c);
        after.setStartAfter(hidden[hidden.length - 1]);
        return { text: c.textContent, endsHidden: hidden.length > 0 && after.toString().trim() === "" };
    });
    assert.ok(listing.endsHidden, `the first block of ${ch05.html} does not end with a hidden line`);

    // Tab with two lines selected indents both, and nothing else changes.
    await page.keyboard.press("Shift+ArrowDown");
    await page.keyboard.press("Shift+ArrowDown");
    const selected = await page.evaluate(() => window.getSelection().toString());
    assert.equal(selected.split("\n").filter((line) => line !== "").length, 2, `Shift+ArrowDown twice selected ${JSON.stringify(selected)}`);
    await page.keyboard.press("Tab");
    const indented = await code.evaluate((c) => c.textContent);
    const before = listing.text.split("\n");
    const lines = indented.split("\n");
    assert.equal(lines.length, before.length, `Tab with a selection took lines away:\n${indented}`);
    const changed = lines.map((line, i) => (line === before[i] ? null : i)).filter((i) => i !== null);
    assert.equal(changed.length, 2, `Tab with two lines selected changed lines ${changed}:\n${indented}`);
    for (const i of changed) {
        assert.equal(lines[i], `    ${before[i]}`, `Tab did not indent line ${i + 1}`);
    }
    assert.equal((await whereIsFocus(page, block)).where, "editing", "Tab with a selection left the code");

    // While an input method composes, Escape is its own (it cancels the composition): a keydown
    // as Chromium sends it then (isComposing, keyCode 229) leaves the code editable.
    await code.evaluate((c) => {
        c.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", keyCode: 229, isComposing: true, bubbles: true, cancelable: true }));
    });
    assert.equal((await whereIsFocus(page, block)).where, "editing", "Escape during a composition stopped the editing");

    // Select-all takes the hidden lines too: what runs is what was typed, and nothing else.
    const program = 'fn main() { println!("only {}", 6 * 7); }';
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.type(program);
    assert.equal(await code.evaluate((c) => c.textContent), program, "select-all and typing kept hidden lines that Run sends");
    const region = await block.evaluateHandle((pre) => pre.querySelector('[aria-live="polite"]'));
    await page.keyboard.press("ControlOrMeta+Enter");
    assert.notEqual(await region.evaluate((r) => r.textContent), "", "Ctrl-Enter did not start a run");
    await page.waitForFunction((r) => r.textContent !== "Running...", region, { timeout: 60_000 });
    assert.equal(normalize(await region.evaluate((r) => r.textContent)), "only 42");
    assert.ok(
        await block.evaluate((pre) => pre.querySelector("code").classList.contains("hide-boring") || pre.classList.contains("hide-boring")),
        "the block's hidden lines are hidden again after the edit",
    );

    await context.close();
    assert.deepEqual(problems.external, []);
    assert.deepEqual(problems.console, []);
});

test("a code block's copy button shows on focus; a wide block that is not editable scrolls with the arrows", async () => {
    const ch07 = chapter("ch07-00-combinators.md", "a wide block scrolled by keyboard");
    const { context, page, problems } = await openPage(browser);
    await page.goto(url(ch07.html));
    const start = await bookState(page);
    let found = false;
    let copyButtons = 0;
    for (let i = 0; i < MAX_TABS && !found; i++) {
        await page.keyboard.press("Tab");
        const focus = await page.evaluate(() => {
            const active = document.activeElement;
            return {
                button: active.matches("pre > .buttons > button") ? active.getAttribute("aria-label") : null,
                wide: active.matches("pre > code:not(.book-editable)") && active.scrollWidth > active.clientWidth,
            };
        });
        if (focus.button) {
            const looks = await focusedLooks(page);
            assert.ok(looks.visibility === "visible" && looks.opacity === 1, `"${focus.button}" is not seen while focused: ${JSON.stringify(looks)}`);
            copyButtons += focus.button === "Copy to clipboard" ? 1 : 0;
        }
        found = focus.wide;
    }
    assert.ok(found, `Tab never reached a wide, non-editable code block on ${ch07.html}`);
    assert.ok(copyButtons > 0, `Tab passed no copy button on the way to it`);
    const navigations = [];
    page.on("framenavigated", (frame) => frame === page.mainFrame() && navigations.push(frame.url()));
    await page.keyboard.press("ArrowRight");
    // The browser scrolls smoothly, or book.js goes to the next chapter.
    await Promise.race([
        page.waitForFunction(() => document.activeElement.scrollLeft > 0),
        page.waitForEvent("framenavigated"),
    ]);
    assert.deepEqual(navigations, [], "ArrowRight on a wide block changed the page");
    assert.deepEqual(await bookState(page), start, "ArrowRight on a wide block set off one of the book's shortcuts");
    await context.close();
    assert.deepEqual(problems.console, []);
});
