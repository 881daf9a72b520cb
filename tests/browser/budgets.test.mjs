// Page weight against a baseline: every page of this book (each chapter of SUMMARY.md, the
// introduction, the appendices, the 404 page) must cost a first-time reader at most HALF of what
// the same page costs when stock mdBook builds the same src/ with a plain book.toml, both raw and
// gzip -9 (as a static host serves text); print.html is weighed on its own against stock's
// print.html. The baseline is built here, in the same run, so the two differ only by this book's
// configuration, preprocessors and theme. Each page is loaded in a fresh context (empty cache),
// and everything it requests from the book's server until the network is idle is counted: HTML,
// CSS, scripts, fonts, images, and the search index if a first load fetches it. Each translated
// edition's pages (under LANG/) are held to the same budget against the same stock English pages.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { ALL_EDITIONS, BOOK_URL, REPO_ROOT, chapters, launch, openPage, readRepoFile } from "./support.mjs";

/** The mdBook the book is built with (ci/tools.toml pins it); the baseline is that mdBook, stock. */
const STOCK_MDBOOK = readRepoFile("ci/tools.toml").match(/^mdbook\s*=\s*"([^"]+)"/m)?.[1];
if (!STOCK_MDBOOK) {
    throw new Error("ci/tools.toml pins no mdbook version");
}
const SITE_PATH = new URL(BOOK_URL).pathname;
/** Every page may weigh at most this share of stock mdBook's same page, raw and gzip. */
const BUDGET = 0.5;

let browser;
let baseline; // { dir, server, url }

before(async () => {
    browser = await launch();
    baseline = await buildBaseline();
});
after(async () => {
    await browser?.close();
    baseline?.server?.kill();
    if (baseline?.dir) {
        rmSync(baseline.dir, { recursive: true, force: true });
    }
});

/** mdbook from PATH, or from ~/.cargo/bin where `cargo xtask` installs it. */
function mdbookCommand() {
    const installed = join(homedir(), ".cargo/bin/mdbook");
    return process.env.MDBOOK || (existsSync(installed) ? installed : "mdbook");
}

/** The book as stock mdBook builds it: same chapters, no preprocessor, no theme, no linkcheck. */
async function buildBaseline() {
    const run = promisify(execFile);
    const mdbook = mdbookCommand();
    const { stdout: version } = await run(mdbook, ["--version"], { timeout: 10_000 });
    assert.match(version, new RegExp(`\\bv?${STOCK_MDBOOK.replaceAll(".", "\\.")}\\b`), `the baseline is stock mdBook ${STOCK_MDBOOK}, found ${version.trim()}`);
    const dir = mkdtempSync(join(tmpdir(), "book-baseline-"));
    const src = join(REPO_ROOT, "src");
    writeFileSync(
        join(dir, "book.toml"),
        [
            "[book]",
            'title = "Futures from the Ground Up"',
            `src = ${JSON.stringify(src)}`,
            "",
            "[rust]",
            'edition = "2024"',
            "",
            // Changes nothing in the output; without it mdBook would create files in the real
            // src/ for any SUMMARY.md entry whose file is missing.
            "[build]",
            "create-missing = false",
            "",
            // Only 404.html uses it (its <base>): without it stock's 404 page, served under the
            // site's sub-path as ours is, would load none of its styles and scripts.
            "[output.html]",
            `site-url = ${JSON.stringify(SITE_PATH)}`,
            "",
        ].join("\n"),
    );
    const out = join(dir, "out");
    try {
        await run(mdbook, ["build", dir, "-d", out], { timeout: 120_000 });
    } catch (error) {
        throw new Error(`stock mdbook could not build the baseline: ${error.stderr || error.message}`);
    }
    const { server, url } = await serve(out);
    return { dir, server, url };
}

function freePort() {
    return new Promise((resolve, reject) => {
        const probe = createServer();
        probe.once("error", reject);
        probe.listen(0, "127.0.0.1", () => {
            const { port } = probe.address();
            probe.close(() => resolve(port));
        });
    });
}

/** serve-static.mjs on a free port, under the same sub-path as the book. */
async function serve(dir) {
    const port = await freePort();
    const server = spawn(process.execPath, [join(import.meta.dirname, "serve-static.mjs"), dir, String(port), SITE_PATH], {
        stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("serve-static.mjs did not start within 10 s")), 10_000);
        server.once("exit", (code) => reject(new Error(`serve-static.mjs exited with ${code}`)));
        server.stdout.on("data", (chunk) => {
            if (String(chunk).includes("serving")) {
                clearTimeout(timer);
                resolve();
            }
        });
    });
    return { server, url: `http://127.0.0.1:${port}${SITE_PATH}` };
}

/** Content types a static host (GitHub Pages, nginx's gzip_types) compresses. */
function compressible(contentType) {
    return /^(text\/|application\/(javascript|json|xml)|image\/svg\+xml)/.test(contentType || "");
}

/**
 * Loads `address` in a fresh context (empty cache) and waits for the network to be idle. Returns
 * every response from the book's own server with its body's size, raw and as gzip -9 would send it
 * (fonts and PNG images are sent as they are), and, apart, the requests to anywhere else (the
 * playground's crate list, which the test environment answers from the local runner for our book
 * and refuses for the baseline; the hosted site sends both books to the same public playground, so
 * they are left out of the sum).
 */
