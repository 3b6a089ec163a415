// `npm run bench`: runs every bench/<area>.js (each exports `run()` returning
// named figures) one after another and writes them, merged into one flat
// object, to bench/results/latest.json. Pass area names to run a subset.
// The sim's and the torture run's figures in that file are kept either way.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import "@ocp/node/polyfill";
// biome-ignore lint/correctness/useImportExtensions: bench helpers are .mjs modules
import { runtimeWarning } from "./lib/runtime.mjs";

// Ctrl-C or SIGTERM: exit through process.exit, so that the exit hooks run
// (each anvil a bench area started is killed by one; node processes of a
// bench cluster end when their stdin closes). Without a handler Node dies on
// the signal and runs no hook, leaving anvil behind.
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    console.error(`bench: ${sig}: stopping`);
    process.exit(130);
  });
}

const here = dirname(fileURLToPath(import.meta.url));
const areas = readdirSync(here)
  .filter((f) => f.endsWith(".js") && f !== "run.js")
  .sort();
const only = process.argv.slice(2);
const usage = `usage: npm run bench [-- <area>...]   areas: ${areas.map((f) => f.slice(0, -3)).join(", ")}`;
if (only.includes("--help") || only.includes("-h")) {
  console.log(usage);
  process.exit(0);
}
// A name that selects no area is a mistake, not a request for an empty run
// (which would still rewrite latest.json).
const unknown = only.filter((o) => o.startsWith("-") || !areas.some((f) => f.startsWith(o)));
if (unknown.length > 0) {
  console.error(`bench: no such area or option: ${unknown.join(", ")}\n${usage}`);
  process.exit(2);
}
const files = areas.filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)));

const outFile = join(here, "results", "latest.json");
// A partial run keeps the other areas' last figures; a full run keeps those
// that other commands write into the same file (`npm run sim`: sim.*, `npm
// run torture`: torture.*), which no area here produces.
const OTHER_COMMANDS = ["sim.", "torture."];
/** @type {Record<string, unknown>} */
let results = {};
try {
  results = JSON.parse(readFileSync(outFile, "utf8"));
} catch {
  results = {};
}
if (only.length === 0) {
  results = Object.fromEntries(
    Object.entries(results).filter(([k]) => OTHER_COMMANDS.some((prefix) => k.startsWith(prefix))),
  );
}

const warning = runtimeWarning("bench");
if (warning !== undefined) console.error(warning);
const started = Date.now();
for (const file of files) {
  const t0 = Date.now();
  console.log(`bench: ${file} …`);
  const mod = await import(pathToFileURL(join(here, file)).href);
  const figures = await mod.run();
  for (const [k, v] of Object.entries(figures)) {
    results[k] = v;
    console.log(`  ${k} = ${v}`);
  }
  console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

results["bench.meta.run_seconds"] = Math.round((Date.now() - started) / 1000);
results["bench.meta.node"] = process.version;
results["bench.meta.date"] = new Date().toISOString();
mkdirSync(dirname(outFile), { recursive: true });
const sorted = Object.fromEntries(Object.entries(results).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync(outFile, `${JSON.stringify(sorted, null, 2)}\n`);
console.log(`bench: wrote ${outFile}`);
process.exit(0);
