// Runs in headless Chromium (see draw.rs): draws every job of #jobs with mermaid.js, in the
// theme each job names and in the book's font, and writes the results into #result as JSON,
// which Chromium's --dump-dom prints.
//
// Each drawing is made ready to sit beside others on one page (print.html holds them all):
// its root keeps the id PLACEHOLDER, every other id becomes PLACEHOLDER-n (n counts up from 0
// in document order, so a drawing does not depend on what was drawn before it), and every
// reference to an id (url(#…), href="#…", aria-labelledby, the <style> rules) follows.
// mdbook-diagrams replaces PLACEHOLDER with an id of its own for each place a diagram appears.
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
