// What every browser test shares: where the book is, Chromium, pages that record console errors
// and refuse (and record) any request leaving this machine, and the table of contents.
import { existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { chromium } from "playwright-core";

function required(name) {
    const value = process.env[name];
    if (!value) {
        throw new Error(`${name} is not set: run these tests with \`cargo xtask test\` (see README.md)`);
    }
    return value;
}

/** The book's address, ending in "/", e.g. http://127.0.0.1:4321/futures-from-the-ground-up/. */
export const BOOK_URL = required("BOOK_URL");
/** The built book on disk (book/html). */
export const BOOK_HTML = required("BOOK_HTML");
export const REPO_ROOT = required("REPO_ROOT");
export const SCREENSHOTS = process.env.SCREENSHOTS || join(REPO_ROOT, "target/browser-screenshots");
/** The local runner, as `local-runner.json` in the served book tells the pages. */
export const RUNNER_URL = required("RUNNER_URL");

const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

export function launch() {
    // playwright-core starts the browser with a fresh temporary profile (user-data-dir) each time.
    return chromium.launch({
        executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
        headless: true,
        chromiumSandbox: false, // --no-sandbox: these tests run as root in CI containers
        args: [
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    });
}

/**
 * A new page in a fresh context. `problems.console` collects console errors and uncaught
 * exceptions, `problems.external` every request to another machine (each is aborted).
 */
export async function openPage(browser, options = {}) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
    const problems = { console: [], external: [] };
    await context.route("**/*", (route) => {
        const url = new URL(route.request().url());
        if (LOCAL_HOSTS.has(url.hostname)) {
            return route.continue();
        }
        problems.external.push(url.href);
        return route.abort("blockedbyclient");
    });
    const page = await context.newPage();
    page.on("console", (message) => {
        if (message.type() === "error") {
            problems.console.push(`${page.url()}: ${message.text()}`);
        }
    });
    page.on("pageerror", (error) => problems.console.push(`${page.url()}: uncaught ${error.message}`));
    return { context, page, problems };
}

export function url(htmlFile) {
    return new URL(htmlFile, BOOK_URL).href;
}

/** The address of `htmlFile` (relative to an edition's root) in `edition` ("" for English). */
export function editionUrl(edition, htmlFile) {
    return url(edition ? `${edition}/${htmlFile}` : htmlFile);
}

export async function screenshot(page, name) {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

/**
 * SUMMARY.md as xtask reads it with mdBook's own parser (xtask/src/summary.rs), from the JSON file
 * `cargo xtask test` writes and names in BOOK_SUMMARY: every entry in mdBook's order, each
 * { kind: "chapter" | "draft" | "part" | "separator", ... }; a chapter is
 * { title, md, html, number, depth, part, heading }, its number and part null outside the
 * numbered chapters (the introduction, the back matter after `---`).
 */
export function summaryEntries() {
    return JSON.parse(readFileSync(required("BOOK_SUMMARY"), "utf8")).entries;
}

/** The chapters with a page (drafts, `[Title]()`, are left out), in order. */
export function chapters() {
    const found = summaryEntries().filter((entry) => entry.kind === "chapter");
    for (const chapter of found) {
        if (!existsSync(join(BOOK_HTML, chapter.html))) {
            throw new Error(
                `SUMMARY.md links ${chapter.md} but the built book has no ${chapter.html}: the book is older ` +
                    "than SUMMARY.md, rebuild it",
            );
        }
    }
    return found;
}

/** The chapter whose file is `md`, or a failure saying it is not written yet. */
export function chapter(md, why) {
    const found = chapters().find((c) => c.md === md);
    if (!found) {
        throw new Error(`${md} is not in SUMMARY.md yet (or is still a draft), so ${why} cannot be tested`);
    }
    return found;
}

/**
 * The translated editions, one per po/LANG.po (the rule of xtask's i18n::languages), in name
 * order; the site holds each one's pages under LANG/ (xtask/src/site.rs), which is checked here.
 */
export const EDITIONS = (() => {
    const po = join(REPO_ROOT, "po");
    const found = existsSync(po)
        ? readdirSync(po)
              .filter((name) => name.endsWith(".po"))
              .map((name) => name.slice(0, -".po".length))
              .sort()
        : [];
    for (const edition of found) {
        if (!existsSync(join(BOOK_HTML, edition, "index.html"))) {
            throw new Error(`po/${edition}.po is an edition, but the site has no ${edition}/index.html: build the whole site (xtask/src/site.rs)`);
        }
    }
    return found;
})();

/** Every edition's code: the source (English, at the site's root, "") first, then each translation. */
export const ALL_EDITIONS = ["", ...EDITIONS];

/**
 * Every .html file of one edition of the site ("" for English, at its root; "zh-CN" for the pages
 * under zh-CN/), relative to the site ("index.html", "zh-CN/ch05-00-….html", …), so that url()
 * takes them; the English edition's list leaves out the translated editions' folders.
 */
export function htmlFiles(edition = "") {
    const files = [];
    const walk = (dir, top) => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
            const path = join(dir, entry.name);
            if (entry.isDirectory()) {
                if (!(top && EDITIONS.includes(entry.name))) {
                    walk(path, false);
                }
            } else if (entry.name.endsWith(".html")) {
                files.push(relative(BOOK_HTML, path));
            }
        }
    };
    walk(edition ? join(BOOK_HTML, edition) : BOOK_HTML, edition === "");
    return files.sort();
}

/** The .html files of every edition of the site, English first. */
export function siteHtmlFiles() {
    return ALL_EDITIONS.flatMap((edition) => htmlFiles(edition));
}

export function readBookFile(file) {
    return readFileSync(join(BOOK_HTML, file), "utf8");
}

export function readRepoFile(file) {
    return readFileSync(join(REPO_ROOT, file), "utf8");
}

/** The text of each ```name fenced block of a chapter's Markdown (a diagram's source, say). */
export function fenced(chapter, name) {
    const blocks = readRepoFile(`src/${chapter.md}`).matchAll(new RegExp("^\\s*```" + name + "\\s*\\n([\\s\\S]*?)^\\s*```", "gm"));
    return Array.from(blocks, (m) => m[1]);
}

/** Text as the checks compare it: no trailing spaces, no trailing blank lines. */
export function normalize(text) {
    return text
        .split("\n")
        .map((line) => line.trimEnd())
        .join("\n")
        .trimEnd();
}
