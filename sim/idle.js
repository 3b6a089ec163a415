// `node sim/idle.js [--hosts 2,4,6] [--seconds 20] [--profile DIR] [--config JSON]...`: idle CPU
// per node against the number of hosts. Each network is connected but has no
// blocks, so what a node spends is its timers: gossipsub heartbeats, status
// exchanges, sync ticks, L1 head polling. With --profile every node runs under
// --cpu-prof and the samples of the idle window are summed by function, so the
// cost is attributed rather than guessed.
import "@ocp/node/polyfill";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SimCluster } from "./harness/cluster.js";
import { cpuMs, gcCounts, gcInWindow } from "./harness/measure.js";
import { makeLinks } from "./harness/scenario.js";
import { SCENARIOS } from "./scenarios.js";

const { values } = parseArgs({
  options: {
    hosts: { type: "string", default: "2,4,6" },
    seconds: { type: "string", default: "20" },
    // Seconds from the last host's start to the window. V8's memory reducer runs
    // full collections when a process goes quiet, first some 30–80 s after start
    // (later for some hosts): the window of a short settle holds them for some hosts.
    settle: { type: "string", default: "5" },
    profile: { type: "string" },
    // A node.json fragment merged into every host's config, e.g. '{"sync":{"intervalMs":60000}}'.
    // Given more than once, each size runs once per fragment, one after the other (a before/after
    // comparison under the same load).
    config: { type: "string", multiple: true },
    // Extra Node.js flags for every host, e.g. --node-flags="--no-memory-reducer" (what a
    // flag prints on stdout is dropped by the harness; stderr goes to each host's node.log).
    "node-flags": { type: "string", default: "" },
    // Keeps every host's directory (node.log, config, database) and prints where.
    keep: { type: "boolean", default: false },
  },
});
const sizes = values.hosts.split(",").map(Number);
const seconds = Number(values.seconds);
const settle = Number(values.settle);

const log = (m) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);
let current;
for (const sig of ["SIGINT", "SIGTERM"])
  process.on(sig, () => {
    Promise.resolve(current?.stop()).finally(() => process.exit(130));
  });

const frameName = (f) =>
  `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*\/packages\//, "packages/")}:${f.lineNumber + 1}`;

/**
 * Time (ms) of the samples between `fromUs` and `toUs` after the profile's
 * start, by origin: the outermost frame of each stack that is neither Node's
 * internals nor a native, i.e. the timer, socket or promise callback the work
 * ran under. Garbage collection and native "(program)" time keep their own names.
 */
function originTimes(profile, fromUs, toUs) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const origin = new Map();
  const originOf = (id) => {
    let o = origin.get(id);
    if (o !== undefined) return o;
    const chain = [];
    for (let x = id; x !== undefined; x = parent.get(x)) chain.push(byId.get(x));
    chain.reverse();
    const first = chain.find(
      (n) => /^(file:|\/)/.test(n.callFrame.url) && !n.callFrame.url.startsWith("node:"),
    );
    o = first ? frameName(first.callFrame) : frameName(byId.get(id).callFrame);
    origin.set(id, o);
    return o;
  };
  const out = new Map();
  let t = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < fromUs || t > toUs) continue;
    const leaf = byId.get(profile.samples[i]);
    if (leaf.callFrame.functionName === "(idle)") continue;
    const key =
      leaf.callFrame.functionName === "(garbage collector)" ? "(garbage collector)" : originOf(leaf.id);
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    out.set(key, (out.get(key) ?? 0) + dt);
  }
  return out;
}

/** The monotonic clock in µs, the clock of a V8 CPU profile's timestamps. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

const results = [];
const configs = values.config?.length ? values.config : [undefined];
for (const hosts of sizes)
  for (const config of configs) {
    const dir = await mkdtemp(join(tmpdir(), "ocp-sim-idle-"));
    /** The idle window, [start, end] in monotonic µs. */
    let windowUs = [];
    const profDir = values.profile
      ? join(values.profile, `h${hosts}-c${configs.indexOf(config)}`)
      : undefined;
    if (profDir) {
      rmSync(profDir, { recursive: true, force: true });
      mkdirSync(profDir, { recursive: true });
    }
    const sc = { ...SCENARIOS.baseline, hosts };
    const cluster = new SimCluster({
      hosts,
      keysPerNode: 1,
      slotMs: sc.slotMs,
      links: makeLinks(sc, () => 0.5),
      dir,
      log,
      configOverride: config ? JSON.parse(config) : undefined,
      // Sampling every 4 ms, not 1: at 1 ms the profiler alone cost ~50 ms/s per idle node.
      nodeFlags: () => [
        ...values["node-flags"].split(" ").filter(Boolean),
        ...(profDir ? ["--cpu-prof", "--cpu-prof-interval=4000", `--cpu-prof-dir=${profDir}`] : []),
      ],
    });
    current = cluster;
    try {
      await cluster.start();
      // Let start-up work (connections, status exchanges, JIT) settle first.
      await new Promise((r) => setTimeout(r, settle * 1000));
      const g0 = await gcCounts(cluster.nodes);
      const c0 = cluster.nodes.map((n) => cpuMs(n.pid));
      const t0 = Date.now();
      // V8 stamps profile samples with the monotonic clock, in µs, as hrtime.
      windowUs = [monotonicUs()];
      await new Promise((r) => setTimeout(r, seconds * 1000));
      windowUs.push(monotonicUs());
      const s = (Date.now() - t0) / 1000;
      const per = cluster.nodes.map((n, i) => (cpuMs(n.pid) - c0[i]) / s);
      const gc = gcInWindow(g0, await gcCounts(cluster.nodes), s);
      const peers = await cluster.peerCounts();
      const mean = per.reduce((a, b) => a + b, 0) / per.length;
      const r = {
        hosts,
        config: config ?? null,
        idle_cpu_ms_per_s: Number(mean.toFixed(2)),
        max: Math.max(...per),
        per_host: per.map((x) => Math.round(x * 10) / 10),
        peers,
        // Full collections in the window per host, and the main thread's GC pauses
        // (all kinds) in ms/s; concurrent marking on V8's worker threads adds to the CPU.
        major_gcs: gc.map((g) => g.majors),
        gc_pause_ms_per_s: gc.map((g) => g.pauseMsPerS),
      };
      log(JSON.stringify(r));
      results.push(r);
    } finally {
      await cluster.stop();
      if (values.keep) log(`host directories kept in ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    }
    if (profDir) {
      // The idle window's samples only: neither start-up nor shutdown.
      const total = new Map();
      const files = readdirSync(profDir).filter((f) => f.endsWith(".cpuprofile"));
      for (const f of files) {
        const p = JSON.parse(readFileSync(join(profDir, f), "utf8"));
        for (const [k, v] of originTimes(p, windowUs[0] - p.startTime, windowUs[1] - p.startTime))
          total.set(k, (total.get(k) ?? 0) + v);
      }
      const top = [...total.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 25)
        .map(([k, v]) => ({ fn: k, ms_per_s_per_node: Number((v / files.length / seconds).toFixed(3)) }));
      console.log(JSON.stringify({ hosts, config: config ?? null, profiles: files.length, top }, null, 1));
    }
  }
console.log(JSON.stringify(results));
process.exit(0);
