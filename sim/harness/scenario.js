// Runs one scenario on a fresh simulated network and computes its figures:
// idle CPU before the first slot, then a builder posting one batch per slot
// (and its signed commitment, unless the builder is silent) while the
// scenario's events — crashes and restarts, a partition, anchorers going down —
// happen at their slots; finally each node's certificates, the chain's
// Anchored events and any evidence are collected.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OcpAnchor } from "@ocp/contracts";
import { orchestratorCalldata } from "@ocp/node/devnet";
import {
  eezTableDigest,
  encodeCertificateSsz,
  encodePostAndVerifyBatch,
  fromHex,
  parseCertificateJson,
  SCHEMA_EEZ_V1,
  SSZ_GOSSIP_MIN_BYTES,
  signCommitment,
  signedCommitmentToJson,
  toHex,
} from "@ocp/protocol";
import { privateKeyToAccount } from "viem/accounts";
import { BatchGenerator, makeRng } from "../../packages/cli/lib/devnet/batch.js";
import { getJson, postJson } from "../../packages/cli/lib/devnet/http.js";
import { BUILDER_KEY, makeWallet } from "../../packages/cli/lib/devnet/network.js";
import { SimCluster, STREAM_NAME } from "./cluster.js";
import {
  cpuMs,
  cpuSplitMs,
  gcCounts,
  gcInWindow,
  HeadWatcher,
  NodeWatcher,
  peakRssMb,
  percentile,
  round,
  sumNodeMetrics,
} from "./measure.js";
import { REGISTRATION_BLOCKS, REGISTRATION_SLACK, RotationRun } from "./rotation.js";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Wait between the last host's start and the first idle window. */
const IDLE_SETTLE_MS = 10_000;
/**
 * Start of the steady idle window, after the last host's start. The first
 * minute after start-up is not steady: V8's memory reducer runs full
 * collections to shrink the heaps that start-up grew (32 hosts, 10 s windows
 * of mean idle CPU per node from 10 to 100 s after start: 9.7 9.8 8.3 10.0 8.3
 * 6.9 7.1 5.8 4.2 ms/s; under --no-memory-reducer 7.9 6.5 3.4 6.8 6.0 4.5 6.8
 * 5.6 3.4), and every 30 s each connection is pinged and the known peers are
 * saved, so a window shorter than 30 s over- or undercounts that work.
 */
const IDLE_STEADY_AFTER_MS = 50_000;

/**
 * CPU (ms/s per node), peers, bytes and full garbage collections of the hosts
 * over `seconds` of idle. A full collection of a node's ~40 MiB heap costs
 * ~100–200 ms of CPU (its main thread and V8's marking threads): a 30 s window
 * that holds one shows it at ~3–7 ms/s for that host (`node sim/idle.js`,
 * `major_gcs`).
 */
async function idleWindow(cluster, seconds) {
  const n = cluster.nodes.length;
  const gc0 = await gcCounts(cluster.nodes);
  const cpu0 = cluster.nodes.map((nd) => cpuMs(nd.pid));
  const bytes0 = cluster.net.dataCounters();
  const start = Date.now();
  await sleep(seconds * 1000);
  const s = (Date.now() - start) / 1000;
  const perNode = cluster.nodes.map((nd, i) => (cpuMs(nd.pid) - cpu0[i]) / s);
  const gc = gcInWindow(gc0, await gcCounts(cluster.nodes), s);
  const peers = await cluster.peerCounts();
  const bytesPerS =
    cluster.net
      .dataCounters()
      .reduce((a, c, i) => a + (c.txBytes - bytes0[i].txBytes + c.rxBytes - bytes0[i].rxBytes), 0) /
    n /
    s;
  return { perNode, peers, fit: fitLine(peers, perNode), bytesPerS, gc };
}

/** Each host's access link from the scenario's path figures (seeded, so a run can be repeated). */
export function makeLinks(sc, rng) {
  // A path crosses two access links: each gets half the path delay, and the
  // loss that makes the path's loss come out at `pathLoss`.
  const loss = 1 - Math.sqrt(1 - sc.pathLoss);
  return Array.from({ length: sc.hosts }, () => ({
    delayMs: (sc.pathDelayMs[0] + (sc.pathDelayMs[1] - sc.pathDelayMs[0]) * rng()) / 2,
    jitterMs: sc.jitterMs / 2,
    loss,
    mbit: sc.mbit,
  }));
}

