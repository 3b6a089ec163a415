// Live verifier-set rotation: four running nodes learn their sets from
// OcpAnchor; the owner registers a new set (one key removed, one added)
// activating a few slots ahead. Every slot before and after is certified under
// the set that governs it on chain and anchored; no node restarts and no peer
// is penalised for voting under a set another node has not seen yet.
import { registerKeys, registerSet } from "@ocp/node/anchor";
import {
  buildVerifierSet,
  getBls,
  observationRoot,
  toHex,
  type VerifierSet,
  type VerifierSetData,
} from "@ocp/protocol";
import { BaseError, ContractFunctionRevertedError, type Hex, type PublicClient } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { anvilOwner } from "../utils/anvil.js";
import { type Cluster, startCluster, waitFor } from "./helpers/cluster.js";

const LEAD = 6n;

describe("live verifier-set rotation", () => {
  let c: Cluster;
  const rng = makeRng(21);

  beforeAll(async () => {
    c = await startCluster({
      nodes: 4,
      anchorers: [0],
      // Node 3 also holds the key that joins in the next set.
      extraKeys: { 3: 1 },
      setup: async ({ rpcUrl }) => ({ verifierSets: [], setsFromAnchor: { rpcUrl, refreshSlots: 4 } }),
    });
  });
  afterAll(async () => {
    await c?.stop();
  });

  it("certifies and anchors every slot under its own set across a rotation, with no restart and no penalty", async () => {
    const owner = anvilOwner(c.anvil.rpcUrl);
    const client = owner as unknown as PublicClient;
    const bls = getBls();
    const set0 = buildVerifierSet(c.set);
    // A short activation lead keeps the test short; nodes read it from the contract.
    await c.setActivationLead(LEAD);

    const sets: VerifierSet[] = [set0];
    const governing = (slot: bigint): VerifierSet => sets.filter((s) => s.activationSlot <= slot).at(-1)!;
    const posted: { slot: bigint; root: Hex }[] = [];
    const certifyOne = async (): Promise<void> => {
      const { slot, observation } = await c.post([randomBatch(rng)], "direct");
      await c.commit(observation);
      await c.mine(1);
      posted.push({ slot, root: toHex(observationRoot(c.domain, observation)) });
    };

    for (let k = 0; k < 2; k++) await certifyOne();

    // Epoch 1: verifier 3's key leaves, node 3's second key joins.
    const joining = c.extra[0]!.sk;
    const data1: VerifierSetData = {
      epoch: 1n,
      activationSlot: 0n,
      quorum: { numerator: 2, denominator: 3 },
      verifiers: [
        ...c.set.verifiers.slice(0, 3),
        { pubkey: bls.publicKeyToBytes(bls.publicKey(joining)), weight: 1n, pop: bls.popProve(joining) },
      ],
    };
    await registerKeys(owner, client, c.anchorAddress, data1.verifiers.slice(3));
    // Registration takes beginSet, addSetMembers and finalizeSet: three blocks, plus the lead.
    // Node 0's anchoring transactions mine blocks of their own meanwhile (automine), and may
    // push finalizeSet past the lead: then the epoch is begun again with a later activation,
    // as an owner would.
    for (let attempt = 1; ; attempt++) {
      data1.activationSlot = (await client.getBlockNumber({ cacheTime: 0 })) + LEAD + 4n;
      try {
        await registerSet(owner, client, c.anchorAddress, data1);
        break;
      } catch (e) {
        const tooSoon =
          e instanceof BaseError &&
          e.walk(
            (x) => x instanceof ContractFunctionRevertedError && x.data?.errorName === "ActivationTooSoon",
          );
        if (attempt >= 3 || !tooSoon) throw e;
      }
    }
    const set1 = buildVerifierSet(data1);
    sets.push(set1);

    // Each post and its extra mined block take two slots, so count the slots
    // posted under the new set rather than compare slot numbers.
    const underSet1 = () => posted.filter((p) => p.slot >= set1.activationSlot).length;
    while (posted.length < 4 || underSet1() < 3) await certifyOne();
    const before = posted.filter((p) => p.slot < set1.activationSlot);
    const after = posted.filter((p) => p.slot >= set1.activationSlot);
    expect(before.length).toBeGreaterThanOrEqual(2);
    expect(after.length).toBeGreaterThanOrEqual(3);

    for (const { slot, root } of posted) {
      const want = governing(slot);
      for (const [i, node] of c.nodes.entries()) {
        // Which node lacks it, and what it knows then: a failure names its cause.
        const cert = await waitFor(
          () => node!.db.certificates.getBest(c.stream, slot),
          30_000,
          () =>
            `cert ${slot} on node ${i} (set 1 activates at slot ${set1.activationSlot}; node ${i} knows set 1: ${node!.sets.get(set1.setId) !== undefined}, peers: ${node!.network.getPeers().length})`,
        );
        expect(toHex(observationRoot(cert.domain, cert.observation))).toBe(root);
        expect(toHex(cert.setId), `slot ${slot} set`).toBe(want.setIdHex);
      }
      expect(await c.waitAnchored(slot)).toBe(root);
    }
    // Every node learnt the new set while running.
    for (const node of c.nodes) expect(node!.sets.get(set1.setId)).toBeDefined();
    // No vote or certificate was rejected, no peer banned or graylisted.
    for (const node of c.nodes) {
      const metrics = await node!.registry.getMetricsAsJSON();
      const validation = metrics.find((m) => m.name === "ocp_gossip_validation_total");
      const rejects = (validation?.values ?? []).filter((v) => v.labels.result === "reject");
      expect(rejects.reduce((a, v) => a + v.value, 0)).toBe(0);
      expect(node!.network.bounds().peerBans?.size).toBe(0);
      for (const p of node!.network.getPeers()) {
        expect(node!.network.getPeerScore(p.peerId)).toBeGreaterThan(node!.network.graylistThreshold);
      }
    }
  });
});
