// The `proof` checker against anvil with a real verifier (EcdsaProofSystem):
// a prover signs publicInputsHash_k built with the vks stored ON CHAIN; the
// node rebuilds it with the vks PINNED in its config and eth_calls verify.
// Valid proofs pass under every block-number rule; a wrong proof, a vk changed
// on L1, an unreachable RPC, a reverting verifier, an unpinned vk or proof
// system each abstain. Last, a 4-node cluster signs with the checker on and
// abstains once the vk changes on L1.
import { EcdsaProofSystem, ExecutionTable } from "@ocp/contracts";
import {
  type EezBlockContext,
  eezBatchDigest,
  eezPublicInputsHash,
  encodePostAndVerifyBatch,
  fromHex,
  observationRoot,
  type ProofSystemBatchPerVerificationEntries,
  streamId,
  toHex,
} from "@ocp/protocol";
import { createTestClient, createWalletClient, type Hex, http, publicActions } from "viem";
import { privateKeyToAccount, sign } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpJsonRpc, type JsonRpcClient } from "../../packages/node/src/chain/l1/rpc.js";
import { ObserveChecker } from "../../packages/node/src/checkers/observe.js";
import { type PinnedProofSystems, ProofChecker } from "../../packages/node/src/checkers/proof.js";
import {
  AbstainReason,
  type CheckInput,
  type StreamContext,
} from "../../packages/node/src/checkers/types.js";
import { makeRng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { ANVIL_PRIVATE_KEYS, useAnvil } from "../utils/anvil.js";
import { type Cluster, startCluster, waitFor } from "./helpers/cluster.js";

const PROVER_KEY = ANVIL_PRIVATE_KEYS[3];
const IMPOSTOR_KEY = ANVIL_PRIVATE_KEYS[4];
const UINT64_MAX = (1n << 64n) - 1n;
const vk = (tag: number): Hex => toHex(new Uint8Array(32).fill(tag));

type Wallet = ReturnType<typeof walletFor>;
function walletFor(rpcUrl: string) {
  return createWalletClient({
    account: privateKeyToAccount(ANVIL_PRIVATE_KEYS[0]),
    chain: foundry,
    transport: http(rpcUrl),
  }).extend(publicActions);
}

async function deployProofSystem(w: Wallet, vks: Record<string, Hex>): Promise<Hex> {
  const h = await w.deployContract({
    abi: EcdsaProofSystem.abi,
    bytecode: EcdsaProofSystem.bytecode,
    args: [privateKeyToAccount(PROVER_KEY).address],
  });
  const ps = (await w.waitForTransactionReceipt({ hash: h })).contractAddress as Hex;
  for (const [rid, v] of Object.entries(vks)) await setVk(w, ps, BigInt(rid), v);
  return ps;
}

async function setVk(w: Wallet, ps: Hex, rollupId: bigint, v: Hex): Promise<void> {
  const h = await w.writeContract({
    address: ps,
    abi: EcdsaProofSystem.abi,
    functionName: "setVk",
    args: [rollupId, v],
  });
  await w.waitForTransactionReceipt({ hash: h });
}

/**
 * What an honest prover for the L1 contract does: reads each rollup's vk from
 * the proof system on chain, builds publicInputsHash_k as EEZ would, and signs
 * it (the EcdsaProofSystem "proof"). `ctx` is the block context EEZ will see.
 */
async function prove(
  w: Wallet,
  batch: ProofSystemBatchPerVerificationEntries,
  ctx: EezBlockContext,
  key: Hex = PROVER_KEY,
): Promise<{ batch: ProofSystemBatchPerVerificationEntries; hashes: Hex[] }> {
  const shared = eezBatchDigest(encodePostAndVerifyBatch(batch)).shared;
  const proofs: Uint8Array[] = [];
  const hashes: Hex[] = [];
  for (let k = 0; k < batch.proofSystems.length; k++) {
    const onChain = new Map<bigint, Uint8Array>();
    for (const r of batch.rollupIdsWithProofSystems) {
      const v = await w.readContract({
        address: toHex(batch.proofSystems[k]!),
        abi: EcdsaProofSystem.abi,
        functionName: "vkOf",
        args: [r.rollupId],
      });
      onChain.set(r.rollupId, fromHex(v));
    }
    const h = toHex(
      eezPublicInputsHash(shared, batch.rollupIdsWithProofSystems, BigInt(k), (r) => onChain.get(r), ctx),
    );
    hashes.push(h);
    proofs.push(fromHex(await sign({ hash: h, privateKey: key, to: "hex" })));
  }
  return { batch: { ...batch, proofs }, hashes };
}

const ZERO_CTX: EezBlockContext = { blockHash: new Uint8Array(32), timestamp: 0n };

describe("proof checker on anvil", () => {
  const anvil = useAnvil();
  const rng = makeRng(99);
  let w: Wallet;
  let table: Hex;
  let ps1: Hex;
  let ps2: Hex;
  let stream: StreamContext;
  let observe: ObserveChecker;
  let pinned: PinnedProofSystems;

  beforeAll(async () => {
    w = walletFor(anvil.current.rpcUrl);
    const h = await w.deployContract({ abi: ExecutionTable.abi, bytecode: ExecutionTable.bytecode });
    table = (await w.waitForTransactionReceipt({ hash: h })).contractAddress as Hex;
    ps1 = await deployProofSystem(w, { "1": vk(0x11), "5": vk(0x15) });
    ps2 = await deployProofSystem(w, { "5": vk(0x25), "9": vk(0x29) });
    stream = { name: "eez", id: streamId(31337, fromHex(table)), l1ChainId: 31337, tableContract: table };
    observe = new ObserveChecker({
      rpcUrls: [anvil.current.rpcUrl],
      agreement: 1,
      confirmations: 1,
      rpcTimeoutMs: 5000,
      slots: { mode: "block-number" },
    });
    // Mixed case on purpose: addresses are matched case-insensitively.
    pinned = {
      [ps1.toUpperCase().replace("0X", "0x")]: { vks: { "1": vk(0x11), "5": vk(0x15) } },
      [ps2]: { vks: { "5": vk(0x25), "9": vk(0x29) } },
    };
  });

  /** A batch under both proof systems: rollup 1 → ps1, rollup 5 → both, rollup 9 → ps2. */
  function baseBatch(blockNumber: bigint): ProofSystemBatchPerVerificationEntries {
    return {
      ...randomBatch(rng, { maxEntries: 3 }),
      transientExecutionEntryCount: 0n,
      proofSystems: [fromHex(ps1), fromHex(ps2)],
      rollupIdsWithProofSystems: [
        { rollupId: 1n, proofSystemIndex: [0n] },
        { rollupId: 5n, proofSystemIndex: [0n, 1n] },
        { rollupId: 9n, proofSystemIndex: [1n] },
      ],
      blobIndices: [],
      proofs: [new Uint8Array(65), new Uint8Array(65)],
      blockNumber,
    };
  }

  /** Posts one batch, confirms it, and returns what observe hands the proof checker. */
  async function postAndObserve(batch: ProofSystemBatchPerVerificationEntries): Promise<CheckInput> {
    const hash = await w.sendTransaction({
      to: table,
      data: toHex(encodePostAndVerifyBatch(batch)),
      gas: 10_000_000n,
    });
    const receipt = await w.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("success");
    await createTestClient({ chain: foundry, mode: "anvil", transport: http(anvil.current.rpcUrl) }).mine({
      blocks: 1,
    });
    const r = await observe.observe(stream, receipt.blockNumber);
    if (r.kind !== "observed") throw new Error(`observe: ${JSON.stringify(r)}`);
    return { stream, observation: r.observation, table: r.table };
  }

  /** A JSON-RPC client that counts eth_calls. */
  function counting(url: string): JsonRpcClient & { calls: number } {
    const inner = httpJsonRpc(url, 5000);
    const c = {
      url,
      calls: 0,
      request<T>(method: string, params: unknown[]): Promise<T> {
        if (method === "eth_call") c.calls++;
        return inner.request<T>(method, params);
      },
    };
    return c;
  }

  it("signs valid proofs under every block-number rule (0, uint64 max, parent, older block)", async () => {
    for (const rule of ["zero", "max", "parent", "older"] as const) {
      const head = await w.getBlock({ blockTag: "latest" });
      let blockNumber: bigint;
      let ctx: EezBlockContext;
      if (rule === "zero") {
        blockNumber = 0n;
        ctx = ZERO_CTX;
      } else if (rule === "max") {
        // The prover must know the executing block's parent and timestamp: fix them.
        const ts = head.timestamp + 7n;
        await createTestClient({
          chain: foundry,
          mode: "anvil",
          transport: http(anvil.current.rpcUrl),
        }).setNextBlockTimestamp({
          timestamp: ts,
        });
        blockNumber = UINT64_MAX;
        ctx = { blockHash: fromHex(head.hash), timestamp: ts };
      } else {
        const target = rule === "parent" ? head : await w.getBlock({ blockNumber: head.number - 2n });
        blockNumber = target.number;
        ctx = { blockHash: fromHex(target.hash), timestamp: 0n };
      }
      const { batch } = await prove(w, baseBatch(blockNumber), ctx);
      const input = await postAndObserve(batch);
      const rpc = counting(anvil.current.rpcUrl);
      const checker = new ProofChecker({ proofSystems: pinned }, { rpc });
      expect(await checker.check(input), rule).toEqual({ ok: true });
      expect(rpc.calls).toBe(2); // one verify per proof system
      // Cached per digest: a second decision costs no RPC call.
      expect(await checker.check(input)).toEqual({ ok: true });
      expect(rpc.calls).toBe(2);
    }
  });

  it("a block hash outside BLOCKHASH's 256-block window counts as zero", async () => {
    // blockNumber in the future of the executing block: EVM blockhash gives 0.
    const head = await w.getBlockNumber();
    const { batch } = await prove(w, baseBatch(head + 1000n), ZERO_CTX);
    const input = await postAndObserve(batch);
    expect(
      await new ProofChecker({ proofSystems: pinned, rpcUrl: anvil.current.rpcUrl }).check(input),
    ).toEqual({ ok: true });
  });

  it("abstains on a wrong proof (signed by another key)", async () => {
    const { batch } = await prove(w, baseBatch(0n), ZERO_CTX, IMPOSTOR_KEY);
    const input = await postAndObserve(batch);
    const v = await new ProofChecker({ proofSystems: pinned, rpcUrl: anvil.current.rpcUrl }).check(input);
    expect(v).toMatchObject({ ok: false, reason: AbstainReason.CHECKER_FAILED });
    if (!v.ok) expect(v.detail).toContain("returned false");
  });

  it("abstains when a proof is for another batch (proofs swapped between batches)", async () => {
    const a = await prove(w, baseBatch(0n), ZERO_CTX);
    const other = await prove(w, baseBatch(0n), ZERO_CTX);
    const input = await postAndObserve({ ...a.batch, proofs: other.batch.proofs });
    const v = await new ProofChecker({ proofSystems: pinned, rpcUrl: anvil.current.rpcUrl }).check(input);
    expect(v).toMatchObject({ ok: false, reason: AbstainReason.CHECKER_FAILED });
  });

  it("abstains when the vk changed on L1 behind the operators' back", async () => {
    await setVk(w, ps1, 5n, vk(0xee));
    try {
      const { batch, hashes } = await prove(w, baseBatch(0n), ZERO_CTX);
      // The chain accepts it: verify is true for the hash EEZ builds with the on-chain vk.
      for (const [k, h] of hashes.entries()) {
        const ok = await w.readContract({
          address: toHex(batch.proofSystems[k]!),
          abi: EcdsaProofSystem.abi,
          functionName: "verify",
          args: [toHex(batch.proofs[k]!), h],
        });
        expect(ok).toBe(true);
      }
      const input = await postAndObserve(batch);
      const v = await new ProofChecker({ proofSystems: pinned, rpcUrl: anvil.current.rpcUrl }).check(input);
      expect(v).toMatchObject({ ok: false, reason: AbstainReason.CHECKER_FAILED });
      // Only ps1 (whose vk changed) fails; ps2's proof still matches the pinned vks.
      if (!v.ok) {
        expect(v.detail).toContain("proof system 0");
        expect(v.detail).not.toContain("proof system 1");
      }
      // A node that pins the new vk agrees with the chain.
      const repinned = {
        ...pinned,
        [ps1.toUpperCase().replace("0X", "0x")]: { vks: { "1": vk(0x11), "5": vk(0xee) } },
      };
      expect(
        await new ProofChecker({ proofSystems: repinned, rpcUrl: anvil.current.rpcUrl }).check(input),
      ).toEqual({
        ok: true,
      });
    } finally {
      await setVk(w, ps1, 5n, vk(0x15));
    }
  });

  it("abstains (transient, not cached) when the RPC is unreachable", async () => {
    const { batch } = await prove(w, baseBatch(0n), ZERO_CTX);
    const input = await postAndObserve(batch);
    const checker = new ProofChecker({
      proofSystems: pinned,
      rpcUrl: "http://127.0.0.1:1",
      rpcTimeoutMs: 2000,
    });
    const v = await checker.check(input);
    expect(v).toMatchObject({ ok: false, reason: AbstainReason.CHECKER_ERROR });
    if (!v.ok) expect(v.detail).toContain("UNREACHABLE");
    // The same checker over a working RPC afterwards: the failure was not cached.
    let down = true;
    const inner = httpJsonRpc(anvil.current.rpcUrl, 5000);
    const flaky: JsonRpcClient = {
      url: anvil.current.rpcUrl,
      request<T>(method: string, params: unknown[]): Promise<T> {
        if (down) return Promise.reject(new Error("down"));
        return inner.request<T>(method, params);
      },
    };
    const c2 = new ProofChecker({ proofSystems: pinned }, { rpc: flaky });
    expect((await c2.check(input)).ok).toBe(false);
    down = false;
    expect(await c2.check(input)).toEqual({ ok: true });
  });

  it("abstains when the verifier reverts (malformed proof)", async () => {
    const { batch } = await prove(w, baseBatch(0n), ZERO_CTX);
    const input = await postAndObserve({
      ...batch,
      proofs: [batch.proofs[0]!.subarray(0, 64), batch.proofs[1]!],
    });
    const v = await new ProofChecker({ proofSystems: pinned, rpcUrl: anvil.current.rpcUrl }).check(input);
    expect(v).toMatchObject({ ok: false, reason: AbstainReason.CHECKER_FAILED });
    if (!v.ok) expect(v.detail).toMatch(/proof system 0 .*reverted/);
  });

  it("abstains when it cannot check: a vk or a proof system not pinned", async () => {
    const { batch } = await prove(w, baseBatch(0n), ZERO_CTX);
    const input = await postAndObserve(batch);
    const noVk = { ...pinned, [ps2]: { vks: { "5": vk(0x25) } } };
    const v1 = await new ProofChecker({ proofSystems: noVk, rpcUrl: anvil.current.rpcUrl }).check(input);
    expect(v1).toMatchObject({ ok: false, reason: AbstainReason.CHECKER_ERROR });
    if (!v1.ok) expect(v1.detail).toContain("no vk for rollup 9");
    const onlyPs1 = { [ps1]: pinned[ps1.toUpperCase().replace("0X", "0x")]! };
    const v2 = await new ProofChecker({ proofSystems: onlyPs1, rpcUrl: anvil.current.rpcUrl }).check(input);
    expect(v2).toMatchObject({ ok: false, reason: AbstainReason.CHECKER_ERROR });
    if (!v2.ok) expect(v2.detail).toContain("not pinned");
  });

  it("abstains on a verifier address without code (empty return data)", async () => {
    const eoa = fromHex(privateKeyToAccount(ANVIL_PRIVATE_KEYS[5]).address);
    const b: ProofSystemBatchPerVerificationEntries = {
      ...baseBatch(0n),
      proofSystems: [eoa],
      rollupIdsWithProofSystems: [{ rollupId: 1n, proofSystemIndex: [0n] }],
      proofs: [new Uint8Array(65)],
    };
    const input = await postAndObserve(b);
    const v = await new ProofChecker({
      proofSystems: { [toHex(eoa)]: { vks: { "1": vk(1) } } },
      rpcUrl: anvil.current.rpcUrl,
    }).check(input);
    expect(v).toMatchObject({ ok: false, reason: AbstainReason.CHECKER_FAILED });
    if (!v.ok) expect(v.detail).toContain("not a bool");
  });

  it("rejects a malformed pinned config at construction", () => {
    expect(() => new ProofChecker({ proofSystems: { "0x12": { vks: {} } }, rpcUrl: "http://x" })).toThrow(
      /address/,
    );
    expect(
      () => new ProofChecker({ proofSystems: { [ps1]: { vks: { "1": "0x12" } } }, rpcUrl: "http://x" }),
    ).toThrow(/32 bytes/);
    expect(
      () => new ProofChecker({ proofSystems: { [ps1]: { vks: { "-1": vk(1) } } }, rpcUrl: "http://x" }),
    ).toThrow(/decimal/);
  });
});

describe("proof checker in a 4-node cluster", () => {
  let c: Cluster;
  let ps: Hex;
  const rng = makeRng(5);
  const decisions: { node: number; slot: bigint; verdict: string; reason?: string; ran: string[] }[] = [];

  beforeAll(async () => {
    c = await startCluster({
      nodes: 4,
      setup: async ({ rpcUrl }) => {
        ps = await deployProofSystem(walletFor(rpcUrl), { "3": vk(0x33) });
        return { checkers: { proof: { proofSystems: { [ps]: { vks: { "3": vk(0x33) } } } } } };
      },
    });
    c.nodes.forEach((n, i) => {
      n!.events.on("decision", ({ slot, decision }) => {
        decisions.push({
          node: i,
          slot,
          verdict: decision.verdict,
          ...(decision.verdict === "abstain" ? { reason: decision.reason } : {}),
          ran: decision.checkersRan,
        });
      });
    });
    await c.waitMeshed(2);
  });
  afterAll(async () => {
    await c?.stop();
  });

  function batch(): ProofSystemBatchPerVerificationEntries {
    return {
      ...randomBatch(rng, { maxEntries: 2 }),
      transientExecutionEntryCount: 0n,
      proofSystems: [fromHex(ps)],
      rollupIdsWithProofSystems: [{ rollupId: 3n, proofSystemIndex: [0n] }],
      blobIndices: [],
      proofs: [new Uint8Array(65)],
      blockNumber: 0n,
    };
  }

  it("signs with the proof checker on, and abstains once the vk changed on L1", async () => {
    const w = walletFor(c.anvil.rpcUrl);
    const good = await prove(w, batch(), ZERO_CTX);
    const { slot, observation } = await c.post([good.batch], "direct");
    await c.mine(1);
    const rootHex = toHex(observationRoot(c.domain, observation));
    for (const node of c.nodes) {
      await waitFor(
        async () => {
          const got = await node!.db.certificates.getBest(c.stream, slot);
          return got && toHex(observationRoot(got.domain, got.observation)) === rootHex ? got : undefined;
        },
        20_000,
        `certificate for slot ${slot}`,
      );
    }
    const signed = decisions.filter((d) => d.slot === slot);
    expect(signed.length).toBeGreaterThanOrEqual(4);
    for (const d of signed) {
      expect(d.verdict).toBe("sign");
      expect(d.ran).toEqual(["observe", "proof"]);
    }

    // The owner swaps the vk on L1; the prover follows the chain; the nodes pinned the old one.
    await setVk(w, ps, 3n, vk(0x66));
    const bad = await prove(w, batch(), ZERO_CTX);
    const posted = await c.post([bad.batch], "direct");
    await c.commit(posted.observation, 0);
    await c.mine(1);
    const abstained = await waitFor(
      () => {
        const ds = decisions.filter((d) => d.slot === posted.slot);
        return new Set(ds.map((d) => d.node)).size === 4 ? ds : undefined;
      },
      20_000,
      `decisions for slot ${posted.slot}`,
    );
    for (const d of abstained) {
      expect(d.verdict).toBe("abstain");
      expect(d.reason).toBe(AbstainReason.CHECKER_FAILED);
    }
    // Give gossip time to deliver anything that was (wrongly) signed.
    await c.mine(2);
    await new Promise((r) => setTimeout(r, 1500));
    for (const node of c.nodes) {
      expect(await node!.db.attestations.bySlot(c.stream, posted.slot)).toEqual([]);
      expect(await node!.db.certificates.getBest(c.stream, posted.slot)).toBeUndefined();
    }
  });
});