/** The p2p connection graph of the running hosts, from their APIs: degrees and connected components. */
async function p2pGraph(cluster) {
  const up = cluster.nodes.filter((nd) => nd.up);
  const byPeer = new Map(up.map((nd) => [nd.peerId, nd.index]));
  const adj = new Map(up.map((nd) => [nd.index, new Set()]));
  for (const nd of up) {
    const peers = (await getJson(`${nd.api}/v1/node/peers`).catch(() => [])) ?? [];
    for (const p of peers) {
      const j = byPeer.get(p.peerId);
      if (j === undefined) continue;
      adj.get(nd.index).add(j);
      adj.get(j).add(nd.index);
    }
  }
  const seen = new Set();
  let components = 0;
  for (const start of adj.keys()) {
    if (seen.has(start)) continue;
    components++;
    const stack = [start];
    seen.add(start);
    while (stack.length) for (const j of adj.get(stack.pop())) if (!seen.has(j)) seen.add(j) && stack.push(j);
  }
  return { degrees: [...adj.values()].map((s) => s.size), components };
}

/** Least squares y = intercept + slope x; undefined when x does not vary. */
export function fitLine(xs, ys) {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  if (sxx === 0) return undefined;
  const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / sxx;
  return { slope, intercept: my - slope * mx };
}

function pick(rng, from, k) {
  const pool = [...from];
  const out = [];
  while (out.length < k && pool.length > 0) out.push(pool.splice(Math.floor(rng() * pool.length), 1)[0]);
  return out.sort((a, b) => a - b);
}

/**
 * Plans the scenario's events by slot index: [{at, kind, hosts}] with kinds
 * kill, restart, partition, heal, anchorer-down.
 */
export function planEvents(sc, rng) {
  const events = [];
  const hosts = Array.from({ length: sc.hosts }, (_, i) => i);
  if (sc.churn) {
    // Host 0 stays up: it is the only bootstrap peer of the first hosts after it.
    const victims = pick(rng, hosts.slice(1), Math.max(1, Math.floor(sc.hosts * sc.churn.fraction)));
    for (const h of victims) {
      const down =
        sc.churn.downSlots[0] + Math.floor(rng() * (sc.churn.downSlots[1] - sc.churn.downSlots[0] + 1));
      const at = 2 + Math.floor(rng() * Math.max(1, sc.slots - down - 5));
      events.push({ at, kind: "kill", hosts: [h] }, { at: at + down, kind: "restart", hosts: [h] });
    }
  }
  if (sc.partition) {
    // A shortened run (--slots) keeps the partition inside it.
    const span = Math.max(1, Math.min(sc.partition.slots, Math.floor(sc.slots / 2)));
    const atSlot = Math.min(sc.partition.atSlot, Math.max(1, Math.floor(sc.slots / 4)));
    const minority = pick(rng, hosts, Math.ceil(sc.hosts * sc.partition.fraction));
    const majority = hosts.filter((h) => !minority.includes(h));
    events.push(
      { at: atSlot, kind: "partition", hosts: minority, rest: majority },
      { at: atSlot + span, kind: "heal", hosts: minority },
    );
  }
  if (sc.anchorersDown)
    events.push({ at: sc.anchorersDown.atSlot, kind: "anchorer-down", hosts: sc.anchorersDown.hosts });
  return events.sort((a, b) => a.at - b.at);
}

/**
 * The rotation's plan: which hosts run outside the first set and join the
 * second (the last ones started), which leave it (never host 0, the first
 * bootstrap peer), when the owner registers it and the activation lead. A
 * shortened run (--hosts, --slots) keeps the same shape: at least one host
 * leaves and one joins, and about a quarter of the slots come after activation.
 */
export function planRotation(sc, rng) {
  const r = sc.rotation;
  const scale = (k) => Math.max(1, Math.round((k * sc.hosts) / 32));
  const join = Math.min(scale(r.join), Math.max(1, Math.floor(sc.hosts / 4)));
  const joining = Array.from({ length: join }, (_, k) => sc.hosts - join + k);
  const stay = Array.from({ length: sc.hosts - join - 1 }, (_, k) => k + 1);
  const leaving = pick(rng, stay, Math.min(scale(r.leave), Math.max(1, Math.floor(stay.length / 4))));
  const atSlot = Math.min(r.atSlot, Math.max(1, Math.floor(sc.slots / 6)));
  const room = sc.slots - atSlot - REGISTRATION_BLOCKS - REGISTRATION_SLACK - Math.ceil(sc.slots / 4);
  const leadSlots = Math.max(2, Math.min(r.leadSlots, room));
  // Refreshes at least twice per lead, so a node never waits on one before it signs.
  const refreshSlots = Math.max(1, Math.min(r.refreshSlots, Math.floor(leadSlots / 2)));
  return { joining, leaving, atSlot, leadSlots, refreshSlots };
}

