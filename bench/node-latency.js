// Node benchmark with every node in its own process on loopback: builder
// publish → certificate held by every node, per slot, for 4×1, 16×1 and 8×8
// (nodes × keys per node), and the peak RSS and CPU per slot of one node process in 8×8.
// Each slot: post a batch (its own block), wait until every node has seen
// and read that block (a real confirmation comes a slot later), publish the
// builder's commitment through node 0 (t0), mine the confirmation block, and
// time the last node's certificate event.
// Timed slots follow warm-up slots: a node runs for days, and its first ~100
// slots after start are still JIT-compiling (TurboFan keeps compiling and CPU
// per slot falls ~85 → ~60 ms over them in 8×8), so the timed slots measure
// the steady state. OCP_BENCH_WARMUP and OCP_BENCH_SLOTS override the counts.
// biome-ignore lint/correctness/useImportExtensions: bench helpers are .mjs modules
import { makeRng, randomBatch } from "./lib/batch.mjs";
// biome-ignore lint/correctness/useImportExtensions: bench helpers are .mjs modules
import { now, startProcessCluster } from "./lib/node-cluster.mjs";

const SHAPES = [
  { name: "4x1", nodes: 4, keysPerNode: 1 },
  { name: "16x1", nodes: 16, keysPerNode: 1 },
  { name: "8x8", nodes: 8, keysPerNode: 8 },
];
const WARMUP_SLOTS = Number(process.env.OCP_BENCH_WARMUP ?? 60);
const SLOTS = Number(process.env.OCP_BENCH_SLOTS ?? 100);
// Real slots are seconds apart; a short gap keeps one slot's late gossip
// (certificate copies, upgrades) out of the next slot's timing.
const GAP_MS = 100;
const IDLE_MS = 2000;

/** Nearest-rank percentile (p99 of 50 samples is their maximum). */
function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
const r1 = (x) => Math.round(x * 10) / 10;

