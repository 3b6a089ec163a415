// Runs one OcpNode in its own process for crash tests. argv[2] = JSON file
// with {options, secretKeys: [hex]}. Prints one JSON line per event on stdout.
import { readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { OcpNode } from "@ocp/node";
import { fromHex, getBls, observationRoot, toHex } from "@ocp/protocol";
import { pino } from "pino";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"), (_k, v) =>
  typeof v === "string" && /^\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v,
);
for (const s of cfg.options.verifierSets) {
  for (const v of s.verifiers) {
    v.pubkey = fromHex(v.pubkey);
    v.pop = fromHex(v.pop);
  }
}
const bls = getBls();
const node = new OcpNode(cfg.options, {
  secretKeys: cfg.secretKeys.map((h) => bls.secretKeyFromBytes(fromHex(h))),
  logger: pino({ level: "silent" }),
});
const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
node.events.on("attestation", (a) =>
  out({
    event: "attestation",
    slot: a.observation.slot.toString(),
    index: a.verifierIndex,
    root: toHex(observationRoot(a.domain, a.observation)),
  }),
);
node.events.on("certificate", (c) => out({ event: "certificate", slot: c.observation.slot.toString() }));
await node.start();
out({ event: "started", addrs: node.multiaddrs, peerId: node.peerId, api: node.api?.url });

// Commands on stdin, one per line. "stats": live heap after a full GC (when
// run with --expose-gc), the longest event-loop stall since the last stats,
// peers, open connections, bans, and gossip held for a slot not started yet or a set refresh.
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
let heldMax = 0;
setInterval(() => {
  heldMax = Math.max(heldMax, node.network.gossip.held);
}, 20).unref();
createInterface({ input: process.stdin }).on("line", async (line) => {
  if (line.trim() !== "stats") return;
  globalThis.gc?.();
  out({
    event: "stats",
    heapUsed: process.memoryUsage().heapUsed,
    maxLoopDelayMs: loop.max / 1e6,
    peers: node.network.getPeers().map((p) => p.peerId),
    scores: node.network.getPeers().map((p) => Math.round(p.score)),
    connections: node.network.getPeers().reduce((n, p) => n + p.addrs.length, 0),
    banned: node.network.peers.banCount,
    heldMax: Math.max(heldMax, node.network.gossip.held),
    heldForSlotTotal: (await node.metrics.network.gossipFutureHold.get()).values
      .filter((v) => v.labels.result === "held")
      .reduce((n, v) => n + v.value, 0),
    heldForSetsTotal: (await node.metrics.network.gossipSetHold.get()).values
      .filter((v) => v.labels.result === "held")
      .reduce((n, v) => n + v.value, 0),
  });
  loop.reset();
});
process.on("SIGTERM", async () => {
  await node.stop();
  process.exit(0);
});
