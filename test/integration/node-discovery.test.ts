// Issue 14, a network that heals: five nodes, each of nodes 1–4 given only
// node 0 as its bootstrap peer. When node 0 leaves, its PRUNEs carry peer
// exchange (the other peers' signed records); nodes 1–4 accept it because
// node 0 is their configured peer, dial each other, and keep certifying
// without it (4 of 5 keys ≥ the 2/3 quorum).

import { GossipKind } from "@ocp/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { type Cluster, startCluster, waitFor } from "./helpers/cluster.js";

describe("node: peers learned by peer exchange", () => {
  let c: Cluster;
  const rng = makeRng(1414);

  beforeAll(async () => {
    c = await startCluster({ nodes: 5, bootstrapOf: (i) => (i === 0 ? [] : [0]) });
  });
  afterAll(async () => {
    await c?.stop();
  });

  const rest = [1, 2, 3, 4] as const;
  const peersOf = (i: number) => c.nodes[i]!.network.getPeers().map((p) => p.peerId);

  it("node 0 leaves: the others find each other through it and certify without it", async () => {
    const id0 = c.nodes[0]!.network.peerId;
    // Node 0's attestation mesh holds all four (its heartbeat grafts them): its leave prunes each.
    await waitFor(
      () => (c.nodes[0]!.network.gossip.getMeshPeers(GossipKind.attestation).length === 4 ? true : undefined),
      20_000,
      "node 0 meshed with every peer",
    );
    // Before: each of nodes 1–4 knows node 0 only.
    for (const i of rest) expect(peersOf(i)).toEqual([id0]);

    await c.nodes[0]!.stop();
    c.nodes[0] = undefined;

    // Every remaining node reaches the others (a full mesh of four: 3 peers each).
    await waitFor(
      () => (rest.every((i) => peersOf(i).filter((p) => p !== id0).length === 3) ? true : undefined),
      30_000,
      "nodes 1-4 connected to each other",
    );

    const p = await c.post([randomBatch(rng)], "direct");
    await c.commit(p.observation, 1);
    await c.mine(1);
    for (const i of rest)
      await waitFor(
        () => c.nodes[i]!.db.certificates.getBest(c.stream, p.slot),
        30_000,
        `certificate at node ${i}`,
      );
    const cert = await c.nodes[4]!.db.certificates.getBest(c.stream, p.slot);
    expect(cert).toBeDefined();
  });
});
