// One OcpNode in its own process for the node benchmarks. argv[2] = JSON file
// {options, sets: [VerifierSet JSON], secretKeys: [hex], ownIndices: [n]}.
// Prints one JSON line per event on stdout, each stamped with wall time `t`
// (performance.timeOrigin + performance.now(), comparable across processes);
// takes JSON commands on stdin: dial, mesh, commit, stats, heap (snapshot to a file), stop.
import "@ocp/node/polyfill";
import { readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { applyRuntimeV8Flags, GossipKind, OcpNode } from "@ocp/node";
import { fromHex, getBls, parseSignedCommitmentJson, parseVerifierSetJson } from "@ocp/protocol";
import { pino } from "pino";

const now = () => performance.timeOrigin + performance.now();
const out = (o) => process.stdout.write(`${JSON.stringify({ ...o, t: o.t ?? now() })}\n`);

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
// As `ocp node start` does.
applyRuntimeV8Flags();
const bls = getBls();
// OCP_BENCH_NETWORK: JSON network options over the cluster's (with
// OCP_BENCH_PAIRED_ENV, for the odd-numbered nodes only: an option's A/B in one run).
const network = { ...cfg.options.network, ...JSON.parse(process.env.OCP_BENCH_NETWORK ?? "{}") };
const node = new OcpNode(
  { ...cfg.options, network, verifierSets: cfg.sets.map(parseVerifierSetJson) },
  {
    secretKeys: cfg.secretKeys.map((h) => bls.secretKeyFromBytes(fromHex(h))),
    logger: pino({ level: process.env.OCP_BENCH_LOG ?? "silent" }),
  },
);
const own = new Set(cfg.ownIndices);

// Per slot: own votes counted until every own key has signed; first certificate only.
const ownVotes = new Map();
const certified = new Set();
node.events.on("attestation", (a) => {
  if (!own.has(a.verifierIndex)) return;
  const slot = a.observation.slot.toString();
  const st = ownVotes.get(slot) ?? { n: 0, first: now() };
  st.n++;
  ownVotes.set(slot, st);
  if (st.n === own.size) {
    out({ event: "attested", slot, first: st.first });
    ownVotes.delete(slot);
  }
});
node.events.on("certificate", (c, info) => {
  const slot = c.observation.slot.toString();
  if (certified.has(slot)) return;
  certified.add(slot);
  out({ event: "cert", slot, source: info.source });
  if (certified.size > 256) certified.delete(certified.values().next().value);
});
node.events.on("commitment", (s) => out({ event: "commitment", slot: s.commitment.observation.slot.toString() }));
node.events.on("prepared", (p) => out({ event: "prepared", slot: p.slot.toString() }));
node.events.on("decision", (d) => out({ event: "decision", slot: d.slot.toString(), verdict: d.decision.verdict }));

await node.start();
// Registered after start: the node's own slot listener runs first.
node.clock.on("slot", (s) => out({ event: "head", slot: s.toString() }));
out({ event: "started", addrs: node.multiaddrs, peerId: node.peerId, mem: process.memoryUsage() });

// Longest event-loop stall between two stats commands (the attack bench).
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

const commands = {
  async dial(c) {
    let ok = 0;
    for (const a of c.addrs) {
      try {
        await node.network.dial(a);
        ok++;
      } catch {
        // Counted: the parent waits for the mesh anyway.
      }
    }
    out({ event: "dialed", ok });
  },
  mesh() {
    out({
      event: "mesh",
      peers: node.network.getPeers().length,
      mesh: Object.fromEntries(
        [GossipKind.commitment, GossipKind.attestation, GossipKind.certificate].map((k) => [
          k,
          node.network.gossip.getMeshPeers(k).length,
        ]),
      ),
    });
  },
  async commit(c) {
    const received = now();
    const signed = parseSignedCommitmentJson(c.signed);
    try {
      await node.submitCommitment(signed);
      out({ event: "committed", slot: signed.commitment.observation.slot.toString(), received });
    } catch (e) {
      out({ event: "error", cmd: "commit", detail: String(e) });
    }
  },
  /** @param {{gc?: boolean}} c */
  async stats(c) {
    // {gc: true}: live heap after a full collection (the child runs with --expose-gc).
    if (c.gc) globalThis.gc?.();
    const m = /** @type {import("../../packages/node/src/chain/bls/metrics.js").BlsVerifierStats} */ (
      /** @type {import("../../packages/node/src/chain/bls/verifier.js").BatchingBlsVerifier} */ (node.chain.verifier)
        .metrics
    );
    const gossip = {};
    for (const v of (await node.registry.getSingleMetric("ocp_gossip_validation_total")?.get())?.values ?? [])
      gossip[`${v.labels.kind}/${v.labels.result}${v.labels.code ? `/${v.labels.code}` : ""}`] = v.value;
    // Every message copy that arrived (duplicates included), against the validations above.
    const copies = (await node.registry.getSingleMetric("ocp_gossip_messages_received_total")?.get())?.values;
    gossip["copies received"] = copies?.[0]?.value ?? 0;
    // libp2p's transfer counters (cumulative), by protocol and direction.
    /** @type {Record<string, number>} */
    const p2pBytes = {};
    for (const v of (await node.registry.getSingleMetric("libp2p_data_transfer_bytes_total")?.get())?.values ?? [])
      p2pBytes[String(v.labels.protocol)] = v.value;
    out({
      gossip,
      p2pBytes,
      event: "stats",
      maxRssKb: process.resourceUsage().maxRSS,
      rss: process.memoryUsage().rss,
      heapUsed: process.memoryUsage().heapUsed,
      heapTotal: process.memoryUsage().heapTotal,
      external: process.memoryUsage().external,
      arrayBuffers: process.memoryUsage().arrayBuffers,
      cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
      maxLoopDelayMs: loopDelay.max / 1e6,
      peers: node.network.getPeers().map((p) => p.peerId),
      bls: {
        batches: m.batches,
        batchedSets: m.batchedSets,
        verifyCalls: m.verifyCalls,
        verifyTimeMs: m.verifyTimeMs,
        paddedSets: m.paddedSets,
      },
    });
    loopDelay.reset();
  },
  async heap(c) {
    const { writeHeapSnapshot } = await import("node:v8");
    out({ event: "heap", file: writeHeapSnapshot(c.file) });
  },
  async stop() {
    await node.stop();
    out({ event: "stopped" });
    process.exit(0);
  },
};

createInterface({ input: process.stdin }).on("line", (line) => {
  let c;
  try {
    c = JSON.parse(line);
  } catch {
    return;
  }
  const f = commands[c.cmd];
  if (f) Promise.resolve(f(c)).catch((e) => out({ event: "error", cmd: c.cmd, detail: String(e) }));
});
process.stdin.on("end", () => void commands.stop());
process.on("SIGTERM", () => void commands.stop());
