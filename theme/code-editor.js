// Makes every runnable Rust block editable in place, without mdBook's ace editor (whose ~390 KB
// every page would download). mdBook's Run button sends a block's `textContent`, so an edited
// block runs the edited code, hidden lines included. Adds "Undo changes" and Ctrl-Enter to run.
//
// By keyboard, a block is one Tab stop: its <pre>, named for what Enter and Ctrl-Enter do. Enter
// starts editing; Escape stops it and puts focus back on the block, from where Tab goes on to the
// block's buttons and past them. While editing, the block is a text field: mdBook's book.js and
// searcher.js listen for keys on the document and step aside only for <input>, <select> and
// <textarea>, so in a contenteditable block ArrowLeft and ArrowRight would change chapter, `s` and
// `/` open search, `?` the help, Escape and Enter act on search results. Keys typed here stop at
// the block and only edit it.
//
// Tab indents while editing, as in any code editor, because editing is something a reader asks
// for (Enter, or a click) and Escape ends it: the code itself is not a Tab stop, so a reader who
// moves through the page with Tab never lands in it, and one who is editing is told, in the
// block's description and in a hint shown while editing, that Escape and then Tab moves on.
// Shift-Tab is left to the browser: it moves focus back, out of the code.
//
// print.html is for printing: nothing there is edited or run, so this script does nothing there.
(function () {
    "use strict";
    if (/\/print(\.html)?$/.test(window.location.pathname)) {
        return;
    }
    const blocks = document.querySelectorAll("pre.playground > code.language-rust");
    if (blocks.length === 0) {
        return;
    }
    const undoIcon = document.getElementById("fa-clock-rotate-left");

    // One description for every block, read by screen readers after the block's name.
    const keys = document.createElement("p");
    keys.id = "book-editor-keys";
    keys.hidden = true;
    keys.textContent = "Enter edits the code and Ctrl-Enter runs it. While editing, Tab indents; " +
        "Escape stops editing, and Tab then moves on to the block's buttons and past them.";
    document.body.appendChild(keys);

    blocks.forEach(function (code) {
        const pre = code.parentElement;
        const original = code.innerHTML;
        const runnable = !code.classList.contains("no_run");

        pre.tabIndex = 0;
        pre.setAttribute("role", "group");
        pre.setAttribute("aria-label", runnable
            ? "Rust code: Enter edits it, Ctrl-Enter runs it"
            : "Rust code: Enter edits it");
        pre.setAttribute("aria-describedby", keys.id);
        pre.classList.add("book-editor");

        code.setAttribute("contenteditable", "plaintext-only");
        code.setAttribute("spellcheck", "false");
        code.setAttribute("role", "textbox");
        code.setAttribute("aria-multiline", "true");
        code.setAttribute("aria-label", runnable
            ? "Editable Rust code; Ctrl-Enter runs it, Escape stops editing"
            : "Editable Rust code; Escape stops editing");
        code.setAttribute("aria-describedby", keys.id);
        code.dataset.keys = runnable
            ? "Tab indents; Esc, then Tab, moves on; Ctrl-Enter runs"
            : "Tab indents; Esc, then Tab, moves on";
        code.tabIndex = -1;
        code.classList.add("book-editable");

        // mdBook's book.js writes a run's output into the block's `.result`, creating it on the
        // first Run. A live region must exist before its text changes to be announced, so it is
        // created now, empty (book.css gives an empty one no height); book.js then reuses it.
        const result = document.createElement("code");
        result.className = "result hljs language-bash";
        result.setAttribute("role", "status");
        result.setAttribute("aria-live", "polite");
        pre.append(result);

        function run() {
            const play = pre.querySelector(".play-button");
            // Hidden until the crate list has come (or for good: no_run, a crate Run cannot use).
            if (play && !play.hidden && !play.classList.contains("hidden")) {
                play.click();
            }
        }

        code.addEventListener("keydown", function (event) {
            // The book's own shortcuts listen on the document: a key typed here stops here.
            event.stopPropagation();
            if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
                event.preventDefault();
                run();
            } else if (event.key === "Escape") {
                event.preventDefault();
                pre.focus();
            } else if (event.key === "Tab" && !event.shiftKey && !event.ctrlKey && !event.altKey && !event.metaKey) {
                event.preventDefault();
                document.execCommand("insertText", false, "    ");
            }
        });

        pre.addEventListener("keydown", function (event) {
            if (event.target !== pre || event.altKey || event.shiftKey || event.key !== "Enter") {
                return;
            }
            // Enter on the block is the block's, not the search results' (searcher.js).
            event.preventDefault();
            event.stopPropagation();
            if (event.ctrlKey || event.metaKey) {
                run();
            } else {
                // The caret comes back where editing last left it (at the start the first time).
                code.focus();
            }
        });

        const buttons = pre.querySelector(".buttons");
        if (!buttons) {
            return;
        }
        const undo = document.createElement("button");
        undo.className = "reset-button";
        undo.title = "Undo changes";
        undo.setAttribute("aria-label", undo.title);
        undo.innerHTML = undoIcon ? undoIcon.innerHTML : "↺";
        undo.addEventListener("click", function () {
            code.innerHTML = original;
            // Emptied, not removed: it stays the block's live region for the next Run.
            result.textContent = "";
            result.classList.remove("result-no-output");
        });
        buttons.insertBefore(undo, buttons.firstChild);
    });
})();
