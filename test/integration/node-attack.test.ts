// Issue proofs 1–3 ("node under attack"): builder and verifier equivocation
// evidence reaches every node; a raw hostile libp2p peer flooding one node at
// 2,000 messages/s is rejected code by code, scored down, graylisted and
// banned while honest certificates keep forming and every bound holds.
import { randomBytes } from "node:crypto";
import { RPC } from "@libp2p/gossipsub/message";
import {
  boundsExceeded,
  defaultGossipScoreThresholds,
  GOSSIP_MAX_BYTES,
  GossipKind,
  gossipTopic,
  type HostStream,
  Network,
  type OcpNode,
  ReqRespProtocolName,
  ResponseCode,
  reqRespProtocolId,
} from "@ocp/node";
import {
  type Attestation,
  decodeCertificatesByRangeRequestSsz,
  encodeAttestationSsz,
  encodeCertificateSsz,
  encodeCertificatesByRangeResponseSsz,
  encodeSignedCommitmentSsz,
  encodeTableByDigestRequestSsz,
  fromHex,
  getBls,
  type Observation,
  observationRoot,
  SszErrorCode,
  SszEvidenceKind,
  signCommitment,
  toHex,
} from "@ocp/protocol";
import * as lp from "it-length-prefixed";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { domainKey, slotKey } from "../../packages/node/src/chain/pools/keys.js";
import { ANVIL_PRIVATE_KEYS } from "../../packages/node/src/devnet/anvil.js";
import { makeRng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { arrayBufferGrowth } from "../utils/gc.js";
import { metricSum, metricValue, series } from "../utils/metrics.js";
import { BUILDER_KEY, type Cluster, startCluster, waitFor } from "./helpers/cluster.js";

const NETWORK = "itest";
const BUILDER = fromHex(privateKeyToAccount(ANVIL_PRIVATE_KEYS[1]).address);
const bls = getBls();

describe("node under attack", () => {
  let c: Cluster;
  let nodes: OcpNode[];
  const rng = makeRng(7);
  /** Every bounds() violation seen by the background sampler. */
  const violations: string[] = [];
  let sampler: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    c = await startCluster({ nodes: 4 });
    nodes = c.nodes as OcpNode[];
    await waitFor(() => nodes.every((n) => n.network.getPeers().length >= 3) || undefined, 20_000, "mesh");
    sampler = setInterval(() => {
      for (const [i, n] of nodes.entries())
        for (const name of boundsExceeded(n.bounds())) violations.push(`node ${i}: ${name}`);
    }, 100);
  }, 60_000);
  afterAll(async () => {
    clearInterval(sampler);
    await c?.stop();
  });

  const rootHex = (o: Observation) => toHex(observationRoot(c.domain, o));
  const placeKey = (slot: bigint) => slotKey(domainKey(c.domain), toHex(c.stream), slot);

  async function certifiedEverywhere(slot: bigint, root: string): Promise<void> {
    for (const node of nodes) {
      await waitFor(
        async () => {
          const got = await node.db.certificates.getBest(c.stream, slot);
          return got && rootHex(got.observation) === root ? got : undefined;
        },
        20_000,
        `certificate for slot ${slot}`,
      );
    }
  }

  async function evidenceEverywhere(slot: bigint, kind: SszEvidenceKind): Promise<void> {
    for (const [i, node] of nodes.entries()) {
      await waitFor(
        async () =>
          (await node.db.evidence.range(c.stream, slot, slot + 1n)).some((e) => e.kind === kind) || undefined,
        15_000,
        `evidence kind ${kind} for slot ${slot} on node ${i}`,
      );
    }
  }

  function noCertificateFor(slot: bigint, root: string): void {
    for (const node of nodes) {
      const roots = node.chain.pools.certificates.forSlot(placeKey(slot)).map((p) => p.rootHex);
      expect(roots).not.toContain(root);
    }
  }

  it("builder equivocation: at most one certificate, every node stores the evidence", async () => {
    const { slot, observation } = await c.post([randomBatch(rng, { maxEntries: 3 })], "direct");
    const lie = { ...observation, tableDigest: new Uint8Array(32).fill(0x5a) };
    const truthC = signCommitment(c.domain, { observation, builder: BUILDER }, BUILDER_KEY);
    const lieC = signCommitment(c.domain, { observation: lie, builder: BUILDER }, BUILDER_KEY);
    await nodes[1]!.submitCommitment(lieC);
    await nodes[2]!.submitCommitment(truthC).catch(() => undefined); // may already be held by gossip
    await c.mine(1);
    await evidenceEverywhere(slot, SszEvidenceKind.BuilderEquivocation);
    await certifiedEverywhere(slot, rootHex(observation));
    noCertificateFor(slot, rootHex(lie));
    for (const node of nodes) {
      const held = await node.db.evidence.range(c.stream, slot, slot + 1n);
      const ev = held.find((e) => e.kind === SszEvidenceKind.BuilderEquivocation);
      expect(ev?.kind).toBe(SszEvidenceKind.BuilderEquivocation);
      if (ev?.kind !== SszEvidenceKind.BuilderEquivocation) continue;
      const roots = [ev.evidence.a, ev.evidence.b].map((s) => rootHex(s.commitment.observation)).sort();
      expect(roots).toEqual([rootHex(observation), rootHex(lie)].sort());
    }
  }, 60_000);

  it("verifier equivocation: every node stores the evidence; the key counts once", async () => {
    const { slot, observation } = await c.post([randomBatch(rng, { maxEntries: 3 })], "direct");
    const lie = { ...observation, tableDigest: new Uint8Array(32).fill(0x6b) };
    const index = 3; // node 3's key: the set lists keys in node order
    const sk = c.keys[3]![0]!;
    const vote = (o: Observation): Attestation => ({
      domain: c.domain,
      observation: o,
      setId: setIdOf(c),
      verifierIndex: index,
      signature: bls.sign(sk, observationRoot(c.domain, o)),
    });
    await nodes[0]!.network.publish(GossipKind.attestation, encodeAttestationSsz(vote(lie)));
    await nodes[0]!.network.publish(GossipKind.attestation, encodeAttestationSsz(vote(observation)));
    await c.commit(observation, 1);
    await c.mine(1);
    await evidenceEverywhere(slot, SszEvidenceKind.VerifierEquivocation);
    await certifiedEverywhere(slot, rootHex(observation));
    noCertificateFor(slot, rootHex(lie));
    // A certificate from a peer may arrive while this node's own copies of the
    // votes still wait in its BLS batch: let every honest key's vote be counted first.
    const honest = c.keys
      .flat()
      .map((_, i) => i)
      .filter((i) => i !== index);
    await waitFor(
      () =>
        nodes.every((node) => {
          const truth = node.chain.pools.attestations
            .groups(placeKey(slot))
            .find((g) => g.rootHex === rootHex(observation));
          return honest.every((i) => truth?.byIndex.has(i));
        }) || undefined,
      20_000,
      "every honest vote counted",
    );
    for (const node of nodes) {
      // The key is counted in at most one root's group, whichever vote came first.
      const groups = node.chain.pools.attestations.groups(placeKey(slot));
      expect(groups.filter((g) => g.byIndex.has(index)).length).toBeLessThanOrEqual(1);
      for (const cert of node.chain.pools.certificates.forSlot(placeKey(slot))) {
        const group = groups.find((g) => g.rootHex === cert.rootHex);
        // A peer's certificate may count the key where this node counted its other vote.
        const elsewhere = groups.some((g) => g !== group && g.byIndex.has(index))
          ? cert.set.weights[index]!
          : 0n;
        expect(cert.signedWeight).toBeLessThanOrEqual((group?.signedWeight ?? 0n) + elsewhere);
      }
    }
  }, 60_000);

  it("a raw peer flooding 2,000 msg/s is rejected, graylisted and banned; honest slots still certify", async () => {
    const node0 = nodes[0]!;
    const topic = (k: GossipKind) => gossipTopic(NETWORK, k);
    const setId = setIdOf(c);

    // Real traffic to replay and to truncate: one honest slot, recorded on node 1.
    const real: { kind: GossipKind; data: Uint8Array }[] = [];
    nodes[1]!.events.on("attestation", (a) =>
      real.push({ kind: GossipKind.attestation, data: encodeAttestationSsz(a) }),
    );
    nodes[1]!.events.on("commitment", (s) =>
      real.push({ kind: GossipKind.commitment, data: encodeSignedCommitmentSsz(s) }),
    );
    nodes[1]!.events.on("certificate", (cert) =>
      real.push({ kind: GossipKind.certificate, data: encodeCertificateSsz(cert) }),
    );
    const s0 = await c.post([randomBatch(rng, { maxEntries: 2 })], "direct");
    await c.commit(s0.observation, 1);
    await c.mine(1);
    await certifiedEverywhere(s0.slot, rootHex(s0.observation));
    expect(real.length).toBeGreaterThan(0);

    // The attacker: a bare libp2p node (our Network with no topics: it answers
    // status, so only scoring can remove it) writing raw gossipsub RPC frames.
    const attacker = new Network({ network: NETWORK, localNetwork: true });
    await attacker.start();
    const target = node0.multiaddrs[0]!;
    const node0Id = await attacker.dial(target);
    const attackerId = attacker.peerId;
    await waitFor(
      () => node0.network.getPeers().some((p) => p.peerId === attackerId) || undefined,
      10_000,
      "attacker connected",
    );

    // Slot 1 is posted but not yet signed: forged copies of its votes go out first.
    const s1 = await c.post([randomBatch(rng, { maxEntries: 2 })], "direct");
    const root1 = observationRoot(c.domain, s1.observation);
    const strangerKey = bls.keygen(randomBytes(32));
    const forged = c.keys.map((_, i) =>
      encodeAttestationSsz({
        domain: c.domain,
        observation: s1.observation,
        setId,
        verifierIndex: i,
        signature: bls.sign(strangerKey, root1), // a valid G2 point, but not this index's signature
      }),
    );
    const codesBefore = await rejectCounts(node0);

    // One message of each hostile kind; `n` makes each distinct (gossipsub dedups by content).
    const other = { ...s1.observation, tableDigest: randomBytes(32) };
    const kinds = [
      GossipKind.commitment,
      GossipKind.attestation,
      GossipKind.certificate,
      GossipKind.evidence,
    ];
    let n = 0;
    const makers: (() => { topic: string; data: Uint8Array })[] = [
      // garbage
      () => ({ topic: topic(kinds[n % 4]!), data: randomBytes(1 + (n % 300)) }),
      // truncated real message
      () => {
        const r = real[n % real.length]!;
        return { topic: topic(r.kind), data: r.data.subarray(0, Math.max(1, r.data.length - 1 - (n % 64))) };
      },
      // oversized frame
      () => ({
        topic: topic(kinds[n % 4]!),
        data: randomBytes(GOSSIP_MAX_BYTES[kinds[n % 4]!] + 1 + (n % 512)),
      }),
      // bad signature: a real key's signature over another root
      () => ({
        topic: topic(GossipKind.attestation),
        data: encodeAttestationSsz({
          domain: c.domain,
          observation: { ...other, entryCount: n },
          setId,
          verifierIndex: n % c.keys.length,
          signature: bls.sign(c.keys[n % c.keys.length]![0]!, root1),
        }),
      }),
      // wrong set: signed by a key of a set this network does not know
      () => ({
        topic: topic(GossipKind.attestation),
        data: encodeAttestationSsz({
          domain: c.domain,
          observation: s1.observation,
          setId: randomBytes(32),
          verifierIndex: n % 4,
          signature: bls.sign(strangerKey, root1),
        }),
      }),
      // a commitment whose signature is not the named builder's
      () => ({
        topic: topic(GossipKind.commitment),
        data: encodeSignedCommitmentSsz(
          signCommitment(
            c.domain,
            { observation: { ...other, entryCount: n }, builder: BUILDER },
            randomBytes(32),
          ),
        ),
      }),
      // forged copy of a real vote of slot 1
      () => ({ topic: topic(GossipKind.attestation), data: forged[n % forged.length]! }),
      // replay of a real message
      () => {
        const r = real[n % real.length]!;
        return { topic: topic(r.kind), data: r.data };
      },
    ];
    // Signing per message would cap the rate: pre-build a pool of each kind.
    const pool = makers.map((make) =>
      Array.from({ length: 64 }, () => {
        n++;
        return make();
      }),
    );
    const frame = (msgs: { topic: string; data: Uint8Array }[]) =>
      lp.encode.single(RPC.encode({ subscriptions: [], messages: msgs })).subarray();

    const sent = { generated: 0, written: 0, reconnectsRefused: 0, reconnected: 0, streamEnded: false };
    let minScore = Number.POSITIVE_INFINITY;
    const scoreWatch = setInterval(() => {
      minScore = Math.min(minScore, node0.network.getPeerScore(attackerId));
    }, 20);
    const attackMs = 10_000;
    const ratePerMs = 2; // 2,000 messages per second, paced by the wall clock
    const attack = (async () => {
      const queue: Uint8Array[] = [];
      let wake: (() => void) | undefined;
      let done = false;
      const source = async function* () {
        for (;;) {
          while (queue.length > 0) yield queue.shift()!;
          if (done) return;
          await new Promise<void>((r) => {
            wake = r;
          });
          wake = undefined;
        }
      };
      const stream = await attacker.openRawStream(node0Id, "/meshsub/1.1.0");
      const sinking = stream
        .sink(source())
        .catch(() => undefined)
        .finally(() => {
          sent.streamEnded = true;
        });
      // Forged copies and one of every kind lead the flood.
      queue.push(
        frame([
          ...forged.map((d) => ({ topic: topic(GossipKind.attestation), data: d })),
          ...pool.map((p) => p[0]!),
        ]),
      );
      const start = Date.now();
      let redial: Promise<void> | undefined;
      const total = attackMs * ratePerMs;
      while (sent.generated < total) {
        const elapsed = Math.min(Date.now() - start, attackMs);
        const due = Math.floor(elapsed * ratePerMs) - sent.generated;
        const msgs = Array.from({ length: due }, (_, j) => {
          const i = sent.generated + j;
          const kind = pool[i % pool.length]!;
          return kind[Math.floor(i / pool.length) % kind.length]!;
        });
        sent.generated += msgs.length;
        if (!sent.streamEnded) {
          if (msgs.length > 0) queue.push(frame(msgs));
          wake?.();
          sent.written += msgs.length;
        } else {
          // Banned and cut off: every attempt to come back must fail.
          redial ??= attacker
            .dial(target)
            .then(async () => {
              await new Promise((r) => setTimeout(r, 200));
              if (node0.network.getPeers().some((p) => p.peerId === attackerId)) sent.reconnected++;
              else sent.reconnectsRefused++;
            })
            .catch(() => {
              sent.reconnectsRefused++;
            })
            .finally(() => {
              setTimeout(() => {
                redial = undefined;
              }, 300);
            });
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      done = true;
      wake?.();
      await Promise.race([sinking, new Promise((r) => setTimeout(r, 1000))]);
      await redial;
    })();

    // Honest slots during the attack: slot 1 (whose votes were forged first) and two more.
    await new Promise((r) => setTimeout(r, 300));
    await c.commit(s1.observation, 1);
    await c.mine(1);
    const during: { slot: bigint; observation: Observation }[] = [s1];
    for (let i = 0; i < 2; i++) {
      await new Promise((r) => setTimeout(r, 1500));
      const s = await c.post([randomBatch(rng, { maxEntries: 2 })], "direct");
      await c.commit(s.observation, 2);
      await c.mine(1);
      during.push(s);
    }
    for (const s of during) await certifiedEverywhere(s.slot, rootHex(s.observation));
    await attack;
    clearInterval(scoreWatch);
    await attacker.stop();

    // Every hostile kind was refused with its own code.
    const after = await rejectCounts(node0);
    const delta = (code: string) => (after.get(code) ?? 0) - (codesBefore.get(code) ?? 0);
    const ssz = Object.values(SszErrorCode).reduce((s, code) => s + delta(code), 0);
    expect(ssz, "garbage and truncated payloads").toBeGreaterThan(0);
    expect(delta("GOSSIP_ERROR_MESSAGE_TOO_LARGE"), "oversized").toBeGreaterThan(0);
    expect(delta("ATTESTATION_ERROR_INVALID_SIGNATURE"), "bad and forged signatures").toBeGreaterThanOrEqual(
      forged.length,
    );
    expect(delta("ATTESTATION_ERROR_UNKNOWN_SET"), "wrong set (ignored)").toBeGreaterThan(0);
    expect(delta("COMMITMENT_ERROR_INVALID_SIGNATURE"), "bad builder signature").toBeGreaterThan(0);

    // Scored down below the graylist, banned, disconnected, and kept out.
    expect(sent.generated).toBe(20_000);
    expect(sent.written).toBeGreaterThan(0);
    expect(minScore).toBeLessThan(defaultGossipScoreThresholds.graylistThreshold);
    expect(node0.network.peers.isBanned(attackerId)).toBe(true);
    expect(
      await metricValue(series(node0.registry, "ocp_peer_events_total"), { event: "graylisted" }),
    ).toBeGreaterThanOrEqual(1);
    expect(sent.streamEnded).toBe(true);
    expect(sent.reconnectsRefused).toBeGreaterThan(0);
    expect(sent.reconnected).toBe(0);
    expect(node0.network.getPeers().some((p) => p.peerId === attackerId)).toBe(false);

    // Forged copies did not suppress the real votes; replays added nothing.
    for (const s of during) {
      for (const node of nodes) {
        const groups = node.chain.pools.attestations.groups(placeKey(s.slot));
        expect(groups.map((g) => g.rootHex)).toEqual([rootHex(s.observation)]);
        expect(groups[0]!.byIndex.size).toBeLessThanOrEqual(c.keys.length);
      }
    }
    // The attacked node counted every real vote of slot 1 despite the forged copies it got first.
    await waitFor(
      () =>
        node0.chain.pools.attestations.groups(placeKey(s1.slot))[0]?.byIndex.size === c.keys.length ||
        undefined,
      10_000,
      "all real votes of slot 1 on node 0",
    );

    // Honest peers, all on 127.0.0.1, were not punished.
    for (const node of nodes) {
      for (const p of node.network.getPeers()) expect(p.score).toBeGreaterThanOrEqual(0);
    }
    // Every pool, cache and queue stayed within its bound the whole time.
    expect(violations).toEqual([]);
    for (const node of nodes) expect(boundsExceeded(node.bounds())).toEqual([]);
  }, 90_000);

  it("a peer answering certificate sync with forged certificates: one check per answer, charged, banned; honest peers fill the gap", async () => {
    const node = nodes[1]!;
    const { slot, observation } = await c.post([randomBatch(rng, { maxEntries: 2 })], "direct");
    await c.commit(observation, 0);
    await c.mine(1);
    await certifiedEverywhere(slot, rootHex(observation));

    // Every verifier "signed" another table for the slot: 64 such certificates
    // per answer, each with a valid G2 point that is nobody's signature.
    const lie = { ...observation, tableDigest: randomBytes(32) };
    const stranger = bls.keygen(randomBytes(32));
    const forged = encodeCertificatesByRangeResponseSsz(
      Array.from({ length: 64 }, () => ({
        domain: c.domain,
        observation: lie,
        setId: setIdOf(c),
        signers: Uint8Array.of((1 << c.keys.length) - 1),
        aggregateSignature: bls.sign(stranger, observationRoot(c.domain, lie)),
      })),
    );
    const attacker = new Network({ network: NETWORK, localNetwork: true });
    let answers = 0;
    await attacker.registerHandler(ReqRespProtocolName.certificatesByRange, async function* (req) {
      const asked = decodeCertificatesByRangeRequestSsz(req.data);
      if (asked.startSlot > slot || asked.startSlot + BigInt(asked.count) <= slot) return;
      answers++;
      yield forged;
    });
    await attacker.start();
    const attackerId = attacker.peerId;
    try {
      await attacker.dial(node.multiaddrs[0]!);
      await waitFor(
        () => node.network.getPeers().some((p) => p.peerId === attackerId) || undefined,
        10_000,
        "attacker connected",
      );
      const syncSeries = series(node.registry, "ocp_sync_certificates_total");
      const before = {
        rejected: await metricValue(syncSeries, { result: "rejected" }),
        dropped: await metricValue(syncSeries, { result: "dropped" }),
        charged: await metricValue(series(node.registry, "ocp_peer_events_total"), { event: "bad_response" }),
      };
      // The node keeps losing the slot's certificate and asks peers for it
      // (three of its four at random each time) until the attacker is banned.
      for (let round = 0; round < 40 && !node.network.peers.isBanned(attackerId); round++) {
        node.chain.pools.certificates.prune(slot + 1n);
        await node.db.certificates.delete({ stream: c.stream, slot });
        await node.syncCertificates();
        // Its honest peers gave it back.
        const back = await waitFor(
          () => node.db.certificates.getBest(c.stream, slot),
          10_000,
          "certificate back",
        );
        expect(rootHex(back.observation)).toBe(rootHex(observation));
        // Under the peers' request allowance (2 per second).
        await new Promise((r) => setTimeout(r, 600));
      }
      expect(answers).toBeGreaterThan(0);
      // One failed check per answer, and that answer's other 63 left unread.
      expect((await metricValue(syncSeries, { result: "rejected" })) - before.rejected).toBe(answers);
      expect((await metricValue(syncSeries, { result: "dropped" })) - before.dropped).toBe(63 * answers);
      expect(
        (await metricValue(series(node.registry, "ocp_peer_events_total"), { event: "bad_response" })) -
          before.charged,
      ).toBe(answers);
      // Charged like gossip REJECTs: banned after about ten, disconnected, and kept out.
      expect(node.network.peers.isBanned(attackerId)).toBe(true);
      expect(answers).toBeLessThanOrEqual(12);
      await waitFor(
        () => !node.network.getPeers().some((p) => p.peerId === attackerId) || undefined,
        10_000,
        "attacker disconnected",
      );
      // Coming back does not get it in: the dial fails, or the node closes it at once.
      await attacker.dial(node.multiaddrs[0]!).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 300));
      expect(node.network.getPeers().some((p) => p.peerId === attackerId)).toBe(false);
      // Honest peers were not charged.
      for (const p of node.network.getPeers()) expect(p.score).toBeGreaterThanOrEqual(0);
    } finally {
      await attacker.stop();
    }
  }, 90_000);

  it("peers asking for a large table and not reading it: one response per peer, four in all; nothing is lost", async () => {
    // Each response holds its table until the peer has read it or the
    // response times out (20 s), read or not: 32 bytes asked, 8 MiB held.
    const node = nodes[2]!;
    const table = randomBytes(8 * 1024 * 1024);
    const digest = randomBytes(32);
    const { slot } = await c.post([randomBatch(rng, { maxEntries: 1 })], "direct");
    await node.db.tables.put(c.stream, slot, digest, table);
    const request = lp.encode.single(
      encodeTableByDigestRequestSsz({ stream: c.stream, tableDigest: digest }),
    );
    const inbound = series(node.registry, "ocp_reqresp_inbound_total");
    const busyBefore = await metricValue(inbound, { protocol: "table_by_digest", result: "busy" });
    const attackers = Array.from({ length: 6 }, () => new Network({ network: NETWORK, localNetwork: true }));
    const open: HostStream[] = [];
    try {
      for (const a of attackers) await a.start();
      for (const a of attackers) await a.dial(node.multiaddrs[0]!);
      await waitFor(
        () => attackers.every((a) => node.network.getPeers().some((p) => p.peerId === a.peerId)) || undefined,
        10_000,
        "attackers connected",
      );
      const grownSince = arrayBufferGrowth();
      // Three requests from each peer at once (within its burst of 4), and
      // then only the first 4 bytes of each answer read: the frame's length
      // prefix and its code.
      const protocolId = reqRespProtocolId(ReqRespProtocolName.tableByDigest);
      for (const a of attackers)
        for (let k = 0; k < 3; k++) open.push(await a.openRawStream(node.network.peerId, protocolId));
      const codes = await Promise.all(
        open.map(async (stream) => {
          stream.sink([request.subarray()]).catch(() => undefined);
          const reader = stream.source[Symbol.asyncIterator]();
          let head = new Uint8Array(0);
          while (head.length < 4) {
            const next = await reader.next();
            if (next.done) break;
            head = Uint8Array.from([...head, ...next.value.subarray(0, 4 - head.length)]);
          }
          // Frame = varint(length) ‖ code ‖ payload; a 1 MiB frame's length takes 3 bytes.
          return head[0]! & 0x80 ? head[3] : head[1];
        }),
      );
      const grown = grownSince();
      const served = codes.filter((code) => code === ResponseCode.SUCCESS).length;
      expect(served).toBe(4);
      expect(codes.filter((code) => code === ResponseCode.RATE_LIMITED)).toHaveLength(open.length - 4);
      // A peer's second and third request, while its first is in progress,
      // are charged; those refused only because four were in progress are
      // not (the peer did nothing wrong).
      expect(
        (await metricValue(inbound, { protocol: "table_by_digest", result: "busy" })) - busyBefore,
      ).toBeGreaterThan(0);
      attackers.forEach((a, j) => {
        const servedTo = codes.slice(3 * j, 3 * j + 3).filter((code) => code === ResponseCode.SUCCESS).length;
        const penalty = node.network.penalties.score(a.peerId);
        if (servedTo === 0) expect(penalty).toBeGreaterThanOrEqual(0);
        else expect(penalty).toBeLessThan(0);
      });
      // Held by the node: four tables (and their frames in flight) at most;
      // unlimited, all 18 (over 144 MiB).
      expect(grown, `buffers grew by ${grown} bytes`).toBeLessThan(8 * table.length);
    } finally {
      for (const s of open) s.abort(new Error("test over"));
      for (const a of attackers) await a.stop();
    }
    // The responses held end with the attackers' streams; an honest peer is served the whole table.
    const chunks = await waitFor(
      () =>
        nodes[0]!.network
          .request(
            node.network.peerId,
            ReqRespProtocolName.tableByDigest,
            encodeTableByDigestRequestSsz({ stream: c.stream, tableDigest: digest }),
          )
          .catch(() => undefined),
      10_000,
      "honest table request served",
    );
    expect(Buffer.concat(chunks).equals(table)).toBe(true);
  }, 60_000);
});

function setIdOf(c: Cluster): Uint8Array {
  const set = c.nodes[0]!.sets.governing(0n);
  if (set === undefined) throw new Error("no governing set");
  return set.setId;
}

async function rejectCounts(node: OcpNode): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const m = series(node.registry, "ocp_gossip_validation_total");
  const codes = [
    ...Object.values(SszErrorCode),
    "GOSSIP_ERROR_MESSAGE_TOO_LARGE",
    "ATTESTATION_ERROR_INVALID_SIGNATURE",
    "ATTESTATION_ERROR_UNKNOWN_SET",
    "COMMITMENT_ERROR_INVALID_SIGNATURE",
  ];
  // An unknown set id is IGNOREd (it may be a rotation this node has not seen yet), never penalised.
  for (const code of codes)
    out.set(
      code,
      await metricSum(m, { result: code === "ATTESTATION_ERROR_UNKNOWN_SET" ? "ignore" : "reject", code }),
    );
  return out;
}
