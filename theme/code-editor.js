// Makes every runnable Rust block editable in place, without mdBook's ace editor (whose ~390 KB
// every page would download). mdBook's Run button sends a block's `textContent`: the edited code
// with the listing's hidden lines, which stay in place while the reader edits the visible ones.
// The pages do not carry those lines: when editing starts, theme/hidden-lines.js fetches them and
// puts them back (the caret stays where it was); what is typed meanwhile is held and typed after
// them, and if they cannot be had the block says why and is not edited (Run would send a
// partial program). Focusing a block starts fetching them, so they are usually there first.
// Select-all while editing selects the whole code, hidden lines included, so that what replaces
// it is all that runs (the browser's own would leave a hidden line after the selection, such as
// the `}` closing mdBook's `fn main` wrapper). Adds "Undo changes" and Ctrl-Enter to run.
//
// By keyboard, a block's code is one Tab stop, then its buttons. The code is first a read-only
// text box named for what Enter and Ctrl-Enter do (its arrows scroll a wide block); Enter makes it
// editable, Escape read-only again, with the focus left on it, so that Tab then moves on to the
// buttons and past them. A click edits at once. Keys typed in the code stop there: mdBook's
// book.js and searcher.js listen for keys on the document and step aside only for <input>,
// <select> and <textarea>, so in the code ArrowLeft and ArrowRight would change chapter, `s` and
// `/` open search, `?` the help, Enter and the arrows act on search results.
//
// Tab indents while editing, as in any code editor, because editing is something a reader asks
// for (Enter, or a click) and Escape ends it: a reader who moves through the page with Tab passes
// each block with one press, and one who is editing is told, in the code's description and in a
// hint shown beside it, that Escape and then Tab moves on. Tab with a selection indents every
// line it touches, never replacing it. Shift-Tab is left to the browser. While an input method
// composes (event.isComposing), every key is the input method's: Escape cancels its composition,
// not the editing.
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

    // One description for every block, read by screen readers after the code's name.
    const keys = document.createElement("p");
    keys.id = "book-editor-keys";
    keys.hidden = true;
    keys.textContent = "Enter edits the code. While editing, Tab indents; Escape stops editing, " +
        "and Tab then moves on to the block's buttons and past them.";
    document.body.appendChild(keys);

    blocks.forEach(function (code) {
        const pre = code.parentElement;
        let original = code.innerHTML;
        const runnable = !code.classList.contains("no_run");
        const run = runnable ? "; Ctrl-Enter runs" : "";

        code.setAttribute("spellcheck", "false");
        code.setAttribute("role", "textbox");
        code.setAttribute("aria-multiline", "true");
        code.setAttribute("aria-label", "Rust code: Enter edits it" + (runnable ? ", Ctrl-Enter runs it" : ""));
        code.setAttribute("aria-describedby", keys.id);
        code.tabIndex = 0;
        code.classList.add("book-editable");

        // The listing's hidden lines, put back before the first edit (see the top of this file),
        // or by Run or the eye button: from then on, Undo goes back to the block with them.
        code.addEventListener("hidden-lines-restored", function () {
            original = code.innerHTML;
        });
        let loading = false;
        // What was typed while they were on their way: { inputType, data }, typed again after.
        let held = [];
        function typeAgain(input) {
            if (input.inputType === "insertParagraph" || input.inputType === "insertLineBreak") {
                document.execCommand("insertText", false, "\n");
            } else if (input.inputType === "deleteContentBackward") {
                document.execCommand("delete");
            } else if (input.inputType === "deleteContentForward") {
                document.execCommand("forwardDelete");
            } else if (input.data) {
                document.execCommand("insertText", false, input.data);
            }
        }
        function completeCode() {
            const hidden = window.hiddenLines;
            if (loading || !hidden || !hidden.missing(code)) {
                return;
            }
            loading = true;
            hidden.load(code)
                .then((putBack) => {
                    const selection = window.getSelection();
                    const inside = selection.rangeCount && code.contains(selection.anchorNode) && code.contains(selection.focusNode);
                    const from = inside ? textOffset(selection.anchorNode, selection.anchorOffset) : 0;
                    const to = inside ? textOffset(selection.focusNode, selection.focusOffset) : 0;
                    // Everything selected (select-all pressed while they were on their way) stays
                    // everything: what is typed over it replaces the hidden lines too.
                    const all = inside && Math.min(from, to) === 0 && Math.max(from, to) === code.textContent.length;
                    const map = putBack();
                    if (all) {
                        selection.selectAllChildren(code);
                    } else if (inside) {
                        const a = textPoint(map(from));
                        const b = textPoint(map(to));
                        selection.setBaseAndExtent(a.node, a.offset, b.node, b.offset);
                    }
                    loading = false;
                    // Typing again goes through execCommand, which fires no beforeinput: the
                    // hidden lines are displayed for it here, as beforeinput does below.
                    const hiding = all && held.length ? hidingElement() : null;
                    hiding?.classList.remove("hide-boring");
                    held.splice(0).forEach(typeAgain);
                    hiding?.classList.add("hide-boring");
                })
                .catch((error) => {
                    held = [];
                    edit(false);
                    hidden.say(pre, "The listing's hidden lines are missing, so it cannot be edited: " + error.message);
                })
                .finally(() => {
                    loading = false;
                });
        }

        function edit(on) {
            if (on) {
                completeCode();
                code.setAttribute("contenteditable", "plaintext-only");
                code.removeAttribute("aria-readonly");
            } else {
                code.removeAttribute("contenteditable");
                code.setAttribute("aria-readonly", "true");
            }
            // book.css shows this beside the focused code.
            code.dataset.keys = (on ? "Tab indents; Esc, then Tab, moves on" : "Enter edits") + run;
        }
        edit(false);

        // Where `offset` (counted in the code's textContent) falls: the text node holding the
        // character at `offset`, or the end of the last one.
        function textPoint(offset) {
            const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
            let last = null;
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                if (offset < node.data.length) {
                    return { node, offset };
                }
                offset -= node.data.length;
                last = node;
            }
            return last ? { node: last, offset: last.data.length } : { node: code, offset: 0 };
        }

        // How many characters of the code's textContent come before (node, offset).
        function textOffset(node, offset) {
            const before = document.createRange();
            before.setStart(code, 0);
            before.setEnd(node, offset);
            return before.toString().length;
        }

        // Tab: four spaces at the caret, or before every line the selection touches (a line it
        // only reaches the start of is left alone), each an edit that Ctrl-Z undoes.
        function indent(selection) {
            if (!selection.rangeCount || selection.isCollapsed) {
                document.execCommand("insertText", false, "    ");
                return;
            }
            const range = selection.getRangeAt(0);
            const text = code.textContent;
            const start = textOffset(range.startContainer, range.startOffset);
            const end = textOffset(range.endContainer, range.endOffset);
            // The start of the first line, then of every line that begins inside the selection.
            const starts = [start === 0 ? 0 : text.lastIndexOf("\n", start - 1) + 1];
            for (let nl = text.indexOf("\n", start); nl >= 0 && nl + 1 < end; nl = text.indexOf("\n", nl + 1)) {
                starts.push(nl + 1);
            }
            // From the last line up, so that each offset still holds when its turn comes.
            for (const at of [...starts].reverse()) {
                const point = textPoint(at);
                selection.collapse(point.node, point.offset);
                document.execCommand("insertText", false, "    ");
            }
            // The indented lines stay selected, for another Tab.
            const from = textPoint(starts[0]);
            const to = textPoint(end + 4 * starts.length);
            selection.setBaseAndExtent(from.node, from.offset, to.node, to.offset);
        }

        // A click (or a tap; not a swipe that scrolls) edits where it lands: editable before the
        // browser places the caret.
        code.addEventListener("mousedown", function () {
            if (!code.isContentEditable) {
                edit(true);
            }
        });
        // The element whose `hide-boring` class keeps the hidden lines from being displayed.
        function hidingElement() {
            return code.classList.contains("hide-boring") ? code : pre.classList.contains("hide-boring") ? pre : null;
        }
        // Chromium edits only what is laid out: with the hidden lines not displayed, typing over
        // a selection that holds them all would keep those after the visible code. For that one
        // edit they are displayed (within the task, so never painted), then hidden again.
        let shown = false;
        code.addEventListener("beforeinput", function (event) {
            if (loading) {
                // The hidden lines are on their way: this edit is typed again once they are in.
                event.preventDefault();
                const data = event.data ?? (event.dataTransfer ? event.dataTransfer.getData("text/plain") : null);
                held.push({ inputType: event.inputType, data });
                return;
            }
            const selection = window.getSelection();
            const hiding = hidingElement();
            if (hiding && selection.rangeCount && selection.getRangeAt(0).toString() === code.textContent) {
                hiding.classList.remove("hide-boring");
                shown = hiding;
            }
        });
        code.addEventListener("input", function () {
            if (shown) {
                shown.classList.add("hide-boring");
                shown = false;
            }
        });
        // A reader who reaches the code is likely to edit or run it: fetch its hidden lines now.
        code.addEventListener("focus", function () {
            if (window.hiddenLines && window.hiddenLines.missing(code)) {
                window.hiddenLines.load(code).catch(() => {});
            }
        });
        code.addEventListener("focusout", function () {
            edit(false);
        });

        code.addEventListener("keydown", function (event) {
            // The book's own shortcuts listen on the document: a key typed here stops here.
            event.stopPropagation();
            // keyCode 229: the keydown that starts a composition, before isComposing is set.
            if (event.isComposing || event.keyCode === 229) {
                return;
            }
            const plain = !event.shiftKey && !event.ctrlKey && !event.altKey && !event.metaKey;
            if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
                event.preventDefault();
                const play = pre.querySelector(".play-button");
                // Hidden until the crate list has come (or for good: no_run, a crate Run cannot use).
                if (play && !play.hidden && !play.classList.contains("hidden")) {
                    play.click();
                }
            } else if (!code.isContentEditable) {
                if (event.key === "Enter" && plain) {
                    event.preventDefault();
                    edit(true);
                    // The caret comes back where editing last left it, or at the start.
                    const selection = window.getSelection();
                    if (!selection.rangeCount || !code.contains(selection.anchorNode)) {
                        selection.collapse(code, 0);
                    }
                }
            } else if (event.key === "Escape") {
                event.preventDefault();
                edit(false);
            } else if (event.key === "Tab" && plain) {
                event.preventDefault();
                indent(window.getSelection());
            } else if (event.key.toLowerCase() === "a" && (event.ctrlKey || event.metaKey) &&
                !event.shiftKey && !event.altKey) {
                event.preventDefault();
                window.getSelection().selectAllChildren(code);
            }
        });

        // mdBook's book.js writes a run's output into the block's `.result`, creating it on the
        // first Run. A live region must exist before its text changes to be announced, so it is
        // created now, empty (book.css gives an empty one no room); book.js then reuses it.
        const result = document.createElement("code");
        result.className = "result hljs language-bash";
        result.setAttribute("role", "status");
        result.setAttribute("aria-live", "polite");
        pre.append(result);

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
        // The buttons sit in the block's corner wherever they are in the page; after the code,
        // Tab reaches them after it (mdBook puts them first).
        pre.insertBefore(buttons, result);
    });
})();
