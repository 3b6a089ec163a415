// Anchoring service: 4 verifier nodes, 2 of them anchorers, a real OcpAnchor
// on anvil. Every honest slot is anchored with one transaction when both
// anchorers are up; the fallback anchors when the slot's leader is down.
import { OcpAnchor } from "@ocp/contracts";
import { AnchorService } from "@ocp/node/anchor";
import { type Certificate, observationRoot, toHex } from "@ocp/protocol";
import { pino } from "pino";
import { createPublicClient, http } from "viem";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { ANVIL_PRIVATE_KEYS } from "../utils/anvil.js";
import { type Cluster, startCluster, waitFor } from "./helpers/cluster.js";

describe("anchoring service", () => {
  let c: Cluster;
  const rng = makeRng(5);
  const client = () => createPublicClient({ chain: foundry, transport: http(c.anvil.rpcUrl) });
  /** Transactions sent to the anchor contract for `slot`, by both anchorers. */
  const receipts = async (slot: bigint) => {
    const out = [];
    for (const i of [0, 1]) {
      const r = await c.nodes[i]?.db.anchorReceipts.get({ stream: c.stream, slot });
      if (r) out.push(r);
    }
    return out;
  };

  beforeAll(async () => {
    c = await startCluster({ nodes: 4, anchorers: [0, 1] });
  });
  afterAll(async () => {
    await c?.stop();
  });

  it("anchors every honest slot with one transaction when both anchorers are up", async () => {
    for (let k = 0; k < 3; k++) {
      const { slot, observation } = await c.post([randomBatch(rng)], k % 2 ? "orchestrator" : "direct");
      await c.commit(observation);
      await c.mine(1);
      const root = toHex(observationRoot(c.domain, observation));
      expect(await c.waitAnchored(slot)).toBe(root);
      const isFinal = await client().readContract({
        address: c.anchorAddress,
        abi: OcpAnchor.abi,
        functionName: "isFinal",
        args: [toHex(c.stream), slot, toHex(observation.tableDigest)],
      });
      expect(isFinal).toBe(true);
      // Past the fallback delay, still exactly one transaction for the slot.
      await waitFor(async () => ((await receipts(slot)).length > 0 ? true : undefined), 10_000, "receipt");
      await new Promise((r) => setTimeout(r, 3500));
      const rs = await receipts(slot);
      expect(rs).toHaveLength(1);
      expect(rs[0]!.outcome).toBe("anchored");
    }
  });

  it("the other anchorer steps in when the slot's leader is down", async () => {
    await c.nodes[1]!.stop();
    c.nodes[1] = undefined;
    // Find a slot that belongs to anchorer 1 (odd slots with 2 anchorers).
    let posted = await c.post([randomBatch(rng)], "direct");
    while (posted.slot % 2n !== 1n) {
      await c.commit(posted.observation);
      await c.mine(1);
      posted = await c.post([randomBatch(rng)], "direct");
    }
    await c.commit(posted.observation);
    await c.mine(1);
    const root = toHex(observationRoot(c.domain, posted.observation));
    expect(await c.waitAnchored(posted.slot)).toBe(root);
    const r = await waitFor(
      () => c.nodes[0]!.db.anchorReceipts.get({ stream: c.stream, slot: posted.slot }),
      10_000,
      "fallback receipt",
    );
    expect(r.outcome).toBe("anchored");
  });
});

