// Loads mermaid's 2.67 MB script only on pages that hold a diagram, then draws the diagrams in
// the colours of the current theme. mdbook-mermaid turns ```mermaid blocks into <pre class="mermaid">.
(function () {
    "use strict";
    const diagrams = Array.from(document.querySelectorAll("pre.mermaid"));
    if (diagrams.length === 0) {
        return;
    }
    const sources = diagrams.map((d) => d.textContent);
    const darkThemes = ["ayu", "navy", "coal"];
    const isDark = () => darkThemes.some((t) => document.documentElement.classList.contains(t));
    let drawnDark = isDark();

    function draw() {
        drawnDark = isDark();
        diagrams.forEach((d, i) => {
            d.removeAttribute("data-processed");
            d.textContent = sources[i];
        });
        window.mermaid.initialize({ startOnLoad: false, theme: drawnDark ? "dark" : "default" });
        // A diagram mermaid cannot parse is reported by name, not as an anonymous rejection.
        window.mermaid.run({ nodes: diagrams }).catch(function (error) {
            console.error("mermaid could not draw a diagram: " + (error.message || error.str || error));
        });
    }

    const script = document.createElement("script");
    // `path_to_root` is defined by mdBook on every page.
    script.src = path_to_root + "assets/mermaid.min.js";
    script.onload = function () {
        draw();
        // Redraw when the reader switches between a light and a dark theme.
        new MutationObserver(function () {
            if (isDark() !== drawnDark) {
                draw();
            }
        }).observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
    };
    document.head.appendChild(script);
})();
