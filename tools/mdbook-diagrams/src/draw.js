// Runs in headless Chromium (see draw.rs): draws every job of #jobs with mermaid.js, in the
// theme each job names and in the book's font, and writes the results into #result as JSON,
// which Chromium's --dump-dom prints.
//
// Each drawing is made ready to sit beside others on one page (print.html holds them all):
// its root keeps the id PLACEHOLDER, every other id becomes PLACEHOLDER-n (n counts up from 0
// in document order, so a drawing does not depend on what was drawn before it), and every
// reference to an id (url(#…), href="#…", aria-labelledby, the <style> rules) follows.
// mdbook-diagrams replaces PLACEHOLDER with an id of its own for each place a diagram appears.
// It loses the <symbol>s nothing uses (dropUnusedSymbols), its style sheet the rules that match
// nothing in it (dropUnusedRules), and the coordinates of hand-drawn shapes are rounded to a
// hundredth of a pixel (roundPathData).
(async function () {
    "use strict";
    const PLACEHOLDER = "MERMAIDID";
    const jobs = JSON.parse(document.getElementById("jobs").textContent);
    const results = [];

    function renameIds(svg) {
        const renamed = new Map();
        for (const element of svg.querySelectorAll("[id]")) {
            renamed.set(element.id, `${PLACEHOLDER}-${renamed.size}`);
        }
        const rename = (id) => renamed.get(id) ?? id;
        const inUrl = (text) => text.replace(/url\(#([^)]+)\)/g, (_, id) => `url(#${rename(id)})`);
        for (const element of [svg, ...svg.querySelectorAll("*")]) {
            for (const attribute of Array.from(element.attributes)) {
                let value = attribute.value;
                if (attribute.name === "id" && element !== svg) {
                    value = rename(value);
                } else if (/^(xlink:)?href$/.test(attribute.name) && value.startsWith("#")) {
                    value = "#" + rename(value.slice(1));
                } else if (/^aria-(labelledby|describedby)$/.test(attribute.name)) {
                    value = value.split(/\s+/).map(rename).join(" ");
                } else {
                    value = inUrl(value);
                }
                if (value !== attribute.value) {
                    element.setAttribute(attribute.name, value);
                }
            }
        }
        for (const style of svg.querySelectorAll("style")) {
            style.textContent = inUrl(style.textContent).replace(
                /#([A-Za-z_][\w-]*)/g,
                (whole, id) => (renamed.has(id) ? "#" + renamed.get(id) : whole),
            );
        }
    }

    // Shapes drawn in mermaid's hand-drawn style (state diagrams' start and end circles) carry
    // coordinates to 17 digits, half the size of a drawing; a hundredth of a pixel is plenty.
    function roundPathData(svg) {
        // Only numbers that stand alone: in "1.5.5" (two numbers) nothing is touched.
        const precise = /(?<![\d.])-?\d+\.\d{3,}(e-?\d+)?(?![\d.])/g;
        const round = (number) => String(Math.round(Number(number) * 100) / 100);
        for (const element of svg.querySelectorAll("[d], [points]")) {
            for (const name of ["d", "points"]) {
                const value = element.getAttribute(name);
                if (value !== null) {
                    element.setAttribute(name, value.replace(precise, round));
                }
            }
        }
    }

    // mermaid's sequence diagrams carry <symbol>s for the actor shapes they may draw (a computer,
    // a database, a clock: 13 KB of path data), whether used or not. A <symbol> is never drawn
    // itself, only by a <use> (or a url()) that names it: one that nothing in the drawing names
    // goes, and so does a <defs> left empty (it draws nothing either).
    function dropUnusedSymbols(svg) {
        const references = [];
        for (const element of [svg, ...svg.querySelectorAll("*")]) {
            for (const attribute of Array.from(element.attributes)) {
                if (attribute.name !== "id") references.push(attribute.value);
            }
        }
        for (const style of svg.querySelectorAll("style")) references.push(style.textContent);
        const text = references.join("\n");
        const escape = (id) => id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        for (const symbol of svg.querySelectorAll("symbol[id]")) {
            if (!new RegExp(`#${escape(symbol.id)}(?![\\w-])`).test(text)) {
                symbol.remove();
            }
        }
        for (const defs of svg.querySelectorAll("defs")) {
            if (defs.childNodes.length === 0) defs.remove();
        }
    }

    // The top-level rules of a style sheet as written: [prelude, block] (the block with its
    // braces; for a statement such as `@import …;` the prelude holds all and the block is "").
    function topLevelRules(css) {
        const rules = [];
        let start = 0, depth = 0, quote = null, blockStart = -1;
        for (let i = 0; i < css.length; i++) {
            const c = css[i];
            if (quote) {
                if (c === "\\") i++;
                else if (c === quote) quote = null;
            } else if (c === '"' || c === "'") {
                quote = c;
            } else if (c === "/" && css[i + 1] === "*") {
                const end = css.indexOf("*/", i + 2);
                if (end < 0) throw new Error("a comment in a style sheet does not end");
                i = end + 1;
            } else if (c === "{") {
                if (depth++ === 0) blockStart = i;
            } else if (c === "}") {
                if (--depth < 0) throw new Error("a `}` too many in a style sheet");
                if (depth === 0) {
                    rules.push([css.slice(start, blockStart), css.slice(blockStart, i + 1)]);
                    start = i + 1;
                }
            } else if (c === ";" && depth === 0) {
                rules.push([css.slice(start, i + 1), ""]);
                start = i + 1;
            }
        }
        if (depth !== 0 || quote) throw new Error("a rule in a style sheet does not end");
        if (css.slice(start).trim() !== "") rules.push([css.slice(start), ""]);
        return rules;
    }

    // `text` cut at its commas outside parentheses and brackets.
    function splitSelectors(text) {
        const parts = [];
        let depth = 0, start = 0;
        for (let i = 0; i < text.length; i++) {
            if ("([".includes(text[i])) depth++;
            else if (")]".includes(text[i])) depth--;
            else if (text[i] === "," && depth === 0) {
                parts.push(text.slice(start, i));
                start = i + 1;
            }
        }
        parts.push(text.slice(start));
        return parts;
    }

    // Whether `selector` can never match in `svg`: nothing in it matches the selector even with
    // its pseudo-classes and pseudo-elements taken away (a state such as :hover can come later,
    // what the rest of the selector names cannot: the drawing is finished markup that no script
    // changes). A selector with a functional pseudo-class, or one the browser cannot read, may
    // match.
    function neverMatches(selector, svg) {
        const broad = selector.replace(/::?[A-Za-z-]+(?![\w(-])/g, "").trim();
        if (broad === "" || broad.includes(":") || /[>+~]$/.test(broad)) {
            return false;
        }
        try {
            return !svg.matches(broad) && svg.querySelector(broad) === null;
        } catch {
            return false;
        }
    }

    // mermaid writes the same style sheet into every drawing of a kind of diagram, with rules for
    // everything that kind can draw: rules for what this drawing does not hold are a third of
    // it. Each selector that never matches is taken out of its rule and a rule left without one
    // goes; what stays keeps its text, order and specificity, so what matched before matches the
    // same rules now. At-rules stay as they are.
    function dropUnusedRules(svg) {
        for (const style of svg.querySelectorAll("style")) {
            let kept = "";
            for (const [prelude, block] of topLevelRules(style.textContent)) {
                if (prelude.trim().startsWith("@") || block === "") {
                    kept += prelude + block;
                    continue;
                }
                const selectors = splitSelectors(prelude).filter((s) => !neverMatches(s, svg));
                if (selectors.length > 0) {
                    kept += selectors.join(",") + block;
                }
            }
            style.textContent = kept;
        }
    }

    try {
        // mermaid sizes every box by measuring its label: the font must be there first.
        await Promise.all(["400", "700"].map((weight) => document.fonts.load(`${weight} 16px "Open Sans"`)));
        if (!document.fonts.check('16px "Open Sans"')) {
            throw new Error("the book's font (Open Sans) did not load");
        }
        for (const job of jobs) {
            window.mermaid.initialize({
                startOnLoad: false,
                theme: job.theme,
                themeVariables: { fontFamily: '"Open Sans", sans-serif' },
            });
            try {
                const { svg } = await window.mermaid.render(PLACEHOLDER, job.source);
                const holder = document.createElement("div");
                holder.innerHTML = svg;
                const root = holder.firstElementChild;
                renameIds(root);
                roundPathData(root);
                dropUnusedSymbols(root);
                dropUnusedRules(root);
                const width = root.viewBox.baseVal.width;
                root.removeAttribute("width");
                root.setAttribute("style", `--diagram-width: ${width}px`);
                results.push({ key: job.key, svg: root.outerHTML });
            } catch (error) {
                results.push({ key: job.key, error: String((error && (error.message || error.str)) || error) });
            }
        }
        document.getElementById("result").textContent = JSON.stringify({ done: true, results });
    } catch (error) {
        document.getElementById("result").textContent = JSON.stringify({ done: false, error: String(error) });
    }
})();
