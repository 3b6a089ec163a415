// Issue proof 1–2: honest slots certified by every node (direct and through
// the orchestrator); a lying commitment gets no signature; without any
// builder the verifiers certify by self-proposal, also when the chain moves
// past the pending window before the self-proposal deadline.
import { buildVerifierSet, observationRoot, toHex, verifyCertificate } from "@ocp/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { type Cluster, signerCount, startCluster, waitFor } from "./helpers/cluster.js";

describe("node: honest path", () => {
  let c: Cluster;
  const rng = makeRng(42);

  beforeAll(async () => {
    c = await startCluster({ nodes: 4 });
    // Let the mesh form before the first slot.
    await c.waitMeshed(2);
  });
  afterAll(async () => {
    await c?.stop();
  });

  async function expectCertifiedEverywhere(slot: bigint, rootHex: string): Promise<void> {
    const sets = [buildVerifierSet(c.set)];
    for (const node of c.nodes) {
      const cert = await waitFor(
        async () => {
          const got = await node!.db.certificates.getBest(c.stream, slot);
          return got && toHex(observationRoot(got.domain, got.observation)) === rootHex ? got : undefined;
        },
        20_000,
        `certificate for slot ${slot}`,
      );
      expect(verifyCertificate(cert, sets).ok).toBe(true);
    }
  }

  it("certifies batches posted directly and through the orchestrator on every node", async () => {
    for (const via of ["direct", "orchestrator"] as const) {
      const batches = [randomBatch(rng, { maxEntries: 4 }), randomBatch(rng, { maxEntries: 4 })];
      const { slot, observation } = await c.post(batches, via);
      await c.commit(observation, 0);
      await c.mine(1);
      await expectCertifiedEverywhere(slot, toHex(observationRoot(c.domain, observation)));
    }
  });

  it("never signs a lying commitment, and self-proposes the truth without a builder", async () => {
    const { slot, observation } = await c.post([randomBatch(rng)], "direct");
    const lie = { ...observation, tableDigest: new Uint8Array(32).fill(7) };
    const lieRoot = toHex(observationRoot(c.domain, lie));
    await c.commit(lie, 1);
    await c.mine(1);
    await expectCertifiedEverywhere(slot, toHex(observationRoot(c.domain, observation)));
    for (const node of c.nodes) {
      const atts = await node!.db.attestations.bySlot(c.stream, slot);
      expect(atts.length).toBeGreaterThan(0);
      for (const a of atts) expect(toHex(observationRoot(a.domain, a.observation))).not.toBe(lieRoot);
    }

    // No builder at all.
    const none = await c.post([randomBatch(rng)], "orchestrator");
    await c.mine(1);
    await expectCertifiedEverywhere(none.slot, toHex(observationRoot(c.domain, none.observation)));
  });

  it("without a builder, a slot the chain leaves behind before the self-proposal deadline is still certified", async () => {
    const { slot, observation } = await c.post([randomBatch(rng)], "direct");
    const decided = new Set<number>();
    const listeners = c.nodes.map((n, i) => {
      const on = (e: { slot: bigint; decision: { verdict: string } }): void => {
        if (e.slot === slot && e.decision.verdict === "sign") decided.add(i);
      };
      n!.events.on("decision", on);
      return on;
    });
    await c.mine(1);
    try {
      await waitFor(() => decided.size === c.nodes.length || undefined, 10_000, "every node decided");
    } finally {
      for (const [i, n] of c.nodes.entries()) n!.events.off("decision", listeners[i]!);
    }
    // Every node now waits for a commitment that never comes (deadline 1.5 s);
    // the chain moves past the pending window (16 slots) well before that.
    await c.mine(20);
    await expectCertifiedEverywhere(slot, toHex(observationRoot(c.domain, observation)));
  });

  it("a node that kept up asks no peer for certificates; one missing a certificate asks for that slot", async () => {
    const requests = async (i: number): Promise<number> => {
      const m = await c.nodes[i]!.registry.getSingleMetric("ocp_reqresp_outbound_total")?.get();
      return (m?.values ?? [])
        .filter((v) => v.labels.protocol === "certificates_by_range")
        .reduce((n, v) => n + v.value, 0);
    };
    const { slot, observation } = await c.post([randomBatch(rng)], "direct");
    await c.commit(observation, 0);
    await c.mine(1);
    await expectCertifiedEverywhere(slot, toHex(observationRoot(c.domain, observation)));
    // Every slot since start is certified or known empty: nothing to ask.
    const before = await requests(1);
    expect(await c.nodes[1]!.syncCertificates()).toBe(0);
    expect(await requests(1)).toBe(before);

    // Forget the certificate (pool and db): the node asks for that slot and gets it back.
    const node = c.nodes[1]!;
    // First the heaviest one (every verifier signed): a heavier certificate still
    // on its way by gossip would otherwise refill the slot before the node asks.
    const n = c.set.verifiers.length;
    await waitFor(
      async () => {
        const best = await node.db.certificates.getBest(c.stream, slot);
        return best !== undefined && signerCount(best.signers, n) === n ? best : undefined;
      },
      10_000,
      "the certificate every verifier signed",
    );
    node.chain.pools.certificates.prune(slot + 1n);
    await node.db.certificates.delete({ stream: c.stream, slot });
    expect(await node.db.certificates.getBest(c.stream, slot)).toBeUndefined();
    expect(await node.syncCertificates()).toBeGreaterThan(0);
    expect(await requests(1)).toBeGreaterThan(before);
    const back = await waitFor(
      () => node.db.certificates.getBest(c.stream, slot),
      10_000,
      "synced certificate",
    );
    expect(toHex(observationRoot(back.domain, back.observation))).toBe(
      toHex(observationRoot(c.domain, observation)),
    );
  });
});
