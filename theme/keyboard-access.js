// Keyboard access that mdBook 0.5.4's theme lacks (found by tests/browser/accessibility.test.mjs).
(function () {
    "use strict";
    // The sidebar toggle is a <label> (mdBook issues #2345, #2615): give it a button's role and keys.
    const toggle = document.getElementById("mdbook-sidebar-toggle");
    if (toggle && toggle.tagName === "LABEL") {
        toggle.setAttribute("role", "button");
        toggle.tabIndex = 0;
        toggle.addEventListener("keydown", function (event) {
            if (event.key === "Enter" || event.key === " ") {
                event.preventDefault();
                toggle.click();
            }
        });
    }
    // A code block wider than the page scrolls sideways: let Tab reach it, so arrows can scroll.
    // So does a wide table (mdBook wraps each in a scrolling div): a named, focusable region.
    // (Editable blocks are Tab stops already, theme/code-editor.js; their caret scrolls them.)
    // Every width is read before anything is written, so the page is laid out at most once here
    // (print.html has hundreds of blocks): the layout its first paint needs anyway.
    const wide = function (element) {
        return element.scrollWidth > element.clientWidth && element.tabIndex < 0;
    };
    const codes = Array.from(document.querySelectorAll("pre > code:not(.book-editable):not(.result)")).filter(wide);
    const tables = Array.from(document.querySelectorAll(".table-wrapper")).filter(wide);
    codes.concat(tables).forEach(function (scroller) {
        scroller.tabIndex = 0;
        // mdBook's book.js takes ArrowLeft and ArrowRight on the document to change chapter;
        // on a focused scroller they are the browser's, to scroll it.
        scroller.addEventListener("keydown", function (event) {
            if (event.target === scroller && (event.key === "ArrowLeft" || event.key === "ArrowRight")) {
                event.stopPropagation();
            }
        });
    });
    tables.forEach(function (wrapper) {
        wrapper.setAttribute("role", "region");
        wrapper.setAttribute("aria-label", "table (scrolls sideways)");
    });
})();
