// Puts a listing's hidden lines back into its code block when a reader needs them. The pages
// carry only the lines a reader sees: tools/mdbook-hidden-lines takes the rest out when the book
// is built and writes it to `hidden-lines/<name>` at the book's root, one file shared by every
// block that shows a part of the same listing (the format is at the top of that tool's
// src/main.rs). A block that had hidden lines keeps a class `hidden-lines=<name>:<count>:<ranges>`
// and an empty `<span class="boring">`, for which mdBook's book.js adds its "show hidden lines"
// button as before.
//
// The file is fetched once per page, the first time one of its blocks needs it:
// - Run: book.js sends the block's textContent at click time, so the click waits here (caught
//   before book.js sees it) until the whole program is in the block, then goes on. If the lines
//   cannot be had, the block's output area says why and nothing runs: never a partial program.
// - "Show hidden lines": the same, then book.js shows them.
// - Editing (theme/code-editor.js asks through window.hiddenLines before the first edit).
// The lines go back as mdBook writes them (a `<span class="boring">` per hidden line, its newline
// inside), and the block is highlighted again as book.js highlights it (highlight.js merges those
// spans into its own markup), so the block ends as it would have been with every line in the page.
// Copy is untouched: it copies the text shown (book.js reads innerText), as before.
//
// A book opened as files (file://) cannot fetch: Run and the button say so. print.html has no
// hidden lines and needs none (tools/mdbook-finish removes the markers there): nothing is done.
(function () {
    "use strict";
    if (window.hiddenLines || /\/print(\.html)?$/.test(window.location.pathname)) {
        return;
    }
    // This script is <book root>/theme/hidden-lines(-hash).js.
    const script = document.currentScript && document.currentScript.src;
    const folder = script ? new URL("../hidden-lines/", script) : null;
    const files = new Map();
    const complete = new WeakSet();

    // The block's reference, or null for a block that never had hidden lines.
    function reference(code) {
        for (const name of code.classList) {
            const found = /^hidden-lines=([0-9a-f]{16}\.txt):(\d+):(\d+-\d+(?:_\d+-\d+)*)$/.exec(name);
            if (found) {
                return { file: found[1], count: Number(found[2]), ranges: found[3] };
            }
        }
        return null;
    }

    // The lines of one shared file, fetched once (again after a failure).
    function fileLines(file) {
        if (!files.has(file)) {
            let lines;
            if (window.location.protocol === "file:" || !folder) {
                lines = Promise.reject(new Error(
                    "this book is opened from files (file://), where they cannot be fetched; " +
                    "serve it (`cargo xtask serve`) to see or run the whole program.",
                ));
            } else {
                lines = fetch(new URL(file, folder).href)
                    .catch(() => {
                        throw new Error(`hidden-lines/${file} could not be fetched (is the book still being served?).`);
                    })
                    .then((response) => {
                        if (!response.ok) {
                            throw new Error(`hidden-lines/${file}: the server answered ${response.status}.`);
                        }
                        return response.text();
                    })
                    .then((text) => checked(file, text))
                    .then((text) => text.split("\n"));
                lines.catch(() => files.delete(file));
            }
            files.set(file, lines);
        }
        return files.get(file);
    }

    // The file's name is the start of its SHA-256: a stale or wrong file is refused, not run.
    // (crypto.subtle exists on https and on this machine's pages, not on plain http elsewhere.)
    function checked(file, text) {
        if (!window.crypto || !window.crypto.subtle) {
            return text;
        }
        return window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then((digest) => {
            const hex = Array.from(new Uint8Array(digest).slice(0, 8), (byte) => byte.toString(16).padStart(2, "0")).join("");
            if (file !== hex + ".txt") {
                throw new Error(`hidden-lines/${file} is not the file this page was built with (its SHA-256 starts ${hex}).`);
            }
            return text;
        });
    }

    // Which of `count` lines are hidden, from `a-b_c-d`.
    function hiddenFlags(reference) {
        const hidden = new Array(reference.count).fill(false);
        for (const range of reference.ranges.split("_")) {
            const [first, last] = range.split("-").map(Number);
            if (first > last || last >= reference.count) {
                throw new Error(`hidden-lines/${reference.file}: the block's range ${range} is outside its ${reference.count} lines.`);
            }
            hidden.fill(true, first, last + 1);
        }
        return hidden;
    }

    // Puts `lines` into `code`, checking that its visible lines are the page's. Returns how an
    // offset in the text the block held maps to the same place in the whole text.
    function putBack(code, reference, lines) {
        if (lines.length !== reference.count) {
            throw new Error(`hidden-lines/${reference.file} has ${lines.length} lines where the block expects ${reference.count}.`);
        }
        const hidden = hiddenFlags(reference);
        const last = lines.length - 1;
        const texts = lines.map((line, index) => (index === last ? line : line + "\n"));
        const visible = texts.filter((_, index) => !hidden[index]).join("");
        if (visible !== code.textContent) {
            throw new Error(`hidden-lines/${reference.file} does not fit this block: its visible lines differ from the page's.`);
        }
        code.textContent = "";
        texts.forEach((text, index) => {
            if (hidden[index]) {
                const span = document.createElement("span");
                span.className = "boring";
                span.textContent = text;
                code.append(span);
            } else {
                code.append(text);
            }
        });
        (window.hljs.highlightElement || window.hljs.highlightBlock)(code);
        complete.add(code);
        // theme/code-editor.js's "Undo changes" goes back to this, not to the block without them.
        code.dispatchEvent(new Event("hidden-lines-restored"));
        return function (offset) {
            let before = 0;
            let after = 0;
            for (let index = 0; index <= last; index += 1) {
                const length = texts[index].length;
                if (!hidden[index]) {
                    if (offset <= before + length) {
                        return after + offset - before;
                    }
                    before += length;
                }
                after += length;
            }
            return after;
        };
    }

    // True while the block's hidden lines are not in the page.
    function missing(code) {
        return !complete.has(code) && reference(code) !== null;
    }

    // Resolves to a function that puts the block's hidden lines in place (at once, when called)
    // and returns the offset map of putBack; rejects with an Error that says why they cannot be had.
    function load(code) {
        const found = reference(code);
        if (!found || complete.has(code)) {
            return Promise.resolve(() => (offset) => offset);
        }
        return fileLines(found.file).then((lines) => () => (complete.has(code) ? (offset) => offset : putBack(code, found, lines)));
    }

    // Where a block's messages go: its output area (theme/code-editor.js creates it on runnable
    // blocks; book.js creates the same on its first Run).
    function say(pre, text) {
        let result = pre.querySelector(".result");
        if (!result) {
            result = document.createElement("code");
            result.className = "result hljs language-bash";
            pre.append(result);
        }
        result.classList.remove("result-no-output");
        result.textContent = text;
    }

    // Run and "show hidden lines" wait for the lines; book.js's own handlers then do the rest.
    document.addEventListener("click", function (event) {
        const button = event.target instanceof Element ? event.target.closest("pre > .buttons > button") : null;
        if (!button) {
            return;
        }
        const pre = button.closest("pre");
        const code = pre.querySelector("code");
        const run = button.classList.contains("play-button");
        if (!code || !missing(code) || !(run || button.title === "Show hidden lines")) {
            return;
        }
        event.preventDefault();
        event.stopImmediatePropagation();
        load(code)
            .then((put) => {
                put();
                button.click();
            })
            .catch((error) => {
                say(pre, "The listing's hidden lines are missing: " + error.message +
                    (run ? " Nothing was run." : ""));
            });
    }, true);

    window.hiddenLines = { missing, load, say };
})();
