// Sends the Run buttons' requests to the local runner (`cargo xtask serve` starts it, see
// runner/) when the book is read from this machine and the runner answers; otherwise they go to
// the public playground as usual. On the hosted site this script changes nothing.
//
// mdBook's book.js calls fetch() for https://play.rust-lang.org/meta/crates (as soon as a page
// with code loads; the Run buttons stay hidden until it answers) and /evaluate.json (on Run).
// This script wraps window.fetch for those two addresses only. It must run before book.js, so
// theme/head.hbs loads it in the page's <head>; book.toml also lists it in additional-js, which
// is what copies it into the book, and that second load does nothing.
(function () {
    "use strict";
    if (window.playgroundLocal) {
        return;
    }
    const PLAYGROUND = "https://play.rust-lang.org";
    const ROUTES = ["/evaluate.json", "/meta/crates"];
    const localPage = ["localhost", "127.0.0.1", "[::1]"].includes(window.location.hostname);
    // The runner listens on the port after the book's: 3001 beside `mdbook serve`'s 3000.
    const port = Number(window.location.port || (window.location.protocol === "https:" ? 443 : 80));
    const runner = localPage ? "http://127.0.0.1:" + (port + 1) : null;
    const originalFetch = window.fetch.bind(window);
    let found = null;

    // Whether the runner answers, asked once per page.
    function runnerAnswers() {
        if (found === null) {
            const controller = new AbortController();
            const timer = setTimeout(() => controller.abort(), 2000);
            found = originalFetch(runner + "/", { cache: "no-store", signal: controller.signal })
                .then((response) => (response.ok ? response.json() : null))
                .then((about) => Boolean(about && about.service === "futures-book-runner"))
                .catch(() => false)
                .finally(() => clearTimeout(timer));
        }
        return found;
    }

    window.fetch = function (input, init) {
        const url = typeof input === "string" ? input : input && input.url;
        const route = typeof url === "string" && url.startsWith(PLAYGROUND + "/")
            ? url.slice(PLAYGROUND.length)
            : null;
        if (runner === null || !ROUTES.includes(route)) {
            return originalFetch(input, init);
        }
        return runnerAnswers().then((local) => {
            if (!local) {
                return originalFetch(input, init);
            }
            const target = typeof input === "string" ? runner + route : new Request(runner + route, input);
            return originalFetch(target, init);
        });
    };

    window.playgroundLocal = { runner: runner, runnerAnswers: runner ? runnerAnswers : () => Promise.resolve(false) };
})();
