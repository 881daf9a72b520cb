// Keyboard access, and the roles axe asks for, that mdBook 0.5.4's theme lacks (found by
// tests/browser/accessibility.test.mjs).
(function () {
    "use strict";
    // The sidebar toggle is a <label> for a hidden checkbox (mdBook issues #2345, #2615), which no
    // key reaches, and a <label> may not take a button's role (axe's aria-allowed-role). The button
    // is the icon inside it (a <span>, which may take any role): a click on a label's child toggles
    // the label's checkbox. The label keeps its title and stops being named or announced itself.
    const toggle = document.getElementById("mdbook-sidebar-toggle");
    const button = toggle && toggle.tagName === "LABEL" ? toggle.querySelector(".fa-svg") : null;
    if (button) {
        button.setAttribute("role", "button");
        button.tabIndex = 0;
        ["aria-label", "aria-controls"].forEach(function (name) {
            if (toggle.hasAttribute(name)) {
                button.setAttribute(name, toggle.getAttribute(name));
                toggle.removeAttribute(name);
            }
        });
        // book.js announces the state with aria-expanded on #mdbook-sidebar-toggle, the label,
        // whenever the sidebar opens or closes (a click, a drag of its edge, a swipe): move it to
        // the button each time. Until then, the state is the one the page was drawn in.
        const expanded = function () {
            const value = toggle.getAttribute("aria-expanded");
            if (value !== null) {
                button.setAttribute("aria-expanded", value);
                toggle.removeAttribute("aria-expanded");
            }
        };
        button.setAttribute("aria-expanded", String(document.documentElement.classList.contains("sidebar-visible")));
        expanded();
        new MutationObserver(expanded).observe(toggle, { attributes: true, attributeFilter: ["aria-expanded"] });
        button.addEventListener("keydown", function (event) {
            if (event.key === "Enter" || event.key === " ") {
                event.preventDefault();
                button.click();
            }
        });
    }
    // mdBook's menu bar (the book's title and its buttons) sits outside every landmark (axe's
    // region rule): it is the page's banner.
    const menuBar = document.getElementById("mdbook-menu-bar");
    if (menuBar && !menuBar.hasAttribute("role")) {
        menuBar.setAttribute("role", "banner");
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
