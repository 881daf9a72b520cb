// Page weight against a baseline: a chapter page of this book must not cost a first-time reader
// more bytes than the same chapter built by stock mdBook with a plain book.toml. The baseline is
// built here, in the same run, from the same src/, so the two differ only by this book's
// configuration, preprocessors and theme additions.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { BOOK_URL, REPO_ROOT, chapters, launch, openPage, readRepoFile } from "./support.mjs";

/** The mdBook the book is built with (ci/tools.toml pins it); the baseline is that mdBook, stock. */
const STOCK_MDBOOK = readRepoFile("ci/tools.toml").match(/^mdbook\s*=\s*"([^"]+)"/m)?.[1];
if (!STOCK_MDBOOK) {
    throw new Error("ci/tools.toml pins no mdbook version");
}
const SITE_PATH = new URL(BOOK_URL).pathname;

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

/** How many ```name fenced blocks a chapter's Markdown has. */
function fences(chapter, name) {
    return (readRepoFile(`src/${chapter.md}`).match(new RegExp("^\\s*```" + name + "\\s*$", "gm")) || []).length;
}

/**
 * Loads `address` in a fresh context (empty cache) and waits for the network to be idle. Returns
 * every response from the book's own server, with the bytes it took (headers + body as received),
 * and, apart, the requests to anywhere else (the playground's crate list, which the test
 * environment answers from the local runner for our book and refuses for the baseline; the hosted
 * site sends both books to the same public playground, so they are left out of the sum).
 */
async function weigh(address) {
    const { context, page } = await openPage(browser);
    const origin = new URL(address).origin;
    const finished = [];
    const requested = [];
    const failed = [];
    page.on("request", (r) => requested.push(r.url()));
    page.on("requestfinished", (r) => finished.push(r));
    page.on("requestfailed", (r) => failed.push(`${r.url()} (${r.failure()?.errorText})`));
    const response = await page.goto(address, { waitUntil: "networkidle" });
    assert.equal(response?.status(), 200, `${address} did not load`);
    const files = [];
    const elsewhere = [];
    for (const request of finished) {
        const at = new URL(request.url());
        if (at.origin !== origin) {
            elsewhere.push(request.url());
            continue;
        }
        const sizes = await request.sizes();
        files.push({
            file: fileName(at.pathname),
            bytes: sizes.responseHeadersSize + sizes.responseBodySize,
        });
    }
    await context.close();
    return { files, elsewhere, failed, requested, total: files.reduce((sum, f) => sum + f.bytes, 0) };
}

/** A file's path in the book without mdBook's content hash: "css/general.css", "book.js". */
function fileName(pathname) {
    const relative = pathname.startsWith(SITE_PATH) ? pathname.slice(SITE_PATH.length) : pathname;
    return relative.replace(/-[0-9a-f]{8}((?:\.min)?\.[a-z0-9]+)$/, "$1") || "index.html";
}

/** Bytes per file name, with how many requests it took. */
function byFile(files) {
    const map = new Map();
    for (const { file, bytes } of files) {
        const entry = map.get(file) || { bytes: 0, requests: 0 };
        entry.bytes += bytes;
        entry.requests += 1;
        map.set(file, entry);
    }
    return map;
}

function kb(bytes) {
    return `${(bytes / 1024).toFixed(1)} KB`;
}

/** The per-file difference, largest first, as lines of text. */
function breakdown(ours, base) {
    const a = byFile(ours.files);
    const b = byFile(base.files);
    const rows = [];
    for (const file of new Set([...a.keys(), ...b.keys()])) {
        const x = a.get(file) || { bytes: 0, requests: 0 };
        const y = b.get(file) || { bytes: 0, requests: 0 };
        if (x.bytes !== y.bytes || x.requests !== y.requests) {
            rows.push({ file, ours: x, base: y, diff: x.bytes - y.bytes });
        }
    }
    rows.sort((p, q) => Math.abs(q.diff) - Math.abs(p.diff));
    const sign = (n) => (n > 0 ? `+${n}` : String(n));
    return rows.map(
        (r) =>
            `${sign(r.diff).padStart(9)} B  ${r.file}  (ours ${r.ours.bytes} B in ${r.ours.requests} request(s), ` +
            `baseline ${r.base.bytes} B in ${r.base.requests})`,
    );
}

function list(urls) {
    return urls.length ? urls.join(", ") : "none";
}

function heaviest(measured) {
    return [...byFile(measured.files)]
        .sort((p, q) => q[1].bytes - p[1].bytes)
        .slice(0, 6)
        .map(([file, { bytes }]) => `${file} ${kb(bytes)}`)
        .join(", ");
}

test("a chapter without diagrams weighs no more than stock mdBook's, and does not load mermaid", async (t) => {
    // The first numbered chapter (one under a "Part" heading, so it has code and Run buttons)
    // with neither a ```mermaid nor a ```bob block.
    const chapter = chapters().find((c) => c.part !== "" && fences(c, "mermaid") === 0 && fences(c, "bob") === 0);
    assert.ok(chapter, "every chapter of SUMMARY.md has a diagram: there is no page to weigh");

    const ours = await weigh(new URL(chapter.html, BOOK_URL).href);
    const base = await weigh(new URL(chapter.html, baseline.url).href);
    const lines = [
        `page: ${chapter.html} (${chapter.title})`,
        `ours: ${ours.total} B (${kb(ours.total)}) in ${ours.files.length} requests`,
        `stock mdBook ${STOCK_MDBOOK}: ${base.total} B (${kb(base.total)}) in ${base.files.length} requests`,
        `difference: ${ours.total - base.total} B; per file, largest first:`,
        ...breakdown(ours, base).map((line) => "  " + line),
        `ours, heaviest files: ${heaviest(ours)}`,
        `not counted, answered by other servers: ours ${list(ours.elsewhere)}; baseline ${list(base.elsewhere)}`,
        `not counted, failed or refused: ours ${list(ours.failed)}; baseline ${list(base.failed)}`,
    ];
    for (const line of lines) {
        t.diagnostic(line);
    }

    const mermaid = ours.requested.filter((u) => /\/mermaid(?!-loader)[^/]*\.js(\?|$)/.test(new URL(u).pathname));
    assert.deepEqual(mermaid, [], `${chapter.md} has no diagram but requested mermaid's script`);
    assert.ok(ours.total <= base.total, `the page is heavier than stock mdBook's:\n${lines.join("\n")}`);
});
