// Makes every runnable Rust block editable in place, without mdBook's ace editor (whose ~390 KB
// every page would download). mdBook's Run button sends a block's `textContent`, so an edited
// block runs the edited code, hidden lines included. Adds "Undo changes" and Ctrl-Enter to run.
(function () {
    "use strict";
    const blocks = document.querySelectorAll("pre.playground > code.language-rust");
    const undoIcon = document.getElementById("fa-clock-rotate-left");

    blocks.forEach(function (code) {
        const pre = code.parentElement;
        const original = code.innerHTML;
        code.setAttribute("contenteditable", "plaintext-only");
        code.setAttribute("spellcheck", "false");
        code.setAttribute("role", "textbox");
        code.setAttribute("aria-multiline", "true");
        code.setAttribute("aria-label", "Editable Rust code; Ctrl-Enter runs it");
        code.classList.add("book-editable");

        code.addEventListener("keydown", function (event) {
            if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
                event.preventDefault();
                const play = pre.querySelector(".play-button");
                if (play) {
                    play.click();
                }
            } else if (event.key === "Tab" && !event.shiftKey) {
                // Indent instead of leaving the block; Shift-Tab still moves focus away.
                event.preventDefault();
                document.execCommand("insertText", false, "    ");
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
            const result = pre.querySelector(".result");
            if (result) {
                result.remove();
            }
        });
        buttons.insertBefore(undo, buttons.firstChild);
    });
})();
