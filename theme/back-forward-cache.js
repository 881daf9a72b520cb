// mdBook's book.js sets `window.onunload` to an empty function, its fix for a page brought back by
// the browser's Back button showing the sidebar and theme as they were before the reader changed
// them on the next page (mdBook issue #59): a page with an unload listener is never kept in the
// back/forward cache, so Back loads it again. Chromium deprecates unload listeners (Lighthouse's
// Best practices fails every page on it). This file keeps the behaviour without one: it runs in
// <head>, before book.js (theme/head.hbs loads it; book.toml's additional-js only copies it, and
// that second load does nothing), makes book.js's assignment a no-op, and reloads a page the
// browser restores from that cache, which is what Back did before.
(function () {
    "use strict";
    if (window.backForwardCache) {
        return;
    }
    window.backForwardCache = true;
    Object.defineProperty(window, "onunload", {
        configurable: true,
        enumerable: true,
        get: () => null,
        set: () => {},
    });
    window.addEventListener("pageshow", (event) => {
        if (event.persisted) {
            window.location.reload();
        }
    });
})();
