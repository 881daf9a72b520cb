// print.html holds every chapter at once, to be read through or printed (xtask/src/pdf.rs prints
// a copy of it into the PDF): nothing on it is edited or run. mdBook's book.js treats it like a
// chapter page all the same: it adds a copy button and a Run button to every block and asks the
// playground for its crate list, and theme/code-editor.js would make every Rust block editable.
// (The listings' hidden lines are not in the pages at all: tools/mdbook-hidden-lines leaves each
// block only an empty marker, which tools/mdbook-finish takes out of print.html, so book.js adds
// no "show hidden lines" toggle there, and theme/hidden-lines.js does nothing on this page.)
//
// theme/head.hbs loads this script on the print page only, in <head> (book.toml lists it in
// additional-js too, which is what copies it into the book; that load, at the end of every page's
// <body>, does nothing). It waits for the parser to reach book.js's <script> element (everything
// above it, <main> included, is parsed by then) and, before book.js runs, makes the page what a
// printed book needs:
// - no block is a playground any more, so book.js adds no Run button and asks nothing of the
//   playground or the runner, and theme/code-editor.js finds no block to make editable;
// - no copy buttons (nothing is copied from a printed page; the chapter pages keep theirs);
// - highlight.js skips inline code, which it leaves as it is anyway.
// The chapter pages are left as they are: this file does nothing there.
(function () {
    "use strict";
    if (window.printPage || document.body) {
        return;
    }
    const state = { prepared: false, beforeBookJs: false };
    window.printPage = state;

    function prepare(beforeBookJs) {
        if (state.prepared) {
            return;
        }
        state.prepared = true;
        state.beforeBookJs = beforeBookJs;
        window.playground_copyable = false;
        // book.js runs highlight.js over every <code>, the thousands of inline ones too, where it
        // finds no language and writes the same text back: skip them (book.js still styles them).
        document.querySelectorAll("main :not(pre) > code").forEach((code) => code.classList.add("nohighlight"));
        document.querySelectorAll("pre.playground").forEach((pre) => pre.classList.remove("playground"));
        if (!beforeBookJs) {
            // mdBook's markup changed and book.js ran first: still take its buttons away.
            document.querySelectorAll("pre > .buttons").forEach((buttons) => buttons.remove());
        }
    }

    // Only the chain of parents down to book.js's <script> is watched (not the whole page, whose
    // tens of thousands of insertions would each make a record): <html>, <body>, then mdBook's body container.
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
