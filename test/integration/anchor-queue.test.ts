// Anchoring that never gives up: slots certified while the anchor chain's RPC
// fails are anchored once it recovers, a restarted anchorer anchors what it
// left queued, a second quorum for another observation reaches the chain as a
// conflict, and two anchorers on a chain with a fixed block time send exactly
// one transaction per slot. Real anvil, real nodes.
import { OcpAnchor } from "@ocp/contracts";
import {
  type Attestation,
  buildCertificate,
  buildVerifierSet,
  encodeCertificateSsz,
  getBls,
  type Observation,
  observationRoot,
  toHex,
} from "@ocp/protocol";
import { createPublicClient, decodeFunctionData, type Hex, http } from "viem";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { type Cluster, startCluster, waitFor } from "./helpers/cluster.js";
import { type RpcProxy, startRpcProxy } from "./helpers/rpcProxy.js";

function chainReader(c: Cluster) {
  const client = createPublicClient({ chain: foundry, transport: http(c.anvil.rpcUrl) });
  const view = (functionName: string, args: unknown[]): Promise<unknown> =>
    client.readContract({ address: c.anchorAddress, abi: OcpAnchor.abi, functionName, args } as never);
  return {
    client,
    conflicted: (slot: bigint) => view("conflicted", [toHex(c.stream), slot]) as Promise<boolean>,
  };
}

describe("anchoring queue: outage, restart, conflict", () => {
  let c: Cluster;
  let proxy: RpcProxy;
  let chain: ReturnType<typeof chainReader>;
  const rng = makeRng(13);
  const certified: { slot: bigint; observation: Observation }[] = [];

  /** Posts a batch, has it committed and certified on node 0. */
  const certify = async (): Promise<{ slot: bigint; observation: Observation }> => {
    const posted = await c.post([randomBatch(rng)], "direct");
    await c.commit(posted.observation);
    await c.mine(1);
    await waitFor(() => c.nodes[0]!.db.certificates.getBest(c.stream, posted.slot), 20_000, "certificate");
    return posted;
  };

  beforeAll(async () => {
    c = await startCluster({
      nodes: 4,
      anchorers: [0],
      // The anchorer reaches anvil through the proxy, started once anvil is up.
      setup: async ({ rpcUrl }) => {
        proxy = await startRpcProxy(rpcUrl);
        return {};
      },
      anchorOptions: {
        get rpcUrl() {
          return proxy.url;
        },
        blockTimeMs: 1000,
        retryMinMs: 200,
        retryMaxMs: 1000,
      },
    });
    chain = chainReader(c);
  });
  afterAll(async () => {
    await c?.stop();
    await proxy?.close();
  });

  it("anchors slots certified during an anchor RPC outage once it recovers, without a restart", async () => {
    proxy.setUp(false);
    for (let k = 0; k < 3; k++) certified.push(await certify());
    // The node tried and failed: nothing on chain, all three still queued.
    await waitFor(() => (proxy.refused > 3 ? true : undefined), 10_000, "failed attempts");
    for (const { slot } of certified) expect(await c.anchoredRoot(slot)).toBeUndefined();
    expect(c.nodes[0]!.anchor!.backlog).toBeGreaterThanOrEqual(3);
    expect((await c.nodes[0]!.db.anchorQueue.all()).length).toBeGreaterThanOrEqual(3);

    proxy.setUp(true);
    for (const { slot, observation } of certified) {
      const root = toHex(observationRoot(c.domain, observation));
      expect(await c.waitAnchored(slot)).toBe(root);
      const r = await waitFor(
        () => c.nodes[0]!.db.anchorReceipts.get({ stream: c.stream, slot }),
        10_000,
        "receipt",
      );
      expect(r.outcome).toBe("anchored");
    }
    // Anchored slots leave the durable queue.
    await waitFor(
      async () => ((await c.nodes[0]!.db.anchorQueue.all()).length === 0 ? true : undefined),
      10_000,
      "empty queue",
    );
  });

  it("a restarted anchorer anchors the slots it had certified but not anchored", async () => {
    proxy.setUp(false);
    const pending = [await certify(), await certify()];
    await waitFor(
      async () => ((await c.nodes[0]!.db.anchorQueue.all()).length >= 2 ? true : undefined),
      10_000,
      "queued",
    );
    await c.nodes[0]!.stop();
    c.nodes[0] = undefined;
    for (const { slot } of pending) expect(await c.anchoredRoot(slot)).toBeUndefined();
    proxy.setUp(true);
    await c.startNode(0);
    for (const { slot, observation } of pending) {
      const root = toHex(observationRoot(c.domain, observation));
      expect(await c.waitAnchored(slot)).toBe(root);
    }
  });

  it("submits a second quorum's certificate for another observation: the contract records the conflict", async () => {
    const { slot, observation } = certified[0]!;
    const anchored = toHex(observationRoot(c.domain, observation));
    expect(await c.anchoredRoot(slot)).toBe(anchored);
    expect(await chain.conflicted(slot)).toBe(false);
    // Three of the four keys (held by this test) sign a different table for the same slot.
    const other: Observation = { ...observation, tableDigest: new Uint8Array(32).fill(0x77) };
    const root = observationRoot(c.domain, other);
    const set = buildVerifierSet(c.set);
    const bls = getBls();
    const atts: Attestation[] = [0, 1, 2].map((i) => ({
      domain: c.domain,
      observation: other,
      setId: set.setId,
      verifierIndex: i,
      signature: bls.sign(c.keys[i]![0]!, root),
    }));
    const cert = buildCertificate(atts, set);
    const node = c.nodes[0]!;
    // Through the node's certificate validation, as a gossiped certificate would arrive.
    node.chain.certificate.accept(await node.chain.certificate.validate(encodeCertificateSsz(cert)));
    expect(
      await waitFor(async () => ((await chain.conflicted(slot)) ? true : undefined), 30_000, "conflict"),
    ).toBe(true);
    // The first observation stays anchored; our transaction's outcome came from its logs.
    expect(await c.anchoredRoot(slot)).toBe(anchored);
    const r = await waitFor(
      async () => {
        const x = await node.db.anchorReceipts.get({ stream: c.stream, slot });
        return x?.outcome === "conflicted" ? x : undefined;
      },
      10_000,
      "conflict receipt",
    );
    expect(r.outcome).toBe("conflicted");
  });
});