async function runShape(shape, log) {
  const t = Date.now();
  const c = await startProcessCluster({ nodes: shape.nodes, keysPerNode: shape.keysPerNode });
  log(`  ${shape.name}: ${shape.nodes} processes up and meshed in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const rng = makeRng(0x0c9 + shape.nodes * 64 + shape.keysPerNode);
  const latencies = [];
  /**
   * Paired runs: per half (even, odd), each slot's last certificate among that half's nodes.
   * @type {[number[], number[]]}
   */
  const halfLatencies = [[], []];
  /** @type {Record<"mined" | "head" | "decided" | "commitment" | "signed" | "attested" | "cert", number[]>} */
  const phases = { mined: [], head: [], decided: [], commitment: [], signed: [], attested: [], cert: [] };
  let statsBefore;
  try {
    // Background cost (head polls, gossipsub heartbeats) with no slots at all.
    const idle0 = await c.stats();
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const idle = (await c.stats()).map((s, j) => ((s.cpuMs - idle0[j].cpuMs) * 1000) / IDLE_MS);
    log(`  ${shape.name}: idle CPU ms per s per node ${idle.map((x) => Math.round(x)).join(" ")}`);
    for (let i = 0; i < WARMUP_SLOTS + SLOTS; i++) {
      if (i === WARMUP_SLOTS) statsBefore = await c.stats();
      const { slot, observation } = await c.post(randomBatch(rng));
      const key = slot.toString();
      // The slot's block is known and read everywhere before its commitment,
      // as on a real chain where the confirmation comes a slot later.
      await Promise.all(
        c.children.map(
          (ch) =>
            ch.slots.get(key)?.prepared ??
            ch.next((m) => m.event === "prepared" && m.slot === key, 10_000, `prepared ${key}`),
        ),
      );
      const publish = c.prepareCommit(observation, 0);
      const t0 = publish();
      await c.mine(1);
      const tMined = now();
      await c.waitCertified(slot);
      if (i >= WARMUP_SLOTS) {
        const conf = (slot + 1n).toString();
        let last = 0;
        const halfLast = [0, 0];
        for (const ch of c.children) {
          const rec = ch.slots.get(key);
          last = Math.max(last, rec.cert.t);
          halfLast[ch.index % 2] = Math.max(halfLast[ch.index % 2], rec.cert.t);
          phases.mined.push(tMined - t0);
          // A node whose head poll skipped a block reports no head event for it.
          const head = ch.slots.get(conf)?.head;
          if (head) phases.head.push(head.t - t0);
          if (rec.decision) phases.decided.push(rec.decision.t - t0);
          if (rec.commitment) phases.commitment.push(rec.commitment.t - t0);
          if (rec.attested) {
            phases.signed.push(rec.attested.first - t0);
            phases.attested.push(rec.attested.t - t0);
          }
          phases.cert.push(rec.cert.t - t0);
        }
        latencies.push(last - t0);
        halfLatencies[0].push(halfLast[0] - t0);
        halfLatencies[1].push(halfLast[1] - t0);
      }
      await new Promise((r) => setTimeout(r, GAP_MS));
    }
    const rss = c.peakRssMb();
    const statsAfter = await c.stats();
    const cpu = statsAfter.map((s, j) => (s.cpuMs - statsBefore[j].cpuMs) / SLOTS);
    log(`  ${shape.name}: CPU ms per slot per node ${cpu.map((x) => Math.round(x)).join(" ")}`);
    // Resident memory still grows over the measured slots: gossipsub keeps a
    // record per message id for 120 s (README, "Memory over a run").
    const mib = (xs) => xs.map((s) => Math.round(s.rss / 1048576)).join(" ");
    log(
      `  ${shape.name}: RSS MiB per node after the warm-up ${mib(statsBefore)}, at the end ${mib(statsAfter)}`,
    );
    if (process.env.OCP_BENCH_PAIRED !== undefined) {
      const of = (xs, odd) => xs.filter((_, j) => j % 2 === (odd ? 1 : 0));
      const half = (odd) => of(cpu, odd);
      const avg = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const rssHalf = (odd) => Math.max(...of(c.peakRssMb(), odd));
      log(
        `  ${shape.name}: paired: this checkout (even nodes) ${r1(avg(half(false)))} ms, ${process.env.OCP_BENCH_PAIRED} (odd nodes) ${r1(avg(half(true)))} ms CPU per slot; ratio ${(avg(half(false)) / avg(half(true))).toFixed(3)}; peak RSS ${Math.round(rssHalf(false))} / ${Math.round(rssHalf(true))} MiB`,
      );
      // The slowest node of each half per slot (node 0, which publishes, is in the even half: swap
      // the builds between runs before reading a difference into it).
      const [even, odd] = halfLatencies.map(
        (xs) => `${r1(pct(xs, 50))} / ${r1(pct(xs, 99))} / ${r1(avg(xs))}`,
      );
      log(
        `  ${shape.name}: paired: last certificate per slot in each half, p50 / p99 / mean: even ${even} ms, odd ${odd} ms`,
      );
    }
    // Per slot per node: BLS verifier wall time and calls (sets per call), node 0's gossip outcomes.
    const per = (f) => statsAfter.map((s, j) => (f(s) - f(statsBefore[j])) / SLOTS);
    const fmt = (xs) => xs.map((x) => x.toFixed(1)).join(" ");
    log(`  ${shape.name}: BLS verify ms per slot per node ${fmt(per((s) => s.bls.verifyTimeMs))}`);
    log(`  ${shape.name}: BLS verify calls per slot per node ${fmt(per((s) => s.bls.verifyCalls))}`);
    log(`  ${shape.name}: BLS padding sets per slot per node ${fmt(per((s) => s.bls.paddedSets ?? 0))}`);
    const pb = (k) => ((statsAfter[0].p2pBytes?.[k] ?? 0) - (statsBefore[0].p2pBytes?.[k] ?? 0)) / SLOTS;
    log(
      `  ${shape.name}: node 0 libp2p bytes per slot: ${Object.keys(statsAfter[0].p2pBytes ?? {})
        .map((k) => `${k} ${Math.round(pb(k))}`)
        .join(", ")}`,
    );
    const mb = (x) => Math.round(x / 2 ** 20);
    const mem = statsAfter[0];
    log(
      `  ${shape.name}: node 0 memory MiB: rss ${mb(mem.rss)} heapTotal ${mb(mem.heapTotal)} heapUsed ${mb(mem.heapUsed)} external ${mb(mem.external)} arrayBuffers ${mb(mem.arrayBuffers)}`,
    );
    const g = statsAfter[0].gossip;
    const perSlot = (k) => ((g[k] - (statsBefore[0].gossip[k] ?? 0)) / SLOTS).toFixed(1);
    log(
      `  ${shape.name}: node 0 gossip outcomes per slot: ${Object.keys(g)
        .map((k) => `${k} ${perSlot(k)}`)
        .join(", ")}`,
    );
    log(
      `  ${shape.name}: latency p50 ${r1(pct(latencies, 50))} p99 ${r1(pct(latencies, 99))} max ${r1(Math.max(...latencies))} ms over ${latencies.length} slots after ${WARMUP_SLOTS} warm-up slots; peak RSS per node ${rss.map((x) => Math.round(x)).join(" ")} MiB`,
    );
    log(`  ${shape.name}: ms after publish, all (slot, node) pairs — p50 / p99:`);
    for (const [k, xs] of Object.entries(phases)) {
      if (xs.length > 0) log(`    ${k.padEnd(10)} ${r1(pct(xs, 50))} / ${r1(pct(xs, 99))}`);
    }
    return { latencies, rss, cpu };
  } finally {
    await c.stop();
  }
}

export async function run() {
  const log = (s) => console.log(s);
  const out = {};
  const only = process.env.OCP_BENCH_SHAPES?.split(",");
  for (const shape of SHAPES.filter((s) => !only || only.includes(s.name))) {
    const { latencies, rss, cpu } = await runShape(shape, log);
    out[`node.cert_latency_ms.p50.${shape.name}`] = r1(pct(latencies, 50));
    out[`node.cert_latency_ms.p99.${shape.name}`] = r1(pct(latencies, 99));
    if (shape.name === "8x8") {
      out["node.peak_rss_mb.8x8"] = r1(Math.max(...rss));
      // CPU time per node per slot (user + system), mean over the nodes, timed slots only.
      out["node.cpu_ms_per_slot.8x8"] = r1(cpu.reduce((a, b) => a + b, 0) / cpu.length);
    }
  }
  return out;
}
