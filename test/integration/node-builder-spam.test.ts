// Throwaway builders: keys are free, so a spammer signs every commitment with a
// new key. 1,500 commitments at 150/s and 1,000 builder equivocations from such
// keys reach four nodes while honest slots are posted: nothing of it is stored
// or relayed, the nodes spend little CPU on it (a budget checked before any
// signature work, plain recovery), and every slot is certified through the
// allowlisted builder's commitment as usual.
import { randomBytes } from "node:crypto";
import { GossipKind, Network } from "@ocp/node";
import {
  addressFromPrivateKey,
  buildBuilderEquivocation,
  encodeEvidenceSsz,
  encodeSignedCommitmentSsz,
  type Observation,
  observationRoot,
  SszEvidenceKind,
  signCommitment,
  toHex,
} from "@ocp/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { BUILDER_KEY, type Cluster, startCluster, waitFor } from "./helpers/cluster.js";

const COMMITMENTS = 1500;
const EQUIVOCATIONS = 1000;
const RATE_PER_S = 150;
/** Honest slots of the baseline run. */
const SLOTS = 8;

function throwaway(c: Cluster, slot: bigint, tag: Uint8Array = randomBytes(32)) {
  const key = randomBytes(32);
  const observation: Observation = {
    stream: c.stream,
    slot,
    l1BlockNumber: slot,
    l1BlockHash: randomBytes(32),
    schema: new Uint8Array(32),
    tableDigest: tag,
    entryCount: 1,
  };
  return signCommitment(c.domain, { observation, builder: addressFromPrivateKey(key) }, key);
}

