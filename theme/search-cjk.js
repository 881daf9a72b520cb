// Search in an edition written in Chinese (or Japanese, or Korean), whose text has no spaces
// between words. tools/mdbook-finish indexes such an edition in overlapping pairs of characters
// (its search_cjk.rs says why and how) and, on its pages only, lists this file among mdBook's
// search scripts, right after elasticlunr, for theme/search-loader.js to load. It gives
// elasticlunr the index's own tokenizer, so that a query is cut as the text was (唤醒器: 唤醒, 醒器),
// and registers the two pipeline stages the index names, English's trimmer and stemmer made to
// let CJK tokens through (elasticlunr's trimmer knows only ASCII: it trims 唤醒 to nothing).
// A query of one character also gets the pairs of the index that end with it (see below).
// The rules are search_cjk.rs's; tests/browser/search-cjk-cases.json is checked against both.
//
// mdBook's searcher.js cuts each result's teaser at spaces, which Chinese text has few of: a
// "word" is a whole sentence or more, and nothing in it is highlighted. Here each teaser is made
// again, as its result is shown: about a hundred characters of the section's text from the start
// of the sentence that holds most of the query's pairs, the matches in <em>.
(function () {
    "use strict";
    const elasticlunr = window.elasticlunr;
    if (!elasticlunr) {
        return;
    }
    // The same characters as search_cjk.rs's RANGES (a unit test there compares them).
    const CJK = /[\u2E80-\u2FDF\u3005\u3007\u3021-\u3029\u3038-\u303B\u3040-\u30FF\u3130-\u318F\u31F0-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF\u{20000}-\u{323AF}]/u;
    // Rust's char::is_whitespace is Unicode's White_Space.
    const SEPARATOR = /[\p{White_Space}-]/u;
    // mdBook's longest token, in UTF-8 bytes.
    const MAX_TOKEN = 80;
    const utf8 = new TextEncoder();

    function tokenize(text) {
        const tokens = [];
        for (const word of String(text).split(SEPARATOR)) {
            let other = "";
            let run = [];
            const pushOther = () => {
                if (other !== "" && utf8.encode(other).length <= MAX_TOKEN) {
                    tokens.push(other);
                }
                other = "";
            };
            const pushRun = () => {
                if (run.length === 1) {
                    tokens.push(run[0]);
                }
                for (let i = 0; i + 1 < run.length; i++) {
                    tokens.push(run[i] + run[i + 1]);
                }
                run = [];
            };
            for (const c of word.toLowerCase()) {
                if (CJK.test(c)) {
                    pushOther();
                    run.push(c);
                } else {
                    pushRun();
                    other += c;
                }
            }
            pushOther();
            pushRun();
        }
        return tokens;
    }

    function isCjkToken(token) {
        const first = token.codePointAt(0);
        return first !== undefined && CJK.test(String.fromCodePoint(first));
    }

    // elasticlunr's tokenizer also takes a list, and nothing.
    const english = elasticlunr.tokenizer;
    function tokenizer(input) {
        if (input === null || input === undefined) {
            return [];
        }
        if (Array.isArray(input)) {
            return input.filter((x) => x !== null && x !== undefined).flatMap((x) => tokenize(x));
        }
        return tokenize(input);
    }
    elasticlunr.tokenizer = Object.assign(tokenizer, english);
    elasticlunr.Pipeline.registerFunction(
        (token) => (isCjkToken(token) ? token : elasticlunr.trimmer(token)),
        "trimmer-cjk",
    );
    elasticlunr.Pipeline.registerFunction(
        (token) => (isCjkToken(token) ? token : elasticlunr.stemmer(token)),
        "stemmer-cjk",
    );

    // The teasers. searcher.js asks the index for the results, then adds an <li> for each of the
    // first ones, in order, with a `.teaser` inside; the last search's results are kept here.
    const WIDTH = 100;
    const CONTEXT = 24;
    const SENTENCE_END = /[。！？；：\n]|\. /g;
    const WORD = /[A-Za-z0-9_]/;
    let last = { query: "", results: [] };
    const search = elasticlunr.Index.prototype.search;
    elasticlunr.Index.prototype.search = function (query, options) {
        const results = search.call(this, withPairsEndingIn(this, String(query)), options);
        last = { query: String(query), results };
        return results;
    };

    // A query of one CJK character (栈, 锁) is expanded by elasticlunr to the pairs it starts
    // (栈帧), not to those it ends (在栈, 互斥锁): those pairs of the index are added to the query
    // here. They are found in the index's tree of tokens, whose first level holds every first
    // character; a pair is the only token that starts with a CJK character and is two long.
    function withPairsEndingIn(index, query) {
        const added = [];
        for (const token of tokenize(query)) {
            if (!isCjkToken(token) || Array.from(token).length !== 1) {
                continue;
            }
            const pairs = new Set();
            for (const field of Object.values(index.index)) {
                for (const [first, next] of Object.entries(field.root)) {
                    if (isCjkToken(first) && next[token] && next[token].df > 0) {
                        pairs.add(first + token);
                    }
                }
            }
            added.push(...pairs);
        }
        return added.length === 0 ? query : `${query} ${added.join(" ")}`;
    }

    // `text` lower-cased one character at a time, each keeping its length, so that an index
    // into one is an index into the other.
    function lowered(text) {
        return Array.from(text, (c) => {
            const lower = c.toLowerCase();
            return lower.length === c.length ? lower : c;
        }).join("");
    }

    // Where the query's tokens are in `text`: CJK pairs and characters wherever they are, other
    // words (stemmed, as searcher.js matches them) at the start of a word, to the word's end.
    function matches(text, query) {
        const lower = lowered(text);
        const found = [];
        for (const token of tokenize(query)) {
            const cjk = isCjkToken(token);
            const needle = cjk ? token : elasticlunr.stemmer(elasticlunr.trimmer(token));
            if (needle === "") {
                continue;
            }
            for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, at + 1)) {
                let end = at + needle.length;
                if (!cjk) {
                    if (at > 0 && WORD.test(lower[at - 1])) {
                        continue;
                    }
                    while (end < lower.length && WORD.test(lower[end])) {
                        end++;
                    }
                }
                found.push([at, end]);
            }
        }
        found.sort((a, b) => a[0] - b[0]);
        const merged = [];
        for (const [start, end] of found) {
            const previous = merged[merged.length - 1];
            if (previous && start <= previous[1]) {
                previous[1] = Math.max(previous[1], end);
            } else {
                merged.push([start, end]);
            }
        }
        return merged;
    }

    const escapeHTML = (s) => s.replace(/[&<>'"]/g, (c) => `&#${c.charCodeAt(0)};`);
    const isLowSurrogate = (text, at) => /[\uDC00-\uDFFF]/.test(text.charAt(at));

    // The window of WIDTH characters of `text` that holds most of the matched characters, begun
    // at the start of its sentence when that is near; without matches, the text's start.
    function teaser(text, query) {
        const found = matches(text, query);
        let start = 0;
        let most = -1;
        for (const [from] of found) {
            const held = found.reduce(
                (sum, [s, e]) => sum + Math.max(0, Math.min(e, from + WIDTH) - Math.max(s, from)),
                0,
            );
            if (held > most) {
                most = held;
                start = from;
            }
        }
        if (start > 0) {
            const first = start;
            const before = Math.max(0, start - CONTEXT);
            start = before;
            for (const end of text.slice(before, first).matchAll(SENTENCE_END)) {
                start = before + end.index + end[0].length;
            }
            // Not in the middle of an English word, nor of a character of two UTF-16 units.
            while (start < first && WORD.test(text.charAt(start - 1)) && WORD.test(text.charAt(start))) {
                start++;
            }
            // Nor with what closes what came before (a listing's `}`, a full stop, a quote).
            while (/[\s\p{Pe}\p{Pf}\p{Po}]/u.test(text.charAt(start)) && start < first) {
                start++;
            }
            if (isLowSurrogate(text, start)) {
                start++;
            }
        }
        let end = Math.min(text.length, start + WIDTH);
        while (end < text.length && WORD.test(text.charAt(end - 1)) && WORD.test(text.charAt(end))
            && end > start + WIDTH / 2) {
            end--;
        }
        if (isLowSurrogate(text, end)) {
            end++;
        }
        let html = "";
        let at = start;
        for (const [s, e] of found) {
            const from = Math.max(s, start);
            const to = Math.min(e, end);
            if (from >= to) {
                continue;
            }
            html += escapeHTML(text.slice(at, from)) + "<em>" + escapeHTML(text.slice(from, to)) + "</em>";
            at = to;
        }
        return html + escapeHTML(text.slice(at, end));
    }

    const list = document.getElementById("mdbook-searchresults");
    if (!list) {
        return;
    }
    // Runs once searcher.js has added the results (a mutation observer's callback comes before
    // the page is drawn again): the childList of the list only, so the teasers rewritten here do
    // not call it again.
    new MutationObserver(() => {
        const items = list.querySelectorAll(":scope > li");
        items.forEach((item, number) => {
            const shown = item.querySelector(".teaser");
            const result = last.results[number];
            if (shown && result && result.doc && typeof result.doc.body === "string") {
                shown.innerHTML = teaser(result.doc.body, last.query);
            }
        });
    }).observe(list, { childList: true });
})();
