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
    document.querySelectorAll("pre > code").forEach(function (code) {
        if (code.scrollWidth > code.clientWidth && code.tabIndex < 0) {
            code.tabIndex = 0;
        }
    });
    // So does a wide table (mdBook wraps each in a scrolling div): make it a named, focusable region.
    document.querySelectorAll(".table-wrapper").forEach(function (wrapper) {
        if (wrapper.scrollWidth > wrapper.clientWidth && wrapper.tabIndex < 0) {
            wrapper.tabIndex = 0;
            wrapper.setAttribute("role", "region");
            wrapper.setAttribute("aria-label", "table (scrolls sideways)");
        }
    });
})();
