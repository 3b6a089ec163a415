// Attack benchmark: one attacker against node 3 of a 4-node network (every node
// in its own process, loopback), each attack for 30 s while honest slots are
// posted once a second. The attacker is a fresh Status-answering identity each
// time the target bans the previous one, so the attack never lets up.
// - subscribe_flood: gossipsub frames of 60,000 SUBSCRIBE entries to random
//   topics. Reports the target's live-heap growth (after a full GC, before vs
//   after) and its longest event-loop stall.
// - vote_burst: one RPC of 2,900 forged votes, then RPCs of 1,024 forged votes
//   (valid G2 points that only a pairing can refuse). Reports the longest stall
//   and the share of honest slots the target still certified.
// OCP_BENCH_ATTACK_MS overrides the 30 s.
import { randomBytes } from "node:crypto";
import { RPC } from "@libp2p/gossipsub/message";
import { GossipKind, gossipTopic, Network } from "@ocp/node";
import { buildVerifierSet, encodeAttestationSsz, getBls, observationRoot } from "@ocp/protocol";
// biome-ignore lint/correctness/useImportExtensions: bench helpers are .mjs modules
import { makeRng, randomBatch } from "./lib/batch.mjs";
// biome-ignore lint/correctness/useImportExtensions: bench helpers are .mjs modules
import { startProcessCluster } from "./lib/node-cluster.mjs";

const ATTACK_MS = Number(process.env.OCP_BENCH_ATTACK_MS ?? 30_000);
const TARGET = 3;
const SLOT_MS = 1000;
const MESHSUB = "/meshsub/1.1.0";
const r1 = (x) => Math.round(x * 10) / 10;

/** Unsigned-varint length prefix + body: one gossipsub frame. */
function frame(body) {
  const prefix = [];
  let n = body.length;
  while (n >= 0x80) {
    prefix.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  prefix.push(n);
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix);
  out.set(body, prefix.length);
  return out;
}

/**
 * Identity after identity: each dials the target, writes `next()` frames at
 * line rate until the target resets it and refuses it, then the next one comes.
 */
async function attacker(network, targetAddr, targetId, next, stop) {
  const stats = { identities: 0, frames: 0 };
  while (!stop.done) {
    const net = new Network({ network, localNetwork: true });
    await net.start();
    stats.identities++;
    try {
      await net.dial(targetAddr);
      for (let attempt = 0; attempt < 50 && !stop.done; attempt++) {
        try {
          const stream = await net.openRawStream(targetId, MESHSUB);
          await stream.sink(
            (async function* () {
              while (!stop.done) {
                stats.frames++;
                yield next();
                await new Promise((r) => setImmediate(r));
              }
            })(),
          );
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    } catch {
      // refused: this identity is banned
    } finally {
      await net.stop();
    }
  }
  return stats;
}

export async function run() {
  const log = (s) => console.log(s);
  const bls = getBls();
  const c = await startProcessCluster({ nodes: 4, keysPerNode: 1, nodeArgs: ["--expose-gc"] });
  const rng = makeRng(0xa77ac);
  const target = c.children[TARGET];
  const started = target.lines.find((m) => m.event === "started");
  const targetId = started.peerId;
  const targetAddr = started.addrs[0].includes("/p2p/")
    ? started.addrs[0]
    : `${started.addrs[0]}/p2p/${targetId}`;
  const setId = buildVerifierSet(c.set).setId;
  const stats = async (gc = false) => target.request({ cmd: "stats", gc }, "stats");
  let last;

  /** One honest slot; true when the target holds its certificate within 5 s. */
  async function slot() {
    const { slot: s, observation } = await c.post(randomBatch(rng));
    last = observation;
    const key = s.toString();
    await Promise.all(
      c.children.map(
        (ch) =>
          ch.slots.get(key)?.prepared ??
          ch.next((m) => m.event === "prepared" && m.slot === key, 10_000, `prepared ${key}`),
      ),
    );
    c.prepareCommit(observation, 0)();
    await c.mine(1);
    try {
      await (target.slots.get(key)?.cert ??
        target.next((m) => m.event === "cert" && m.slot === key, 5000, `certificate ${key}`));
      return true;
    } catch {
      return false;
    }
  }

  async function phase(name, next) {
    const before = await stats(true);
    // The full GC above stalls the loop itself: let that stall be recorded,
    // then reset the maximum, so the attack's figure is the attack's.
    await new Promise((r) => setTimeout(r, 200));
    await stats(false);
    const stop = { done: false };
    const running = attacker(c.network, targetAddr, targetId, next(), stop);
    const t0 = Date.now();
    let posted = 0;
    let certified = 0;
    while (Date.now() - t0 < ATTACK_MS) {
      const ts = Date.now();
      posted++;
      if (await slot()) certified++;
      await new Promise((r) => setTimeout(r, Math.max(0, SLOT_MS - (Date.now() - ts))));
    }
    stop.done = true;
    const a = await running;
    const after = await stats(true);
    const out = {
      heapGrowthMb: (after.heapUsed - before.heapUsed) / 2 ** 20,
      maxStallMs: after.maxLoopDelayMs,
      share: certified / posted,
    };
    log(
      `  ${name}: ${a.identities} identities, ${a.frames} frames; target heap ${r1(before.heapUsed / 2 ** 20)} → ${r1(after.heapUsed / 2 ** 20)} MiB, max stall ${r1(out.maxStallMs)} ms, ${certified}/${posted} honest slots certified`,
    );
    return out;
  }

  try {
    for (let i = 0; i < 10; i++) await slot(); // warm-up

    const subscribe = await phase("subscribe_flood", () => {
      const subs = Array.from({ length: 60_000 }, () => ({
        subscribe: true,
        topic: `/t/${randomBytes(3).toString("hex")}`,
      }));
      const f = frame(RPC.encode({ subscriptions: subs, messages: [] }));
      return () => f;
    });

    const burst = await phase("vote_burst", () => {
      const observation = last;
      const root = observationRoot(c.domain, observation);
      const stranger = bls.keygen(randomBytes(32));
      const sig = bls.sign(stranger, root);
      const topic = gossipTopic(c.network, GossipKind.attestation);
      let n = 0;
      const vote = () => ({
        topic,
        data: encodeAttestationSsz({
          domain: c.domain,
          observation: { ...observation, l1BlockHash: randomBytes(32) },
          setId,
          verifierIndex: n++ % 4,
          signature: sig,
        }),
      });
      let first = true;
      return () => {
        const msgs = Array.from({ length: first ? 2900 : 1024 }, vote);
        first = false;
        return frame(RPC.encode({ subscriptions: [], messages: msgs }));
      };
    });

    return {
      "attack.subscribe_flood.heap_growth_mb": r1(subscribe.heapGrowthMb),
      "attack.subscribe_flood.max_loop_stall_ms": r1(subscribe.maxStallMs),
      "attack.vote_burst.max_loop_stall_ms": r1(burst.maxStallMs),
      "attack.vote_burst.honest_slots_certified_share": Math.round(burst.share * 1000) / 1000,
    };
  } finally {
    await c.stop();
  }
}