describe("anchoring service: stuck transactions", () => {
  let c: Cluster;
  const rng = makeRng(6);

  beforeAll(async () => {
    // OcpAnchor deployed and the set registered; no node anchors by itself.
    c = await startCluster({ nodes: 4, anchorers: [] });
  });
  afterAll(async () => {
    await c?.stop();
  });

  const rpc = async (method: string, params: unknown[] = []): Promise<unknown> => {
    const res = await fetch(c.anvil.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    return ((await res.json()) as { result: unknown }).result;
  };
  /** Hashes and max fees of the transactions in anvil's pending pool, added to `seen`. */
  const collectPending = async (seen: Map<string, bigint>): Promise<void> => {
    const pool = (await rpc("txpool_content")) as {
      pending: Record<string, Record<string, { hash: string; maxFeePerGas: string }>>;
    };
    for (const byNonce of Object.values(pool.pending ?? {})) {
      for (const tx of Object.values(byNonce)) seen.set(tx.hash, BigInt(tx.maxFeePerGas));
    }
  };
  /** Submits `cert` with automining off; resolves once anvil's pool shows what `done` waits for. */
  const submitUnmined = async (
    s: AnchorService,
    cert: Certificate,
    done: (fees: bigint[]) => boolean,
    ms: number,
    what: string,
  ) => {
    await rpc("evm_setAutomine", [false]);
    const outcome = s.submit(cert);
    const seen = new Map<string, bigint>();
    await waitFor(
      async () => {
        await collectPending(seen);
        return done([...seen.values()]) ? true : undefined;
      },
      ms,
      what,
    );
    return { outcome, seen };
  };
  const certifiedSlot = async () => {
    const { slot, observation } = await c.post([randomBatch(rng)], "direct");
    await c.commit(observation);
    await c.mine(1);
    const cert = await waitFor(
      () => c.nodes[0]!.db.certificates.getBest(c.stream, slot),
      20_000,
      "certificate",
    );
    return { slot, cert };
  };
  const service = (key: `0x${string}`, opts: { receiptTimeoutMs: number; cap: bigint }) =>
    new AnchorService(
      {
        rpcUrl: c.anvil.rpcUrl,
        chainId: 31337,
        contract: c.anchorAddress,
        index: 0,
        receiptTimeoutMs: opts.receiptTimeoutMs,
        gasBumpPercent: 50,
        maxFeePerGasWei: opts.cap,
        maxAttempts: 6,
      },
      {
        privateKey: key,
        sets: c.nodes[0]!.sets,
        receipts: c.nodes[0]!.db.anchorReceipts,
        logger: pino({ level: "silent" }),
      },
    );

  it("does not replace a transaction that no block has passed by, however long its receipt takes", async () => {
    const { slot, cert } = await certifiedSlot();
    const s = service(ANVIL_PRIVATE_KEYS[6], { receiptTimeoutMs: 1000, cap: 8_000_000_000n });
    // No block until we mine one: three receipt waits pass with no block at all,
    // as when the chain's blocks are slower than the wait (or were measured so).
    const { outcome, seen } = await submitUnmined(
      s,
      cert,
      (fees) => fees.length >= 1,
      20_000,
      "the first transaction",
    );
    await new Promise((r) => setTimeout(r, 3000));
    await collectPending(seen);
    expect(seen.size, "transactions sent before any block").toBe(1);
    await rpc("evm_setAutomine", [true]);
    await rpc("evm_mine");
    expect(await outcome).toBe("anchored");
    const r = await c.nodes[0]!.db.anchorReceipts.get({ stream: c.stream, slot });
    expect(r?.txHash).toBe([...seen.keys()][0]);
    await s.stop();
  });

  it("replaces a transaction stuck on a chain that mines nothing with a higher fee, never above the cap, and records the receipt", async () => {
    const { slot, cert } = await certifiedSlot();
    // Anvil starts near 2 gwei; +50 % per replacement reaches this cap on the 5th send.
    const cap = 8_000_000_000n;
    // No block comes at all: each send is given up after ten receipt waits (3 s).
    const s = service(ANVIL_PRIVATE_KEYS[5], { receiptTimeoutMs: 300, cap });
    const { outcome, seen } = await submitUnmined(
      s,
      cert,
      (fees) => fees.some((f) => f === cap),
      40_000,
      "a replacement at the fee cap",
    );
    await rpc("evm_setAutomine", [true]);
    await rpc("evm_mine");
    expect(await outcome).toBe("anchored");
    const fees = [...seen.values()].sort((a, b) => (a < b ? -1 : 1));
    expect(fees.length).toBeGreaterThan(1);
    expect(fees[0]! < fees.at(-1)!).toBe(true);
    for (const f of fees) expect(f <= cap).toBe(true);
    const r = await c.nodes[0]!.db.anchorReceipts.get({ stream: c.stream, slot });
    expect(r?.outcome).toBe("anchored");
    await s.stop();
  }, 60_000);
});
