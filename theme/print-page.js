// print.html holds every chapter at once, to be read through or printed (xtask/src/pdf.rs prints
// a copy of it into the PDF): nothing on it is edited or run. mdBook's book.js treats it like a
// chapter page all the same, and on a page this size that froze the browser for seconds: it
// highlights every listing with its hidden lines still inside (tens of thousands of spans that
// highlight.js has to merge with its own), adds a "show hidden lines" toggle, a copy button and
// a Run button to every block, and asks the playground for its crate list.
//
// theme/head.hbs loads this script on the print page only, in <head> (book.toml lists it in
// additional-js too, which is what copies it into the book; that load, at the end of every page's
// <body>, does nothing). It waits for the parser to
// reach book.js's <script> element (everything above it, <main> included, is parsed by then) and,
// before book.js runs, makes the page what a printed book needs:
// - the hidden lines are taken out of the code (they are never shown in print), so highlight.js
//   sees only the lines a reader sees;
// - no block is a playground any more, so book.js adds no Run button and asks nothing of the
//   playground or the runner, and theme/code-editor.js finds no block to make editable;
// - no copy buttons (nothing is copied from a printed page; the chapter pages keep theirs).
// The chapter pages are left as they are: this file is not loaded there.
(function () {
    "use strict";
    if (window.printPage || document.body) {
        return;
    }
    const state = { prepared: false, beforeBookJs: false, hiddenLines: 0 };
    window.printPage = state;
    // The browser lays out and paints the page while it is still being parsed: without this rule
    // those first layouts would hold every hidden line (book.js hides them only once it runs).
    const style = document.createElement("style");
    style.textContent = ".boring { display: none; }";
    document.head.appendChild(style);

    // Hidden lines come as <span class="boring"> children of a block's <code> (mdBook writes
    // them so at build time); the rest of the block is plain text.
    function dropHiddenLines(code) {
        const hidden = code.getElementsByClassName("boring");
        if (hidden.length === 0) {
            return;
        }
        state.hiddenLines += hidden.length;
        const onlyHiddenLines = Array.prototype.every.call(code.children, (child) => child.classList.contains("boring"));
        if (onlyHiddenLines) {
            // One assignment per block instead of one removal per line.
            let visible = "";
            for (const node of code.childNodes) {
                if (node.nodeType === Node.TEXT_NODE) {
                    visible += node.data;
                }
            }
            code.textContent = visible;
        } else {
            Array.from(hidden).forEach((line) => line.remove());
        }
    }

    function prepare(beforeBookJs) {
        if (state.prepared) {
            return;
        }
        state.prepared = true;
        state.beforeBookJs = beforeBookJs;
        window.playground_copyable = false;
        document.querySelectorAll("pre > code").forEach(dropHiddenLines);
        document.querySelectorAll("pre.playground").forEach((pre) => pre.classList.remove("playground"));
        if (!beforeBookJs) {
            // mdBook's markup changed and book.js ran first: still take its buttons away.
            document.querySelectorAll("pre > .buttons").forEach((buttons) => buttons.remove());
        }
    }

    // Only the chain of parents down to book.js's <script> is watched (not the whole page, whose
    // ~100,000 insertions would each make a record): <html>, <body>, then mdBook's body container.
    // Records arrive late (at the parser's next microtask checkpoint), so a newly watched element's
    // children that are already there are looked at too.
    const isBookJs = (node) => node.tagName === "SCRIPT" && /(^|\/)book(-[0-9a-f]+)?\.js$/.test(node.getAttribute("src") || "");
    const observer = new MutationObserver(function (records) {
        for (const record of records) {
            record.addedNodes.forEach(consider);
        }
    });
    function consider(node) {
        if (state.prepared || node.nodeType !== Node.ELEMENT_NODE) {
            return;
        }
        if (isBookJs(node)) {
            // The parser stops at this element's end tag, runs the pending microtasks (this
            // callback) and only then runs book.js.
            observer.disconnect();
            prepare(true);
        } else if (node.tagName === "BODY" || node.id === "mdbook-body-container") {
            observer.observe(node, { childList: true });
            Array.from(node.children).forEach(consider);
        }
    }
    observer.observe(document.documentElement, { childList: true });
    document.addEventListener("DOMContentLoaded", function () {
        observer.disconnect();
        prepare(false);
    });
})();