describe("anchoring: two anchorers on a chain with a fixed block time", () => {
  let c: Cluster;
  const rng = makeRng(14);

  beforeAll(async () => {
    // Fallback delay and receipt wait derived from the measured 4 s block time.
    c = await startCluster({
      nodes: 4,
      anchorers: [0, 1],
      anvil: { args: ["--block-time", "4"] },
      anchorOptions: { fallbackDelayMs: undefined },
    });
  });
  afterAll(async () => {
    await c?.stop();
  });

  it("sends exactly one anchoring transaction per slot over 10 slots", async () => {
    const chain = chainReader(c);
    const first = await chain.client.getBlockNumber();
    for (const i of [0, 1]) expect(c.nodes[i]!.anchor!.timing.blockTimeMs).toBe(4000);
    const slots: { slot: bigint; root: Hex }[] = [];
    for (let k = 0; k < 10; k++) {
      const { slot, observation } = await c.post([randomBatch(rng)], "direct");
      await c.commit(observation);
      slots.push({ slot, root: toHex(observationRoot(c.domain, observation)) });
    }
    for (const { slot, root } of slots) {
      expect(await c.waitAnchored(slot, 60_000)).toBe(root);
    }
    // Past every fallback delay: a late double submission would have landed by now.
    const settle = c.nodes[0]!.anchor!.timing.fallbackDelayMs + 2 * 4000;
    await new Promise((r) => setTimeout(r, settle));
    const last = await chain.client.getBlockNumber();
    const perSlot = new Map<bigint, number>();
    for (let b = first; b <= last; b++) {
      const block = await chain.client.getBlock({ blockNumber: b, includeTransactions: true });
      for (const tx of block.transactions) {
        if (tx.to?.toLowerCase() !== c.anchorAddress.toLowerCase()) continue;
        const call = decodeFunctionData({ abi: OcpAnchor.abi, data: tx.input });
        if (call.functionName !== "anchor") continue;
        const slot = (call.args[0] as { slot: bigint }).slot;
        perSlot.set(slot, (perSlot.get(slot) ?? 0) + 1);
      }
    }
    for (const { slot } of slots) expect(perSlot.get(slot), `transactions for slot ${slot}`).toBe(1);
  });
});
