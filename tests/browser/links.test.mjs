// The site works under a sub-path (a GitHub project page lives at /futures-from-the-ground-up/):
// starting from the book's address, every link and resource of every page (href and src, and
// url(…) in style sheets) on this server answers 200, and none leaves the sub-path; an absolute
// "/…" address would work with `mdbook serve` and break on the hosted site. No browser: Node's
// fetch against the static server.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BOOK_URL } from "./support.mjs";

const ROOT = new URL(BOOK_URL);
const TIMEOUT_MS = 10_000;

/** The values of href, src and srcset in a page, and its <base href> if any. */
function htmlReferences(html) {
    const withoutComments = html.replace(/<!--[\s\S]*?-->/g, "");
    const refs = [];
    let base = null;
    for (const tag of withoutComments.matchAll(/<([a-zA-Z][\w-]*)\b([^>]*)>/g)) {
        const [, name, attributes] = tag;
        for (const attr of attributes.matchAll(/\s(href|src|srcset)\s*=\s*("([^"]*)"|'([^']*)'|([^\s"'>]+))/gi)) {
            const value = decodeEntities(attr[3] ?? attr[4] ?? attr[5]);
            if (name.toLowerCase() === "base" && attr[1].toLowerCase() === "href") {
                base = value;
            } else if (attr[1].toLowerCase() === "srcset") {
                refs.push(...value.split(",").map((c) => c.trim().split(/\s+/)[0]).filter(Boolean));
            } else {
                refs.push(value);
            }
        }
    }
    return { refs, base };
}

function decodeEntities(text) {
    return text.replace(/&(amp|quot|#39|lt|gt);/g, (_, e) => ({ amp: "&", quot: '"', "#39": "'", lt: "<", gt: ">" })[e]);
}

/** url(…) and @import in a style sheet. */
function cssReferences(css) {
    const refs = [];
    for (const m of css.replace(/\/\*[\s\S]*?\*\//g, "").matchAll(/url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)|@import\s+["']([^"']+)["']/g)) {
        refs.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
    }
    return refs;
}

async function fetchWithTimeout(address, method) {
    return fetch(address, { method, redirect: "manual", signal: AbortSignal.timeout(TIMEOUT_MS) });
}

test("every link and resource answers 200 and stays under the site's sub-path", async (t) => {
    const problems = [];
    const checked = new Map(); // address without fragment -> status
    const queue = [];
    let external = 0;

    /** Records one reference found on `from`; queues it when it is on this server. */
    function found(ref, from, base) {
        const value = ref.trim();
        if (value === "" || value.startsWith("#") || /^(mailto|javascript|data|tel):/i.test(value)) {
            return;
        }
        let target;
        try {
            target = new URL(value, new URL(base ?? from, from));
        } catch {
            problems.push(`${from}: cannot read the address "${value}"`);
            return;
        }
        if (target.origin !== ROOT.origin) {
            if (target.protocol.startsWith("http") && ["127.0.0.1", "localhost"].includes(target.hostname)) {
                problems.push(`${from}: "${value}" points at another server on this machine (${target.origin})`);
            }
            external += 1;
            return;
        }
        if (!target.pathname.startsWith(ROOT.pathname)) {
            problems.push(`${from}: "${value}" leaves ${ROOT.pathname} (resolves to ${target.pathname})`);
            return;
        }
        target.hash = "";
        if (!checked.has(target.href)) {
            checked.set(target.href, null);
            queue.push({ address: target.href, from });
        }
    }

    checked.set(ROOT.href, null);
    queue.push({ address: ROOT.href, from: "(start)" });
    while (queue.length > 0) {
        const { address, from } = queue.shift();
        const path = new URL(address).pathname;
        const readable = path.endsWith("/") || /\.(html|css)$/.test(path);
        let response;
        try {
            response = await fetchWithTimeout(address, readable ? "GET" : "HEAD");
        } catch (error) {
            problems.push(`${address} (linked from ${from}): ${error.message}`);
            continue;
        }
        checked.set(address, response.status);
        if (response.status !== 200) {
            // `cargo xtask pdf` (a step of `cargo xtask test`, before this one) copies the PDF in.
            const hint = path.endsWith(".pdf") ? " (the PDF is put beside the pages by `cargo xtask pdf`)" : "";
            problems.push(`${address} (linked from ${from}): ${response.status}${hint}`);
            await response.body?.cancel();
            continue;
        }
        if (!readable) {
            continue;
        }
        const text = await response.text();
        if (path.endsWith(".css")) {
            cssReferences(text).forEach((ref) => found(ref, address, null));
        } else {
            const { refs, base } = htmlReferences(text);
            refs.forEach((ref) => found(ref, address, base));
        }
    }

    // The hosted site answers any missing address with 404.html, at that address: its links must
    // work from there too (mdBook gives it a <base href> made from site-url for that).
    const missing = new URL("no-such-folder/no-such-page.html", ROOT).href;
    const response = await fetchWithTimeout(missing, "GET");
    assert.equal(response.status, 404, `${missing} should answer 404 with 404.html`);
    const notFound = htmlReferences(await response.text());
    assert.ok(notFound.refs.length > 0, "the 404 page links nothing");
    const before = checked.size;
    notFound.refs.forEach((ref) => found(ref, missing, notFound.base));
    for (const { address } of queue.splice(0)) {
        const r = await fetchWithTimeout(address, "HEAD");
        checked.set(address, r.status);
        if (r.status !== 200) {
            problems.push(`${address} (linked from the 404 page at ${missing}): ${r.status}`);
        }
    }

    const pages = [...checked.keys()].filter((a) => /(\/|\.html)$/.test(new URL(a).pathname)).length;
    t.diagnostic(
        `${checked.size} addresses checked (${pages} pages; ${checked.size - before} new from the 404 page), ` +
            `${external} links to other sites not followed`,
    );
    assert.deepEqual(problems, [], `${problems.length} broken or escaping links:\n${problems.join("\n")}`);
});
