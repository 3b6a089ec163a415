// A node whose L1 RPC falls behind its peers' (docs/spec.md §5.3): the builder's
// commitment and the votes for a slot its head has not reached yet arrive
// before the node can judge them. They wait for the slot instead of being
// IGNOREd, which gossipsub's seen cache would make final: once the head
// catches up the node signs on the builder's commitment, without waiting for
// its self-proposal deadline.
import { observationRoot, toHex } from "@ocp/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { metricSum } from "../utils/metrics.js";
import { type Cluster, startCluster, waitFor } from "./helpers/cluster.js";
import { type RpcProxy, startRpcProxy } from "./helpers/rpcProxy.js";

describe("node: a head behind its peers'", () => {
  let c: Cluster;
  let proxy: RpcProxy;
  const rng = makeRng(7);
  const LAG = 3;

  beforeAll(async () => {
    c = await startCluster({ nodes: 4 });
    // Node 3 again, now reading L1 through a proxy this test can turn off.
    proxy = await startRpcProxy(c.anvil.rpcUrl);
    await c.nodes[LAG]!.stop();
    await c.startNode(LAG, (base) => ({ ...base, l1: { ...base.l1!, rpcUrls: [proxy.url] } }));
    await c.waitMeshed(2);
  });
  afterAll(async () => {
    await c?.stop();
    await proxy?.close();
  });

  it("holds the commitment and votes of a slot its head has not reached, and signs on the commitment once it has", async () => {
    const lag = c.nodes[LAG]!;
    const net = lag.metrics.network;
    const commitmentAccepts = () => metricSum(net.gossipValidation, { kind: "commitment", result: "accept" });
    const before = await commitmentAccepts();
    // Once it has the latest block, the lagging node's RPC fails: its head stays there.
    const head = await waitFor(
      () => {
        const h = lag.clock.currentSlot();
        return h !== null && h === c.nodes[0]!.clock.currentSlot() ? h : undefined;
      },
      10_000,
      "lagging node at the head",
    );
    proxy.setUp(false);
    await c.mine(1);
    const { slot, observation } = await c.post([randomBatch(rng, { maxEntries: 4 })], "direct");
    // Two slots or more past the lagging head: beyond the one-slot tolerance.
    expect(slot).toBeGreaterThanOrEqual(head + 2n);
    await c.commit(observation, 0);
    await c.mine(1);
    const root = toHex(observationRoot(c.domain, observation));
    // Three of four nodes are a quorum: the slot is certified without the lagging node.
    await waitFor(
      async () => (await c.nodes[0]!.db.certificates.getBest(c.stream, slot)) ?? undefined,
      20_000,
      "certificate on node 0",
    );
    // The commitment reached the lagging node and waits there, neither judged nor lost.
    await waitFor(
      async () =>
        (await metricSum(net.gossipFutureHold, { kind: "commitment", result: "held" })) >= 1
          ? true
          : undefined,
      10_000,
      "commitment held",
    );
    expect(lag.clock.currentSlot()).toBe(head);
    expect(await commitmentAccepts()).toBe(before);
    expect(
      await metricSum(net.gossipFutureHold, { kind: "attestation", result: "held" }),
    ).toBeGreaterThanOrEqual(1);

    // Its RPC is back: the head catches up, the held commitment is accepted and signed on.
    proxy.setUp(true);
    const signedOn = new Promise<string>((resolve) => {
      lag.events.on("attestation", (att) => {
        if (att.observation.slot === slot) resolve(toHex(observationRoot(att.domain, att.observation)));
      });
    });
    expect(await signedOn).toBe(root);
    expect(await commitmentAccepts()).toBe(before + 1);
    expect(
      await metricSum(net.gossipFutureHold, { kind: "commitment", result: "due" }),
    ).toBeGreaterThanOrEqual(1);
    // Nothing of it was IGNOREd as from the future.
    expect(
      await metricSum(net.gossipValidation, {
        kind: "commitment",
        result: "ignore",
        code: "COMMITMENT_ERROR_SLOT_FROM_FUTURE",
      }),
    ).toBe(0);
    const cert = await waitFor(
      async () => (await lag.db.certificates.getBest(c.stream, slot)) ?? undefined,
      20_000,
      "certificate on the lagging node",
    );
    expect(toHex(observationRoot(cert.domain, cert.observation))).toBe(root);
  });
});
