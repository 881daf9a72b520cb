// Sends the Run buttons' requests to the local runner (runner/) when the book is read from this
// machine; on the hosted site this script changes nothing and the public playground answers.
//
// mdBook's book.js calls fetch() for https://play.rust-lang.org/meta/crates (as soon as a page
// with code loads; the Run buttons stay hidden until it answers) and /evaluate.json (on Run).
// This script wraps window.fetch for those two addresses only. It must run before book.js, so
// theme/head.hbs loads it in the page's <head>; book.toml also lists it in additional-js, which
// is what copies it into the book, and that second load does nothing.
//
// Where the runner is comes from `local-runner.json` at the book's root, written by
// `cargo xtask serve` (and by the browser tests): {"runner": "http://127.0.0.1:PORT", "crates":
// [...]}, or {"runner": null, "why": "..."} when it could not start. It is read as the page
// loads; the crate list is answered from it, and only a Run goes to the runner. Nothing is
// guessed and nothing waits on a timer. On a page of this machine, code never goes to the public
// playground: with no such file, or with the runner down, Run says so instead.
(function () {
    "use strict";
    if (window.playgroundLocal) {
        return;
    }
    const PLAYGROUND = "https://play.rust-lang.org";
    const ROUTES = ["/evaluate.json", "/meta/crates"];
    const localPage = window.location.protocol === "file:" ||
        ["localhost", "127.0.0.1", "[::1]"].includes(window.location.hostname);
    const originalFetch = window.fetch.bind(window);
    // This script is <book root>/theme/playground-local(-hash).js.
    const script = document.currentScript && document.currentScript.src;
    const configUrl = script ? new URL("../local-runner.json", script).href : null;
    let config = null;

    // The runner's address, read once per page.
    function readConfig() {
        if (config === null) {
            config = originalFetch(configUrl, { cache: "no-store" })
                .then((response) => (response.ok ? response.json() : { runner: null, why: null }))
                .catch(() => ({ runner: null, why: null }));
        }
        return config;
    }

    function answer(body) {
        return new Response(JSON.stringify(body), {
            status: 200,
            headers: { "Content-Type": "application/json" },
        });
    }

    // What Run shows when there is no runner to ask.
    function refusal(text) {
        const message = "local runner: " + text + " Code from a book served on this machine is not sent to the public playground.";
        return answer({ result: message, error: message });
    }

    function ask(settings, route, input, init) {
        // The crate list is the one xtask gave the runner, so it is answered here at once: a
        // page busy drawing (print.html holds every chapter) must not wait for it.
        if (route === "/meta/crates") {
            return answer({ crates: settings.crates || [] });
        }
        if (!settings.runner) {
            return refusal(
                settings.why
                    ? "the runner did not start: " + settings.why
                    : "this book is served without its runner. Serve it with `cargo xtask serve` to run code.",
            );
        }
        const target = typeof input === "string" ? settings.runner + route : new Request(settings.runner + route, input);
        return originalFetch(target, init).catch(() =>
            refusal("the runner at " + settings.runner + " does not answer; is `cargo xtask serve` still running?"),
        );
    }

    window.fetch = function (input, init) {
        const url = typeof input === "string" ? input : input && input.url;
        const route = typeof url === "string" && url.startsWith(PLAYGROUND + "/")
            ? url.slice(PLAYGROUND.length)
            : null;
        if (!localPage || !configUrl || !ROUTES.includes(route)) {
            return originalFetch(input, init);
        }
        return readConfig().then((settings) => ask(settings, route, input, init));
    };

    // print.html has nothing to run (theme/print-page.js, loaded before this file, takes its Run
    // buttons away), so it asks for nothing.
    if (localPage && configUrl && !window.printPage) {
        // Asked now, while the page loads, so the answer is there when book.js asks.
        readConfig();
    }
    window.playgroundLocal = { local: localPage, config: localPage ? readConfig : () => Promise.resolve(null) };
})();