async function weigh(address, expectedStatus) {
    const { context, page } = await openPage(browser);
    try {
        const origin = new URL(address).origin;
        const finished = [];
        const failed = [];
        page.on("requestfinished", (r) => finished.push(r));
        page.on("requestfailed", (r) => failed.push(`${r.url()} (${r.failure()?.errorText})`));
        const response = await page.goto(address, { waitUntil: "networkidle", timeout: 60_000 });
        assert.equal(response?.status(), expectedStatus, `${address} answered ${response?.status()}`);
        const files = [];
        const elsewhere = [];
        for (const request of finished) {
            const at = new URL(request.url());
            if (at.origin !== origin) {
                elsewhere.push(request.url());
                continue;
            }
            const answer = await request.response();
            const body = answer ? await answer.body() : Buffer.alloc(0);
            const type = answer?.headers()["content-type"];
            files.push({
                file: fileName(at.pathname),
                raw: body.length,
                gzip: compressible(type) ? gzipSync(body, { level: 9 }).length : body.length,
            });
        }
        const sum = (key) => files.reduce((total, f) => total + f[key], 0);
        return { files, elsewhere, failed, raw: sum("raw"), gzip: sum("gzip") };
    } finally {
        await context.close();
    }
}

/** A file's path in the book without mdBook's content hash: "css/general.css", "book.js". */
function fileName(pathname) {
    const relative = pathname.startsWith(SITE_PATH) ? pathname.slice(SITE_PATH.length) : pathname;
    return relative.replace(/-[0-9a-f]{8}((?:\.min)?\.[a-z0-9]+)$/, "$1") || "index.html";
}

function kb(bytes) {
    return (bytes / 1024).toFixed(1);
}

/** Bytes per file name (raw, gzip), summed over requests. */
function byFile(files) {
    const map = new Map();
    for (const { file, raw, gzip } of files) {
        const entry = map.get(file) || { raw: 0, gzip: 0 };
        entry.raw += raw;
        entry.gzip += gzip;
        map.set(file, entry);
    }
    return map;
}

/** The files of a page, heaviest (gzip) first, as "name raw/gzip KB". */
function heaviest(measured, count = 8) {
    return [...byFile(measured.files)]
        .sort((p, q) => q[1].gzip - p[1].gzip)
        .slice(0, count)
        .map(([file, { raw, gzip }]) => `${file} ${kb(raw)}/${kb(gzip)}`)
        .join(", ");
}

function list(urls) {
    return urls.length ? urls.join(", ") : "none";
}

/**
 * Every page to weigh, in every edition: SUMMARY.md's chapters (introduction and appendices
 * included), the 404 page, and print.html, each with its address on our server (`path`, under
 * LANG/ for a translated edition), the stock page it is weighed against (`stock`) and the status
 * both are served with. The 404 page is what a missing address answers with, on both servers; a
 * static host answers every missing address with the root's (English) 404.html, so an edition's
 * own 404.html is weighed at its address.
 */
function pages() {
    return ALL_EDITIONS.flatMap((edition) => {
        const at = (html) => (edition ? `${edition}/${html}` : html);
        return [
            ...chapters().map((c) => ({ html: at(c.html), path: at(c.html), stock: c.html, status: 200 })),
            edition
                ? { html: at("404.html"), path: at("404.html"), stock: "no-such-page.html", status: 200, stockStatus: 404 }
                : { html: "404.html", path: "no-such-page.html", stock: "no-such-page.html", status: 404 },
            { html: at("print.html"), path: at("print.html"), stock: "print.html", status: 200 },
        ];
    });
}

test("every page of every edition weighs at most half of stock mdBook's same page, raw and gzip", { timeout: 40 * 60_000 }, async (t) => {
    const rows = [];
    for (const { html, path, stock, status, stockStatus = status } of pages()) {
        const ours = await weigh(new URL(path, BOOK_URL).href, status);
        const base = await weigh(new URL(stock, baseline.url).href, stockStatus);
        rows.push({ html, ours, base, ratioRaw: ours.raw / base.raw, ratioGzip: ours.gzip / base.gzip });
    }

    const header = "page | ours raw / gzip (KB) | stock raw / gzip (KB) | ratio raw / gzip";
    const table = [header, header.replace(/[^|]/g, "-")];
    for (const r of rows) {
        table.push(
            `${r.html} | ${kb(r.ours.raw)} / ${kb(r.ours.gzip)} | ${kb(r.base.raw)} / ${kb(r.base.gzip)} | ` +
                `${r.ratioRaw.toFixed(3)} / ${r.ratioGzip.toFixed(3)}`,
        );
    }
    for (const line of table) {
        t.diagnostic(line);
    }
    const first = rows[0];
    t.diagnostic(`ours, heaviest files of ${first.html} (raw/gzip KB): ${heaviest(first.ours)}`);
    t.diagnostic(`stock, heaviest files of ${first.html} (raw/gzip KB): ${heaviest(first.base)}`);
    const elsewhere = new Set(rows.flatMap((r) => [...r.ours.elsewhere, ...r.base.elsewhere]));
    const failed = new Set(rows.flatMap((r) => [...r.ours.failed, ...r.base.failed]));
    t.diagnostic(`not counted, answered by other servers: ${list([...elsewhere])}`);
    t.diagnostic(`not counted, failed or refused: ${list([...failed])}`);

    const over = rows
        .filter((r) => r.ratioRaw > BUDGET || r.ratioGzip > BUDGET)
        .map(
            (r) =>
                `${r.html}: ${kb(r.ours.raw)} / ${kb(r.ours.gzip)} KB against stock's ${kb(r.base.raw)} / ` +
                `${kb(r.base.gzip)} KB (raw ${r.ratioRaw.toFixed(3)}, gzip ${r.ratioGzip.toFixed(3)}; at most ` +
                `${BUDGET}); heaviest: ${heaviest(r.ours, 5)}`,
        );
    assert.deepEqual(
        over,
        [],
        `pages over ${BUDGET} of stock mdBook ${STOCK_MDBOOK}'s weight:\n${over.join("\n")}\n\n${table.join("\n")}`,
    );
});
