// `npm run sim [-- <scenario>... [--hosts N] [--slots N] [--slot-ms MS] [--out DIR] [--no-merge] [--keep]]`: runs scenarios on a
// simulated network of hosts (run as root), writes bench/results/sim-<name>.json
// and merges the figures into bench/results/latest.json as sim.<name>.*.
// Ctrl-C or SIGTERM stops every process and removes every namespace and link.
import "@ocp/node/polyfill";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
// biome-ignore lint/correctness/useImportExtensions: bench helpers are .mjs modules
import { runtimeWarning } from "../bench/lib/runtime.mjs";
import { runScenario } from "./harness/scenario.js";
import { DEFAULT_SCENARIOS, SCENARIOS } from "./scenarios.js";

const here = dirname(fileURLToPath(import.meta.url));

const USAGE = `usage: npm run sim [-- <scenario>... [--hosts N] [--slots N] [--slot-ms MS] [--out DIR] [--no-merge] [--keep]]
  scenarios: ${Object.keys(SCENARIOS).join(", ")} (default: ${DEFAULT_SCENARIOS.join(", ")}); run as root`;

/** @type {ReturnType<typeof parseArgs>} */
let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      hosts: { type: "string" },
      slots: { type: "string" },
      "slot-ms": { type: "string" },
      "no-merge": { type: "boolean", default: false },
      out: { type: "string" },
      // Keep each run's directory (configs, keys, databases, node logs) for a look afterwards.
      keep: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
} catch (e) {
  // An unknown option or a missing value: say which, and how it is used.
  console.error(`sim: ${e.message.replace(/\. To specify.*$/s, "")}\n${USAGE}`);
  process.exit(2);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

const resultsDir = values.out ?? join(here, "..", "bench", "results");
const names = positionals.length ? positionals : DEFAULT_SCENARIOS;
for (const name of names) {
  if (!SCENARIOS[name]) {
    console.error(`sim: unknown scenario ${name}; one of ${Object.keys(SCENARIOS).join(", ")}`);
    process.exit(2);
  }
}
const intArg = (v, what) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`sim: --${what} must be a positive integer`);
    process.exit(2);
  }
  return n;
};
const hosts = intArg(values.hosts, "hosts");
const slots = intArg(values.slots, "slots");
const slotMs = intArg(values["slot-ms"], "slot-ms");
if (slotMs !== undefined && slotMs % 1000 !== 0) {
  console.error("sim: --slot-ms must be whole seconds (anvil mines by the second)");
  process.exit(2);
}

const controller = new AbortController();
let cluster;
let stopping = false;
const onSignal = (sig) => {
  if (stopping) return;
  stopping = true;
  console.error(`sim: ${sig}: stopping`);
  controller.abort();
  // Stop at once (processes by pid, namespaces, links); the run loop notices the abort.
  Promise.resolve(cluster?.stop())
    .then(() => {
      if (cluster && !values.keep) rmSync(cluster.opts.dir, { recursive: true, force: true });
    })
    .catch((e) => console.error(`sim: while stopping: ${e.message}`))
    .finally(() => process.exit(130));
};
process.on("SIGINT", () => onSignal("SIGINT"));
process.on("SIGTERM", () => onSignal("SIGTERM"));

const log = (msg) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
const warning = runtimeWarning("sim");
if (warning !== undefined) log(warning);
const all = {};
let failed = false;
for (const name of names) {
  if (controller.signal.aborted) break;
  const sc = {
    ...SCENARIOS[name],
    ...(hosts ? { hosts } : {}),
    ...(slots ? { slots } : {}),
    ...(slotMs ? { slotMs } : {}),
  };
  log(`scenario ${name}: ${sc.hosts} hosts x ${sc.keysPerNode} key, ${sc.slots} slots of ${sc.slotMs} ms`);
  const t0 = Date.now();
  try {
    const fig = await runScenario(sc, {
      log,
      signal: controller.signal,
      keep: values.keep,
      onCluster: (c) => {
        cluster = c;
      },
    });
    fig.wall_s = Math.round((Date.now() - t0) / 1000);
    fig.node = process.version;
    all[name] = fig;
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(
      join(resultsDir, `sim-${name}.json`),
      `${JSON.stringify({ scenario: name, date: new Date().toISOString(), ...fig }, null, 2)}\n`,
    );
    console.log(JSON.stringify({ scenario: name, ...fig }));
  } catch (e) {
    failed = true;
    log(`scenario ${name} failed: ${e.stack ?? e}`);
  }
}

if (!values["no-merge"] && Object.keys(all).length > 0) {
  const file = join(resultsDir, "latest.json");
  let latest = {};
  try {
    latest = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    latest = {};
  }
  for (const [name, fig] of Object.entries(all))
    for (const [k, v] of Object.entries(fig)) latest[`sim.${name}.${k}`] = v;
  const sorted = Object.fromEntries(Object.entries(latest).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(file, `${JSON.stringify(sorted, null, 2)}\n`);
  log(`merged into ${file}`);
}
process.exit(failed || controller.signal.aborted ? 1 : 0);