/** Node flags per host: CPU profiles of the hosts in OCP_SIM_PROF_HOSTS (default "0,1": a busy host and a quiet one). */
function profileFlags(dir) {
  const hosts = (process.env.OCP_SIM_PROF_HOSTS ?? "0,1").split(",").map(Number);
  return (i) => (hosts.includes(i) ? ["--cpu-prof", `--cpu-prof-dir=${dir}/h${i}`] : []);
}

/**
 * Node flags per host from the environment: OCP_SIM_NODE_FLAGS (for every host, e.g. V8 options to
 * compare) and the CPU profiles of OCP_SIM_PROF_DIR.
 */
function nodeFlagsFromEnv() {
  const all = process.env.OCP_SIM_NODE_FLAGS?.split(" ").filter(Boolean) ?? [];
  const prof = process.env.OCP_SIM_PROF_DIR ? profileFlags(process.env.OCP_SIM_PROF_DIR) : undefined;
  if (all.length === 0 && prof === undefined) return {};
  return { nodeFlags: (i) => [...all, ...(prof?.(i) ?? [])] };
}

/**
 * @param {object} sc scenario preset (scenarios.js)
 * @param {{log(msg: string): void, signal?: AbortSignal, keep?: boolean, onCluster?(c: SimCluster): void}} io
 */