describe("throwaway builders", () => {
  let c: Cluster;
  let attacker: Network;
  const rng = makeRng(31);

  beforeAll(async () => {
    c = await startCluster({
      nodes: 4,
      // Long enough that a slot certified within the test's wait was certified
      // through the builder's commitment, never by self-proposal.
      node: { proposal: { selfProposeDelayMs: 60_000 } },
    });
    attacker = new Network({ network: "itest", localNetwork: true });
    // Subscribed so it can publish; it validates (and so relays) nothing.
    for (const kind of [GossipKind.commitment, GossipKind.evidence]) {
      attacker.subscribe(kind, async () => {
        throw new Error("not relaying");
      });
    }
    await attacker.start();
    for (const n of c.nodes) await attacker.dial(n!.multiaddrs[0]!);
    await waitFor(
      () =>
        c.nodes.every((n) => n!.network.getPeers().some((p) => p.peerId === attacker.peerId)) || undefined,
      10_000,
      "attacker connected to every node",
    );
  });
  afterAll(async () => {
    await attacker?.stop();
    await c?.stop();
  });

  it("stores and relays none of it, costs each node under 1 s of CPU, and every slot is certified", async () => {
    const head = () => c.nodes[0]!.clock.currentSlot() ?? 0n;
    // Equivocations are signed ahead (two commitments each); commitments as they go out.
    const evidence: Uint8Array[] = [];
    for (let i = 0; i < EQUIVOCATIONS; i++) {
      const key = randomBytes(32);
      const builder = addressFromPrivateKey(key);
      const a = throwaway(c, head());
      const obs = (o: Observation) => ({ ...o, tableDigest: randomBytes(32) });
      const x = signCommitment(c.domain, { observation: obs(a.commitment.observation), builder }, key);
      const y = signCommitment(c.domain, { observation: obs(a.commitment.observation), builder }, key);
      const ev = buildBuilderEquivocation(x, y);
      if (!ev.ok) throw new Error(ev.code);
      evidence.push(encodeEvidenceSsz({ kind: SszEvidenceKind.BuilderEquivocation, evidence: ev.value }));
    }

    // Honest slots: post, commit through node 0, wait until every node holds the certificate.
    const certifySlots = async (n: number, into: { slot: bigint; root: string }[]): Promise<void> => {
      for (let k = 0; k < n; k++) {
        const { slot, observation } = await c.post([randomBatch(rng, { maxEntries: 3 })], "direct");
        await c.commit(observation);
        await c.mine(1);
        into.push({ slot, root: toHex(observationRoot(c.domain, observation)) });
        for (const node of c.nodes) {
          await waitFor(
            () => node!.db.certificates.getBest(c.stream, slot),
            30_000,
            `certificate of ${slot}`,
          );
        }
      }
    };
    // Baseline: honest slots without spam, to tell the spam's cost apart from the nodes' usual work.
    const posted: { slot: bigint; root: string }[] = [];
    const baseCpu = process.cpuUsage();
    const baseWall = performance.now();
    await certifySlots(SLOTS, posted);
    const base = process.cpuUsage(baseCpu);
    const baseWallMs = performance.now() - baseWall;

    let signingMicros = 0;
    let sent = 0;
    let evSent = 0;
    const cpuBefore = process.cpuUsage();
    const spamWall = performance.now();
    const spam = setInterval(() => {
      // 15 per 100 ms = 150/s; the equivocations ride along at 100/s.
      for (let k = 0; k < RATE_PER_S / 10 && sent < COMMITMENTS; k++, sent++) {
        // Current and next slot: a full pool for the next slot would delay its builder.
        const slot = head() + BigInt(sent % 2);
        // The attacker signs in this process too: measured and left out.
        const t = process.cpuUsage();
        const bytes = encodeSignedCommitmentSsz(throwaway(c, slot));
        const d = process.cpuUsage(t);
        signingMicros += d.user + d.system;
        void attacker.publish(GossipKind.commitment, bytes).catch(() => 0);
      }
      for (let k = 0; k < 10 && evSent < EQUIVOCATIONS; k++, evSent++) {
        void attacker.publish(GossipKind.evidence, evidence[evSent]!).catch(() => 0);
      }
    }, 100);
    try {
      while (sent < COMMITMENTS || evSent < EQUIVOCATIONS) await certifySlots(1, posted);
    } finally {
      clearInterval(spam);
    }
    // Let the last messages be validated.
    await new Promise((r) => setTimeout(r, 1000));
    const cpu = process.cpuUsage(cpuBefore);
    const spamWallMs = performance.now() - spamWall;
    // Spam run CPU, less the attacker's signing, less the honest work per slot of the baseline.
    const spamSlots = posted.length - SLOTS;
    const honestMicros = ((base.user + base.system) * spamSlots) / SLOTS;
    const extraSeconds = (cpu.user + cpu.system - signingMicros - honestMicros) / 1e6;
    console.log(
      `throwaway-builder spam: ${sent} commitments, ${evSent} equivocations, ${posted.length} slots; ` +
        `extra CPU ${extraSeconds.toFixed(2)} s for ${c.nodes.length} nodes (${(extraSeconds / c.nodes.length).toFixed(2)} s each); ` +
        `spam run ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU in ${(spamWallMs / 1000).toFixed(1)} s, ` +
        `attacker signing ${(signingMicros / 1e6).toFixed(2)} s, baseline ${((base.user + base.system) / 1e6).toFixed(2)} s in ${(baseWallMs / 1000).toFixed(1)} s`,
    );
    expect(extraSeconds / c.nodes.length).toBeLessThan(1);

    for (const n of c.nodes) {
      // Every slot certified with the builder's observation.
      for (const { slot, root } of posted) {
        const cert = await n!.db.certificates.getBest(c.stream, slot);
        expect(toHex(observationRoot(cert!.domain, cert!.observation))).toBe(root);
      }
      // Nothing stored: only the real builder's commitments, no evidence at all.
      const builders = new Set<string>();
      for await (const k of n!.db.commitments.keys()) builders.add(toHex(k.builder));
      expect([...builders]).toEqual([toHex(addressFromPrivateKey(BUILDER_KEY))]);
      expect(await n!.db.evidence.range(c.stream, 0n)).toEqual([]);
      // Nothing relayed: no throwaway commitment or evidence was accepted (accepting is what relays).
      const metrics = await n!.registry.getMetricsAsJSON();
      const values = metrics.find((m) => m.name === "ocp_gossip_validation_total")?.values ?? [];
      const accepted = (kind: string) =>
        values
          .filter((v) => v.labels.kind === kind && v.labels.result === "accept")
          .reduce((a, v) => a + v.value, 0);
      expect(accepted("evidence")).toBe(0);
      // Commitments accepted from gossip: at most the real builder's, one per slot.
      expect(accepted("commitment")).toBeLessThanOrEqual(posted.length);
      const ignored = values
        .filter((v) => v.labels.kind === "commitment" && v.labels.result === "ignore")
        .reduce((a, v) => a + v.value, 0);
      expect(ignored).toBeGreaterThan(0);
    }
  });
});
