// mdBook's search scripts (elasticlunr, mark.js and its searcher.js, about 56 KB) used to come
// with every page although most readers never search. The tools/mdbook-finish renderer takes
// their <script> elements out of every page and lists their addresses on this file's own element
// (`data-search-scripts`); book.toml's additional-js puts this file at the end of every page.
//
// This file loads them, in mdBook's order, the first time the reader wants search: the search
// button, the `s` and `/` keys, an address with `?search=` (a shared search) or `?highlight=`
// (a page opened from a search result, whose words mark.js highlights). Until they arrive it does
// what searcher.js would: the first press or click opens the search bar at once and focuses it,
// so the words typed next land in it and nothing is lost. Once searcher.js has run (it hides the
// bar unless the address asks for a search), the bar is opened again through searcher.js's own
// button handler, which also fetches the index, the reader's text and cursor are put back, and a
// key-up makes searcher.js search for what is there and put it in the address.
(function () {
    "use strict";
    const element = document.currentScript;
    const sources = (element && element.dataset.searchScripts || "").split(" ").filter(Boolean);
    const wrapper = document.getElementById("mdbook-search-wrapper");
    const bar = document.getElementById("mdbook-searchbar");
    const button = document.getElementById("mdbook-search-toggle");
    const form = document.getElementById("mdbook-searchbar-outer");
    if (sources.length === 0 || !wrapper || !bar || !button) {
        return;
    }
    let loading = false;
    let open = false;

    function show(yes) {
        open = yes;
        wrapper.classList.toggle("hidden", !yes);
        button.setAttribute("aria-expanded", String(yes));
        if (yes) {
            window.scrollTo(0, 0);
            bar.select();
        } else if (document.activeElement === bar) {
            bar.blur();
        }
    }

    function onClick(event) {
        event.preventDefault();
        event.stopImmediatePropagation();
        show(!open);
        load();
    }

    // The keys searcher.js answers, under the same conditions (book.js's helper says whether a
    // field or editor has the focus).
    function onKey(event) {
        if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey
            || (typeof mdbook_something_else_has_focus === "function"
                && mdbook_something_else_has_focus(event)
                && event.target !== bar)) {
            return;
        }
        if ((event.key === "s" || event.key === "/") && event.target !== bar) {
            event.preventDefault();
            event.stopImmediatePropagation();
            show(true);
            load();
        } else if (event.key === "Escape" && open) {
            event.preventDefault();
            show(false);
        }
    }

    // Enter in the bar submits its form, which would reload the page with the words lost;
    // searcher.js stops that once it has run, this until then.
    function onSubmit(event) {
        event.preventDefault();
    }

    function stopListening() {
        button.removeEventListener("click", onClick);
        document.removeEventListener("keydown", onKey);
        form?.removeEventListener("submit", onSubmit);
    }

    // After searcher.js has run, within the same task (no event of the reader's comes between).
    function handOver() {
        stopListening();
        const params = new URLSearchParams(window.location.search);
        if (params.get("search")) {
            return; // searcher.js opened the bar and searches for the address's words itself
        }
        if (!open) {
            return;
        }
        const text = bar.value;
        const focused = document.activeElement === bar;
        const start = bar.selectionStart;
        const end = bar.selectionEnd;
        if (wrapper.classList.contains("hidden")) {
            button.click(); // searcher.js: opens the bar and fetches the index
        }
        bar.value = text;
        if (focused) {
            bar.focus();
            bar.setSelectionRange(start, end);
        } else {
            bar.blur();
        }
        if (text.trim() !== "") {
            bar.dispatchEvent(new KeyboardEvent("keyup"));
        }
    }

    function load() {
        if (loading) {
            return;
        }
        loading = true;
        for (const [index, source] of sources.entries()) {
            const script = document.createElement("script");
            script.src = source;
            script.async = false; // run in the order added, as mdBook's pages ran them
            if (index === sources.length - 1) {
                script.addEventListener("load", handOver);
            }
            script.addEventListener("error", () => {
                stopListening();
                console.error(`search is unavailable: ${source} did not load`);
            });
            document.body.append(script);
        }
    }

    // On the document, not before the page's own listeners: theme/code-editor.js keeps the keys
    // typed in code from reaching it, as it does for book.js and searcher.js.
    button.addEventListener("click", onClick);
    document.addEventListener("keydown", onKey);
    form?.addEventListener("submit", onSubmit);
    const params = new URLSearchParams(window.location.search);
    if (params.has("search") || params.has("highlight")) {
        load();
    }
})();