export async function runScenario(sc, io) {
  const rng = makeRng(sc.seed ?? 1);
  const dir = await mkdtemp(join(tmpdir(), `ocp-sim-${sc.name}-`));
  const links = makeLinks(sc, rng);
  const rotation = sc.rotation ? planRotation(sc, rng) : undefined;
  const cluster = new SimCluster({
    hosts: sc.hosts,
    keysPerNode: sc.keysPerNode,
    slotMs: sc.slotMs,
    links,
    dir,
    seed: sc.seed ?? 1,
    log: io.log,
    // OCP_SIM_CONFIG='<json>': merged into every host's node.json (experiments, e.g. gossip options).
    ...(process.env.OCP_SIM_CONFIG ? { configOverride: JSON.parse(process.env.OCP_SIM_CONFIG) } : {}),
    // OCP_SIM_PROF_DIR=<dir>: V8 CPU profiles of hosts 0 and 1 (a busy host and a quiet one), or of the
    // hosts listed in OCP_SIM_PROF_HOSTS (e.g. "5,17"), for profiling.
    ...nodeFlagsFromEnv(),
    ...(rotation
      ? {
          joining: rotation.joining,
          setsFromAnchor: { refreshSlots: rotation.refreshSlots },
          activationLeadSlots: rotation.leadSlots,
          // Room in one block for the builder's batch (15M gas) and an owner transaction (up to
          // EIP-7825's 16.7M): at 30M each registration step waited a block behind the batch.
          blockGasLimit: 45_000_000,
        }
      : {}),
  });
  io.onCluster?.(cluster);
  const t0 = Date.now();
  try {
    await cluster.start();
    const setupS = (Date.now() - t0) / 1000;
    io.log(`setup took ${setupS.toFixed(1)} s`);
    return await measureRun(sc, cluster, rng, io, setupS, rotation);
  } finally {
    await cluster.stop();
    if (io.keep) io.log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

async function measureRun(sc, cluster, rng, io, setupS, rotation) {
  const n = sc.hosts;
  const slotMs = sc.slotMs;
  const aborted = () => io.signal?.aborted === true;

  // ----- idle: connected, no blocks yet. The last wave of hosts started moments ago: its
  // start-up work (connections, status exchanges, JIT) settles first, as in sim/idle.js.
  // A first window right after that, then the steady one (IDLE_STEADY_AFTER_MS).
  const upAt = Date.now();
  await sleep(IDLE_SETTLE_MS);
  const idleEarly = await idleWindow(cluster, sc.idleSeconds);
  let idle = idleEarly;
  if (sc.idleSteadySeconds > 0) {
    await sleep(Math.max(0, upAt + IDLE_STEADY_AFTER_MS - Date.now()));
    idle = await idleWindow(cluster, sc.idleSteadySeconds);
  }
  const meanIdle = (w) => w.perNode.reduce((a, b) => a + b, 0) / n;
  io.log(
    `idle CPU per node: mean ${meanIdle(idle).toFixed(1)} ms/s (${meanIdle(idleEarly).toFixed(1)} right after start-up)`,
  );

  // ----- watchers
  const heads = new HeadWatcher(cluster.rpcUrl);
  heads.start();
  const watchers = cluster.nodes.map((nd) => new NodeWatcher(nd.index));
  const certByRoot = new Map(); // slot → Set of tableDigest|blockHash
  let certBytes = 0;
  const rot = rotation ? new RotationRun(cluster, rotation, io.log) : undefined;
  const onCert = (_i, slot, json) => {
    rot?.onCertificate(json);
    const key = `${json.observation.tableDigest}|${json.observation.l1BlockHash}`;
    const s = certByRoot.get(slot) ?? new Set();
    s.add(key);
    certByRoot.set(slot, s);
    if (certBytes === 0) certBytes = encodeCertificateSsz(parseCertificateJson(json)).length;
  };
  // On each (re)connection a watcher asks for the certified slots it has missed.
  const backfill = { stream: STREAM_NAME, slots: () => certByRoot.keys() };
  for (const w of watchers) w.follow(cluster.nodes[w.index].api, onCert, backfill);

  // Host state timeline for quorum and catch-up accounting.
  const downSince = new Map(); // host → time
  const cutSince = new Map();
  /** host → [{from, to}] when it was down or cut off. */
  const outages = Array.from({ length: n }, () => []);
  const closeOutage = (h, from, to) => outages[h].push({ from, to });
  let partitionGroups = null;

  const events = planEvents(sc, rng);
  /** Restarts under way (their outage closes when the node is up). */
  const restarting = new Set();
  const applyEvents = async (k) => {
    for (const e of events.filter((x) => x.at === k)) {
      const t = Date.now();
      if (e.kind === "kill") {
        io.log(`slot ${k}: kill hosts ${e.hosts.join(",")}`);
        for (const h of e.hosts) {
          downSince.set(h, t);
          cpuSpent[h] += (cpuMs(cluster.nodes[h].pid) ?? cpuBase[h]) - cpuBase[h];
          await cluster.killNode(h);
        }
      } else if (e.kind === "restart") {
        io.log(`slot ${k}: restart hosts ${e.hosts.join(",")}`);
        // Not awaited: a start-up on the loaded machine takes up to ~30 s, and the slots
        // (blocks, batches, commitments) must keep their pace meanwhile, as on a real network.
        for (const h of e.hosts) {
          const started = cluster.restartNode(h).then(() => {
            // A restarted process's CPU counts from zero, its start-up included.
            cpuBase[h] = 0;
            watchers[h].follow(cluster.nodes[h].api, onCert, backfill);
            closeOutage(h, downSince.get(h), Date.now());
            downSince.delete(h);
            sampleQuorum();
          });
          restarting.add(started);
          void started.finally(() => restarting.delete(started)).catch(() => undefined);
        }
      } else if (e.kind === "anchorer-down") {
        io.log(`slot ${k}: anchorers of hosts ${e.hosts.join(",")} lose their RPC`);
        for (const h of e.hosts) cluster.net.cutAnchorRpc(h);
      } else if (e.kind === "partition") {
        io.log(`slot ${k}: partition ${e.hosts.join(",")} | rest`);
        cluster.net.partition(e.hosts, e.rest);
        partitionGroups = [e.hosts, e.rest];
        for (const h of e.hosts) cutSince.set(h, t);
      } else if (e.kind === "heal") {
        io.log(`slot ${k}: heal`);
        cluster.net.heal();
        partitionGroups = null;
        for (const h of e.hosts) {
          closeOutage(h, cutSince.get(h), Date.now());
          cutSince.delete(h);
        }
      }
      sampleQuorum();
    }
  };
  // Quorum of the whole set among `hosts`.
  const total = cluster.set.verifiers.length;
  const keysOf = (hosts) => hosts.length * sc.keysPerNode;
  const hasQuorum = (hosts) =>
    keysOf(hosts) * cluster.set.quorum.denominator > total * cluster.set.quorum.numerator;
  /** Whether a connected group of running hosts holds a quorum, from time t on: [{t, quorum}]. */
  const quorumTimeline = [];
  const sampleQuorum = () => {
    const up = cluster.nodes.filter((nd) => nd.up).map((nd) => nd.index);
    const groups = partitionGroups ? partitionGroups.map((g) => g.filter((h) => up.includes(h))) : [up];
    quorumTimeline.push({ t: Date.now(), quorum: groups.some(hasQuorum) });
  };
  /** A quorum was connected throughout [from, to]. */
  const quorumThroughout = (from, to) => {
    let at = quorumTimeline[0];
    for (const q of quorumTimeline) if (q.t <= from) at = q;
    if (!at?.quorum) return false;
    return quorumTimeline.every((q) => q.t <= from || q.t > to || q.quorum);
  };

  // ----- slots
  const counters0 = cluster.net.dataCounters();
  const cpuBase = cluster.nodes.map((nd) => cpuMs(nd.pid));
  const cpuSpent = cluster.nodes.map(() => 0);
  // Hosts never killed keep one process: their user/system split, and their CPU
  // over the second half of the slots (JIT compilation is mostly over by then;
  // the 8 × 8 benchmark skips 60 warm-up slots for the same reason).
  const pid0 = cluster.nodes.map((nd) => nd.pid);
  const split0 = cluster.nodes.map((nd) => cpuSplitMs(nd.pid));
  let half; // { block, cpu: per host }
  const runStart = Date.now();
  sampleQuorum();
  const startBlock = await cluster.wallet.getBlockNumber();
  await cluster.startSlots();

  const builder = makeWallet(BUILDER_KEY, cluster.rpcUrl);
  const builderAddress = fromHex(privateKeyToAccount(BUILDER_KEY).address);
  const gen = new BatchGenerator(rng);
  const tabled = []; // {slot, k}
  let last = startBlock;
  for (let k = 0; k < sc.slots && !aborted(); k++) {
    await applyEvents(k);
    if (k === Math.floor(sc.slots / 2))
      half = { block: await cluster.wallet.getBlockNumber(), cpu: cluster.nodes.map((nd) => cpuMs(nd.pid)) };
    if (rot && k === rotation.atSlot) rot.start(k);
    while (!aborted() && (await builder.getBlockNumber()) < last) await sleep(50);
    const { batches, via } = gen.slot();
    const to = via === "direct" ? cluster.table : cluster.orchestrator;
    const data =
      via === "direct" ? toHex(encodePostAndVerifyBatch(batches[0])) : orchestratorCalldata(batches);
    const hash = await builder.sendTransaction({ to, data, gas: 15_000_000n });
    const receipt = await builder.waitForTransactionReceipt({ hash, pollingInterval: 50 });
    last = receipt.blockNumber;
    if (receipt.status !== "success") {
      io.log(`slot ${receipt.blockNumber}: batch reverted`);
      continue;
    }
    const slot = receipt.blockNumber;
    tabled.push({ slot, k });
    if (sc.builder !== false) {
      const digest = eezTableDigest(batches.map((b) => ({ calldata: encodePostAndVerifyBatch(b) })));
      const observation = {
        stream: cluster.stream,
        slot,
        l1BlockNumber: slot,
        l1BlockHash: fromHex(receipt.blockHash),
        schema: SCHEMA_EEZ_V1,
        tableDigest: digest.tableDigest,
        entryCount: digest.entryCount,
      };
      const signed = signCommitment(
        cluster.domain,
        { observation, builder: builderAddress },
        fromHex(BUILDER_KEY),
      );
      const up = cluster.nodes.filter((nd) => nd.up);
      const via_ = up[k % up.length];
      await postJson(`${via_.api}/v1/commitments`, signedCommitmentToJson(signed), cluster.token).catch((e) =>
        io.log(`slot ${slot}: commitment not accepted: ${e.message}`),
      );
    }
    io.log(`slot ${slot} (${k + 1}/${sc.slots}) posted`);
  }
  // Settle: the last slot's confirmation, decision, anchoring (with the fallback anchorers' delay).
  for (let k = sc.slots; k < sc.slots + sc.settleSlots && !aborted(); k++) {
    await applyEvents(k);
    await sleep(slotMs);
  }
  await Promise.all([...restarting]);
  await rot?.finish();
  const runS = (Date.now() - runStart) / 1000;
  const graphAtEnd = await p2pGraph(cluster);
  // Honest hosts only: none of this should charge or ban anyone.
  const gossip = await sumNodeMetrics(cluster.nodes, {
    rejects: ["ocp_gossip_validation_total", (l) => l.result === "reject"],
    ignored: ["ocp_gossip_validation_total", (l) => l.result === "ignore"],
    charged: ["ocp_gossip_ignore_over_budget_total", () => true],
    banned: ["ocp_peer_events_total", (l) => l.event === "banned"],
    graylisted: ["ocp_peer_events_total", (l) => l.event === "graylisted"],
    // Distinct messages each node took in: more than one certificate per slot is
    // several aggregators' certificates, each circulating in full.
    certificates: ["ocp_gossip_validation_total", (l) => l.result === "accept" && l.kind === "certificate"],
    attestations: ["ocp_gossip_validation_total", (l) => l.result === "accept" && l.kind === "attestation"],
    // Every copy that arrived, against the distinct messages validated (each once).
    copies: ["ocp_gossip_messages_received_total", () => true],
    validated: ["ocp_gossip_validation_total", () => true],
  });
  const counters1 = cluster.net.dataCounters();
  const endBlock = await cluster.wallet.getBlockNumber();
  const blocks = Number(endBlock - startBlock);
  const cpuPerNode = cluster.nodes.map((nd, i) => cpuSpent[i] + (nd.up ? cpuMs(nd.pid) - cpuBase[i] : 0));
  const steady = cluster.nodes
    .map((_, i) => i)
    .filter((i) => cluster.nodes[i].up && cluster.nodes[i].pid === pid0[i]);
  const split1 = cluster.nodes.map((nd) => cpuSplitMs(nd.pid));
  const sumOf = (f) => steady.reduce((a, i) => a + (f(i) ?? 0), 0);
  const userMs = sumOf((i) => split1[i]?.user - split0[i]?.user);
  const sysMs = sumOf((i) => split1[i]?.sys - split0[i]?.sys);
  const halfBlocks = half === undefined ? 0 : Number(endBlock - half.block);
  const secondHalfCpu =
    steady.length > 0 && halfBlocks > 0
      ? sumOf((i) => cpuMs(cluster.nodes[i].pid) - half.cpu[i]) / steady.length / halfBlocks
      : null;
  const rss = cluster.nodes.map((nd) => peakRssMb(nd.pid)).filter((x) => x !== undefined);
  await heads.stop();

  // ----- collect: certificates each node holds (API, for any event missed), anchoring, evidence
  const streamHex = toHex(cluster.stream);
  const endTime = Date.now();
  for (const w of watchers) {
    const nd = cluster.nodes[w.index];
    if (!nd.up) continue;
    for (const { slot } of tabled) {
      if (w.certs.has(slot)) continue;
      const c = await getJson(`${nd.api}/v1/streams/${streamHex}/certificates/${slot}`).catch(
        () => undefined,
      );
      if (c) {
        // Held but its event was missed (the stream was reconnecting): counted as held at the end.
        w.certs.set(slot, endTime);
        onCert(w.index, slot, c);
      }
    }
    w.close();
  }
  const logs = await cluster.wallet.getContractEvents({
    address: cluster.anchor,
    abi: OcpAnchor.abi,
    eventName: "Anchored",
    fromBlock: startBlock,
    toBlock: endBlock,
  });
  const anchoredAt = new Map(logs.map((l) => [l.args.slot, l.blockNumber]));
  const evidence = watchers.flatMap((w) => w.evidence);
  const doubleSigners = new Set(
    evidence.filter((e) => e.kind === "verifier").map((e) => `${e.evidence.a.verifierIndex}@${e.slot}`),
  );
  const conflicts = [...certByRoot.values()].filter((s) => s.size > 1).length;

  // ----- figures
  const slots = tabled.length;
  const decidable = (slot) => heads.seen.get(slot + 1n);
  const firstCert = (slot) => {
    const ts = watchers.map((w) => w.certs.get(slot)).filter((t) => t !== undefined);
    return ts.length ? Math.min(...ts) : undefined;
  };
  // Hosts still down (anchorer-down) or cut off at the end: open outages.
  for (const [h, from] of [...downSince, ...cutSince]) closeOutage(h, from, Number.POSITIVE_INFINITY);
  const outageAt = (h, t) => outages[h].find((o) => o.from <= t && t < o.to);
  const latencies = [];
  let catchUpMax = 0;
  /** Where the longest catch-up was, to look for it in that host's log. */
  let catchUpWorst;
  let missing = 0;
  for (const { slot } of tabled) {
    const d = decidable(slot);
    const first = firstCert(slot);
    for (const w of watchers) {
      const t = w.certs.get(slot);
      const h = w.index;
      const outDuringDecision =
        d !== undefined && outages[h].some((o) => o.from <= d + slotMs && d - slotMs < o.to);
      if (
        t !== undefined &&
        d !== undefined &&
        !outDuringDecision &&
        (first === undefined || !outageAt(h, first))
      ) {
        latencies.push((t - d) / slotMs);
      }
      if (first === undefined) continue;
      // Catch-up: from when the certificate existed and this host could reach the network,
      // or from its return when it went down before it held the certificate.
      const o =
        outageAt(h, first) ?? outages[h].find((x) => x.from >= first && (t === undefined || x.from < t));
      const ref = o ? o.to : first;
      if (ref === Number.POSITIVE_INFINITY) continue;
      const catchUp = (t === undefined ? endTime - ref : Math.max(0, t - ref)) / slotMs;
      if (t === undefined) missing++;
      if (catchUp > catchUpMax) {
        catchUpMax = catchUp;
        catchUpWorst = { host: h, slot: Number(slot), after_outage: o !== undefined };
      }
    }
  }
  const certified = tabled.filter(({ slot }) => firstCert(slot) !== undefined);
  // A slot is decided from its decidable block on: votes, aggregation and gossip take part of a slot.
  const withQuorum = tabled.filter(({ slot }) => {
    const d = decidable(slot);
    return d !== undefined && quorumThroughout(d, d + slotMs / 2);
  });
  const anchored = tabled.filter(({ slot }) => anchoredAt.has(slot));
  const anchorDelays = anchored.map(({ slot }) => Number(anchoredAt.get(slot) - slot));
  const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const bytesPerNode = counters1.map((c, i) => ({
    tx: (c.txBytes - counters0[i].txBytes) / blocks,
    rx: (c.rxBytes - counters0[i].rxBytes) / blocks,
    rxPackets: (c.rxPackets - counters0[i].rxPackets) / blocks,
  }));
  const uniqueRx =
    SSZ_GOSSIP_MIN_BYTES.commitment +
    (cluster.set.verifiers.length - sc.keysPerNode) * SSZ_GOSSIP_MIN_BYTES.attestation +
    certBytes;
  const rxMean = mean(bytesPerNode.map((b) => b.rx));
  const fig = {
    hosts: n,
    hosts_without_peers_at_start: cluster.isolatedAtStart ?? 0,
    keys_per_host: sc.keysPerNode,
    slot_ms: slotMs,
    slots_with_table: slots,
    blocks,
    setup_s: round(setupS, 1),
    run_s: round(runS, 1),
    anchored_share: round(anchored.length / slots, 4),
    certified_share: round(certified.length / slots, 4),
    // Which slots, so that a miss can be looked for in that slot's logs.
    slots_not_certified: tabled
      .filter(({ slot }) => firstCert(slot) === undefined)
      .map(({ slot }) => Number(slot)),
    slots_not_anchored: tabled.filter(({ slot }) => !anchoredAt.has(slot)).map(({ slot }) => Number(slot)),
    cert_p50_slot_fraction: round(percentile(latencies, 50), 4),
    cert_p99_slot_fraction: round(percentile(latencies, 99), 4),
    anchor_delay_blocks_max: anchorDelays.length ? Math.max(...anchorDelays) : null,
    bytes_per_node_per_slot: Math.round(mean(bytesPerNode.map((b) => b.tx + b.rx))),
    bytes_sent_per_node_per_slot: Math.round(mean(bytesPerNode.map((b) => b.tx))),
    bytes_received_per_node_per_slot: Math.round(rxMean),
    // Each packet brings 66 bytes of Ethernet, IP and TCP headers of its own.
    packets_received_per_node_per_slot: Math.round(mean(bytesPerNode.map((b) => b.rxPackets))),
    unique_bytes_per_node_per_slot: uniqueRx,
    bytes_ratio_to_unique: round(rxMean / uniqueRx, 2),
    cpu_ms_per_node_per_slot: round(mean(cpuPerNode) / blocks, 1),
    cpu_ms_per_slot_by_host: cpuPerNode.map((c) => Math.round(c / blocks)),
    // Hosts never killed, from the middle slot on (JIT compilation mostly done).
    cpu_ms_per_node_per_slot_second_half: secondHalfCpu === null ? null : round(secondHalfCpu, 1),
    // Kernel time (veth, bridge, TUN forwarding of the emulated links are charged to the sender).
    cpu_system_share: userMs + sysMs > 0 ? round(sysMs / (userMs + sysMs), 3) : null,
    // The steady window (IDLE_STEADY_AFTER_MS on, idleSteadySeconds long); smoke: the first one.
    idle_cpu_ms_per_s: round(mean(idle.perNode), 2),
    idle_cpu_ms_per_s_max: round(Math.max(...idle.perNode), 2),
    // The first window, IDLE_SETTLE_MS after the last host's start (idleSeconds long).
    idle_cpu_ms_per_s_after_start: round(mean(idleEarly.perNode), 2),
    idle_bytes_per_node_per_s: Math.round(idle.bytesPerS),
    idle_peers_mean: round(mean(idle.peers), 1),
    idle_peers_max: Math.max(...idle.peers),
    idle_cpu_ms_per_s_per_peer: round(idle.fit?.slope, 3),
    idle_cpu_ms_per_s_at_zero_peers: round(idle.fit?.intercept, 2),
    // Full garbage collections in the steady idle window, per node (V8's memory
    // reducer runs them once a process goes quiet), and main-thread GC pauses.
    // Null when no node's /metrics had the GC histogram.
    idle_major_gcs_per_node: round(mean(idle.gc.filter((g) => g.majors !== null).map((g) => g.majors)), 2),
    idle_gc_pause_ms_per_s: round(
      mean(idle.gc.filter((g) => g.pauseMsPerS !== null).map((g) => g.pauseMsPerS)),
      2,
    ),
    peak_rss_mb: round(Math.max(...rss), 1),
    peak_rss_mb_mean: round(mean(rss), 1),
    double_signs: doubleSigners.size + conflicts,
    peers_at_end_min: Math.min(...graphAtEnd.degrees),
    p2p_components_at_end: graphAtEnd.components,
    evidence_items: evidence.length,
    gossip_rejects: gossip.rejects,
    gossip_ignored_per_node_per_slot: round(gossip.ignored / n / blocks, 1),
    certificates_accepted_per_node_per_slot: round(gossip.certificates / n / slots, 2),
    attestations_accepted_per_node_per_slot: round(gossip.attestations / n / slots, 1),
    // Copies of a message a node received beyond the first (its own published
    // messages coming back count as duplicates too).
    gossip_duplicates_per_message:
      gossip.validated > 0 ? round(gossip.copies / gossip.validated - 1, 2) : null,
    gossip_ignores_charged: gossip.charged,
    peers_banned: gossip.banned,
    peers_graylisted: gossip.graylisted,
  };
  if (sc.churn || sc.partition) {
    const certifiedWithQuorum = withQuorum.filter(({ slot }) => firstCert(slot) !== undefined).length;
    fig.slots_with_quorum = withQuorum.length;
    fig.certified_share_with_quorum = withQuorum.length
      ? round(certifiedWithQuorum / withQuorum.length, 4)
      : null;
    fig.max_slots_to_catch_up = round(catchUpMax, 2);
    fig.certificates_missing_at_end = missing;
    fig.max_catch_up_at = catchUpWorst ?? null;
  }
  if (rot)
    Object.assign(
      fig,
      await rot.figures({
        tabled,
        anchoredAt,
        activationTime: heads.seen.get(rot.set1.activationSlot),
        seen: heads.seen,
      }),
    );
  const stats = await cluster.emulator.stats().catch(() => undefined);
  if (stats) {
    const hs = Object.values(stats.hosts);
    const fwd = hs.reduce((a, h) => a + h.packets, 0);
    const dropped = hs.reduce((a, h) => a + h.dropped, 0);
    fig.emulator_loss_measured = round(dropped / (fwd + dropped), 4);
  }
  return fig;
}
