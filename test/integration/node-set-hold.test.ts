// A node that has not loaded a newly registered verifier set yet (its anchor
// RPC failed at the moment the set's first votes arrived) holds those votes
// and the certificate until a set refresh succeeds (docs/spec.md §5.3),
// instead of IGNOREing them, which gossipsub's seen cache would make final:
// once its RPC is back it counts its peers' votes under the new set.
import { registerSet } from "@ocp/node/anchor";
import { buildVerifierSet, observationRoot, toHex, type VerifierSetData } from "@ocp/protocol";
import type { PublicClient } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { anvilOwner } from "../utils/anvil.js";
import { metricSum } from "../utils/metrics.js";
import { type Cluster, startCluster, waitFor } from "./helpers/cluster.js";
import { type RpcProxy, startRpcProxy } from "./helpers/rpcProxy.js";

const LEAD = 4n;
const BEHIND = 3;

describe("node: a verifier set registered since its last refresh", () => {
  let c: Cluster;
  let proxy: RpcProxy;
  const rng = makeRng(31);

  beforeAll(async () => {
    c = await startCluster({
      nodes: 4,
      anchorers: [],
      // No periodic refresh during the test: sets are read at start, before
      // signing when not known current, and when a message names an unknown set.
      setup: async ({ rpcUrl }) => ({ verifierSets: [], setsFromAnchor: { rpcUrl, refreshSlots: 10_000 } }),
    });
    await c.setActivationLead(LEAD);
    // Node 3 again, now reading its sets through a proxy this test can turn off.
    proxy = await startRpcProxy(c.anvil.rpcUrl);
    await c.nodes[BEHIND]!.stop();
    await c.startNode(BEHIND, (base) => ({
      ...base,
      setsFromAnchor: { ...base.setsFromAnchor!, rpcUrl: proxy.url },
      // Longer than the default 6 s, so a slow machine cannot let the votes expire
      // before this test turns the RPC back on.
      network: { ...base.network, gossip: { ...base.network?.gossip, unknownSetHoldMs: 30_000 } },
    }));
    await c.waitMeshed(2);
  });
  afterAll(async () => {
    await c?.stop();
    await proxy?.close();
  });

  it("holds its peers' votes under the new set until a refresh succeeds, then counts them", async () => {
    const owner = anvilOwner(c.anvil.rpcUrl);
    const client = owner as unknown as PublicClient;
    // Epoch 1: the same verifiers, a new set id.
    const data1: VerifierSetData = {
      ...c.set,
      epoch: 1n,
      activationSlot: (await client.getBlockNumber({ cacheTime: 0 })) + LEAD + 4n,
    };
    await registerSet(owner, client, c.anchorAddress, data1);
    const set1 = buildVerifierSet(data1);
    // The other nodes know it; node 3's anchor RPC fails from now on.
    for (let i = 0; i < BEHIND; i++) await c.nodes[i]!.refreshSetsFromAnchor();
    proxy.setUp(false);
    const lag = c.nodes[BEHIND]!;
    expect(lag.sets.get(set1.setId)).toBeUndefined();

    const head = await client.getBlockNumber({ cacheTime: 0 });
    if (head < set1.activationSlot) await c.mine(Number(set1.activationSlot - head));
    const { slot, observation } = await c.post([randomBatch(rng, { maxEntries: 4 })], "direct");
    expect(slot).toBeGreaterThanOrEqual(set1.activationSlot);
    const root = toHex(observationRoot(c.domain, observation));
    const counted = new Set<number>();
    lag.events.on("attestation", (att) => {
      if (att.observation.slot === slot) counted.add(att.verifierIndex);
    });
    await c.commit(observation, 0);
    await c.mine(1);
    // Three of four are a quorum: the slot is certified under set 1 without node 3.
    const cert = await waitFor(
      async () => (await c.nodes[0]!.db.certificates.getBest(c.stream, slot)) ?? undefined,
      20_000,
      "certificate on node 0",
    );
    expect(toHex(cert.setId)).toBe(set1.setIdHex);
    const net = lag.metrics.network;
    const ignoredForSet = async () =>
      (await metricSum(net.gossipValidation, {
        kind: "attestation",
        result: "ignore",
        code: "ATTESTATION_ERROR_UNKNOWN_SET",
      })) +
      (await metricSum(net.gossipValidation, {
        kind: "attestation",
        result: "ignore",
        code: "ATTESTATION_ERROR_SETS_NOT_CURRENT",
      }));
    // Node 3's peers' votes reached it (held, or IGNOREd if not held).
    await waitFor(
      async () =>
        (await metricSum(net.gossipSetHold, { kind: "attestation", result: "held" })) +
          (await ignoredForSet()) >=
        3
          ? true
          : undefined,
      10_000,
      "votes at node 3",
    );
    expect(counted.size).toBe(0);

    // The refresh the votes asked for failed (viem tries a request 4 times) and
    // another has begun for them: the votes still wait.
    await waitFor(() => (proxy.refused >= 5 ? true : undefined), 5_000, "a failed refresh, then another");
    expect(counted.size).toBe(0);
    expect(await metricSum(net.gossipSetHold, { kind: "attestation", result: "expired" })).toBe(0);

    // Its RPC is back: a refresh loads set 1 and the held votes are counted.
    proxy.setUp(true);
    await waitFor(() => (counted.size >= 3 ? true : undefined), 10_000, "votes counted on node 3");
    expect(lag.sets.get(set1.setId)).toBeDefined();
    expect(await metricSum(net.gossipSetHold, { kind: "attestation", result: "due" })).toBeGreaterThanOrEqual(
      3,
    );
    // None of them was IGNOREd for its set.
    expect(await ignoredForSet()).toBe(0);
    const held = await waitFor(
      async () => (await lag.db.certificates.getBest(c.stream, slot)) ?? undefined,
      20_000,
      "certificate on node 3",
    );
    expect(toHex(observationRoot(held.domain, held.observation))).toBe(root);
  });
});
