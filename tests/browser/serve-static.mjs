// A tiny static file server for the built book, on 127.0.0.1 only, under the same path as the
// hosted site (book.toml's site-url), so that 404.html's links resolve as they do there, and with
// the same caching.
//
//   node serve-static.mjs BOOK_HTML_DIR PORT [SITE_PATH] [--gzip]
//
// With --gzip it compresses text (HTML, CSS, JavaScript, JSON, SVG) for a client that accepts it,
// as GitHub Pages does: `cargo xtask lighthouse` measures pages so. The browser suite leaves it off.
// It stops by itself when the process that started it (cargo xtask) is gone.
import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, resolve, sep } from "node:path";
import { createGzip } from "node:zlib";

const options = process.argv.slice(2).filter((arg) => arg.startsWith("--"));
const [dir, portText, sitePath = "/"] = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
const unknown = options.filter((option) => option !== "--gzip");
if (!dir || !portText || unknown.length > 0) {
    console.error("usage: node serve-static.mjs BOOK_HTML_DIR PORT [SITE_PATH] [--gzip]");
    process.exit(2);
}
const gzip = options.includes("--gzip");
const root = resolve(dir);
const prefix = sitePath.endsWith("/") ? sitePath : sitePath + "/";
const types = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
};

function fileFor(urlPath) {
    if (!urlPath.startsWith(prefix)) {
        return null;
    }
    let relative;
    try {
        relative = decodeURIComponent(urlPath.slice(prefix.length));
    } catch {
        return null;
    }
    const path = resolve(join(root, relative));
    if (path !== root && !path.startsWith(root + sep)) {
        return null;
    }
    try {
        const stat = statSync(path);
        if (stat.isDirectory()) {
            return fileFor(urlPath.replace(/\/?$/, "/index.html"));
        }
        return stat.isFile() ? path : null;
    } catch {
        return null;
    }
}

const server = createServer((request, response) => {
    const urlPath = new URL(request.url, "http://localhost").pathname;
    if (urlPath === "/" && prefix !== "/") {
        response.writeHead(302, { Location: prefix });
        response.end();
        return;
    }
    const path = fileFor(urlPath);
    const status = path ? 200 : 404;
    const body = path || join(root, "404.html");
    const type = types[extname(body)] || "application/octet-stream";
    const compress =
        gzip && /^(text\/|image\/svg|application\/json)/.test(type) && /\bgzip\b/.test(request.headers["accept-encoding"] || "");
    response.writeHead(status, {
        "Content-Type": type,
        // As GitHub Pages sends: a page loads each file once, even one it names twice.
        "Cache-Control": "max-age=600",
        ...(compress ? { "Content-Encoding": "gzip", Vary: "Accept-Encoding" } : {}),
    });
    const file = createReadStream(body).on("error", () => response.end());
    (compress ? file.pipe(createGzip({ level: 9 })) : file).pipe(response);
});

server.listen(Number(portText), "127.0.0.1", () => {
    console.log(`serving ${root} at http://127.0.0.1:${portText}${prefix}`);
});

const parent = process.ppid;
setInterval(() => {
    if (process.ppid !== parent) {
        process.exit(0);
    }
}, 1000).unref();
