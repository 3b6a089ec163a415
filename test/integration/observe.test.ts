// The `observe` checker against a real anvil: batches posted directly and
// through the orchestrator (internal calls, several per tx, a reverted one),
// confirmation depth, RPC agreement and RPC failure.
import { ExecutionTable, Orchestrator } from "@ocp/contracts";
import {
  concatBytes,
  eezTableDigest,
  encodePostAndVerifyBatch,
  fromHex,
  type ProofSystemBatchPerVerificationEntries,
  SCHEMA_EEZ_V1,
  streamId,
  toHex,
} from "@ocp/protocol";
import {
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  publicActions,
  toFunctionSelector,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { beforeAll, describe, expect, it } from "vitest";
import { httpJsonRpc, type JsonRpcClient } from "../../packages/node/src/chain/l1/rpc.js";
import { ObserveChecker } from "../../packages/node/src/checkers/observe.js";
import { AbstainReason, type StreamContext } from "../../packages/node/src/checkers/types.js";
import { makeRng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { ANVIL_PRIVATE_KEYS, useAnvil } from "../utils/anvil.js";

const anvil = useAnvil();
const otherChain = useAnvil();

function word(n: number): Uint8Array {
  const w = new Uint8Array(32);
  new DataView(w.buffer).setUint32(28, n);
  return w;
}

/** The batch's tuple body, as it sits after the head word of abi.encode(batch). */
const body = (b: ProofSystemBatchPerVerificationEntries): Uint8Array =>
  encodePostAndVerifyBatch(b).subarray(4 + 32);

function orchestratorCall(
  fn: string,
  batches: ProofSystemBatchPerVerificationEntries[],
  asArray: boolean,
): Hex {
  const abiItem = Orchestrator.abi.find((x) => x.type === "function" && x.name === fn);
  if (!abiItem) throw new Error(`no ${fn}`);
  const selector = fromHex(toFunctionSelector(abiItem as never));
  const bodies = batches.map(body);
  const offsets: Uint8Array[] = [];
  let off = 32 * bodies.length;
  for (const b of bodies) {
    offsets.push(word(off));
    off += b.length;
  }
  const args = asArray
    ? concatBytes(word(32), word(bodies.length), ...offsets, ...bodies)
    : concatBytes(...offsets, ...bodies);
  return toHex(concatBytes(selector, args));
}

describe("observe checker on anvil", () => {
  let table: Hex;
  let orchestrator: Hex;
  let stream: StreamContext;
  const rng = makeRng(7);
  const client = () =>
    createWalletClient({
      account: privateKeyToAccount(ANVIL_PRIVATE_KEYS[0]),
      chain: foundry,
      transport: http(anvil.current.rpcUrl),
    }).extend(publicActions);
  const testClient = () =>
    createTestClient({ chain: foundry, mode: "anvil", transport: http(anvil.current.rpcUrl) });

  async function deploy(): Promise<void> {
    const c = client();
    const h1 = await c.deployContract({ abi: ExecutionTable.abi, bytecode: ExecutionTable.bytecode });
    table = (await c.waitForTransactionReceipt({ hash: h1 })).contractAddress as Hex;
    const h2 = await c.deployContract({
      abi: Orchestrator.abi,
      bytecode: Orchestrator.bytecode,
      args: [table],
    });
    orchestrator = (await c.waitForTransactionReceipt({ hash: h2 })).contractAddress as Hex;
    stream = { name: "test", id: streamId(31337, fromHex(table)), l1ChainId: 31337, tableContract: table };
  }

  /** Sends the transactions into ONE block and returns its number. */
  async function mineBlock(txs: { to: Hex; data: Hex }[]): Promise<bigint> {
    const c = client();
    const t = testClient();
    await t.setAutomine(false);
    const hashes: Hex[] = [];
    for (const tx of txs) hashes.push(await c.sendTransaction({ ...tx, gas: 10_000_000n }));
    await t.mine({ blocks: 1 });
    await t.setAutomine(true);
    const receipts = await Promise.all(hashes.map((hash) => c.waitForTransactionReceipt({ hash })));
    const n = receipts[0]!.blockNumber;
    for (const r of receipts) expect(r.blockNumber).toBe(n);
    return n;
  }

  beforeAll(deploy);

  /** A random batch the table contract accepts (its test hook rejects one count value). */
  const postable = () => ({
    ...randomBatch(rng, { maxEntries: 3, maxLookups: 2 }),
    transientExecutionEntryCount: 1n,
  });

  it("finds direct and internal calls in execution order and skips reverted ones", async () => {
    const b = Array.from({ length: 5 }, () => randomBatch(rng, { maxEntries: 3, maxLookups: 2 }));
    const failing = { ...randomBatch(rng), transientExecutionEntryCount: (1n << 256n) - 1n };
    const n = await mineBlock([
      { to: table, data: toHex(encodePostAndVerifyBatch(b[0]!)) },
      { to: orchestrator, data: orchestratorCall("postTwo", [b[1]!, b[2]!], false) },
      // A reverted transaction: its call must not count.
      { to: table, data: toHex(encodePostAndVerifyBatch(failing)) },
      { to: orchestrator, data: orchestratorCall("postTolerant", [b[3]!, failing, b[4]!], true) },
    ]);
    await testClient().mine({ blocks: 1 });

    const checker = new ObserveChecker({
      rpcUrls: [anvil.current.rpcUrl],
      agreement: 1,
      confirmations: 1,
      rpcTimeoutMs: 5000,
      slots: { mode: "block-number" },
    });
    const result = await checker.observe(stream, n);
    expect(result.kind).toBe("observed");
    if (result.kind !== "observed") return;
    // Independent expectation: the digest over exactly the five successful batches, in order.
    const expected = eezTableDigest(b.map((x) => ({ calldata: encodePostAndVerifyBatch(x) })));
    expect(toHex(result.observation.tableDigest)).toBe(toHex(expected.tableDigest));
    expect(result.observation.entryCount).toBe(b.reduce((s, x) => s + x.entries.length, 0));
    expect(result.observation.l1BlockNumber).toBe(n);
    expect(toHex(result.observation.schema)).toBe(toHex(SCHEMA_EEZ_V1));
    const block = await client().getBlock({ blockNumber: n });
    expect(toHex(result.observation.l1BlockHash)).toBe(block.hash);
    expect(result.table.calls.map((c) => c.txIndex)).toEqual([0, 1, 1, 3, 3]);
  });

  it("abstains until the block has the confirmation depth", async () => {
    const n = await mineBlock([{ to: table, data: toHex(encodePostAndVerifyBatch(randomBatch(rng))) }]);
    const checker = new ObserveChecker({
      rpcUrls: [anvil.current.rpcUrl],
      agreement: 1,
      confirmations: 2,
      rpcTimeoutMs: 5000,
      slots: { mode: "block-number" },
    });
    const early = await checker.observe(stream, n);
    expect(early).toMatchObject({ kind: "abstain", reason: AbstainReason.NOT_CONFIRMED });
    await testClient().mine({ blocks: 2 });
    expect((await checker.observe(stream, n)).kind).toBe("observed");
  });

  it("reports nothing to attest for a block without a table", async () => {
    await testClient().mine({ blocks: 1 });
    const c = client();
    const n = (await c.getBlockNumber()) - 0n;
    await testClient().mine({ blocks: 1 });
    const checker = new ObserveChecker({
      rpcUrls: [anvil.current.rpcUrl],
      agreement: 1,
      confirmations: 1,
      rpcTimeoutMs: 5000,
      slots: { mode: "block-number" },
    });
    expect(await checker.observe(stream, n)).toMatchObject({ kind: "nothing", reason: "NO_TABLE" });
  });

  it("requires the configured RPC agreement and abstains on disagreement or unreachable RPCs", async () => {
    const n = await mineBlock([{ to: table, data: toHex(encodePostAndVerifyBatch(randomBatch(rng))) }]);
    await testClient().mine({ blocks: 1 });
    const same = new ObserveChecker({
      rpcUrls: [anvil.current.rpcUrl, `${anvil.current.rpcUrl}/`],
      agreement: 2,
      confirmations: 1,
      rpcTimeoutMs: 5000,
      slots: { mode: "block-number" },
    });
    expect((await same.observe(stream, n)).kind).toBe("observed");

    // Another chain has different blocks at the same height.
    const otherClient = createTestClient({
      chain: foundry,
      mode: "anvil",
      transport: http(otherChain.current.rpcUrl),
    });
    await otherClient.mine({ blocks: Number(n) + 2 });
    const disagree = new ObserveChecker({
      rpcUrls: [anvil.current.rpcUrl, otherChain.current.rpcUrl],
      agreement: 2,
      confirmations: 1,
      rpcTimeoutMs: 5000,
      slots: { mode: "block-number" },
    });
    expect(await disagree.observe(stream, n)).toMatchObject({
      kind: "abstain",
      reason: AbstainReason.RPC_DISAGREE,
    });

    const down = new ObserveChecker({
      rpcUrls: [anvil.current.rpcUrl, "http://127.0.0.1:1"],
      agreement: 2,
      confirmations: 1,
      rpcTimeoutMs: 2000,
      slots: { mode: "block-number" },
    });
    expect(await down.observe(stream, n)).toMatchObject({
      kind: "abstain",
      reason: AbstainReason.RPC_UNREACHABLE,
    });
    // With agreement 1 the reachable RPC suffices.
    const tolerant = new ObserveChecker({
      rpcUrls: [anvil.current.rpcUrl, "http://127.0.0.1:1"],
      agreement: 1,
      confirmations: 1,
      rpcTimeoutMs: 2000,
      slots: { mode: "block-number" },
    });
    expect((await tolerant.observe(stream, n)).kind).toBe("observed");
  });

  it("reads a block ahead, reuses the read at confirmation, and reads again after a reorg", async () => {
    const calls = new Map<string, number>();
    const inner = httpJsonRpc(anvil.current.rpcUrl, 5000);
    const counting: JsonRpcClient = {
      url: inner.url,
      request: (method, params) => {
        calls.set(method, (calls.get(method) ?? 0) + 1);
        return inner.request(method, params);
      },
    };
    const checker = new ObserveChecker(
      { rpcUrls: [], agreement: 1, confirmations: 1, rpcTimeoutMs: 5000, slots: { mode: "block-number" } },
      { rpcs: [counting] },
    );
    const fresh = () =>
      new ObserveChecker({
        rpcUrls: [anvil.current.rpcUrl],
        agreement: 1,
        confirmations: 1,
        rpcTimeoutMs: 5000,
        slots: { mode: "block-number" },
      });

    // Reuse: the block is traced once, when first seen.
    const x = postable();
    const n = await mineBlock([{ to: table, data: toHex(encodePostAndVerifyBatch(x)) }]);
    const ahead = await checker.prefetch(stream, n);
    expect(toHex(ahead!.tableDigest)).toBe(
      toHex(eezTableDigest([{ calldata: encodePostAndVerifyBatch(x) }]).tableDigest),
    );
    expect(await checker.observe(stream, n)).toMatchObject({
      kind: "abstain",
      reason: AbstainReason.NOT_CONFIRMED,
    });
    await testClient().mine({ blocks: 1 });
    const confirmed = await checker.observe(stream, n);
    expect(confirmed.kind).toBe("observed");
    if (confirmed.kind !== "observed") return;
    expect(confirmed.observation).toEqual(ahead);
    expect(calls.get("debug_traceBlockByNumber")).toBe(1);
    const independent = await fresh().observe(stream, n);
    expect(independent.kind === "observed" && independent.observation).toEqual(confirmed.observation);

    // Reorg: the block read ahead is replaced by another at the same height.
    const t = testClient();
    const snapshot = await t.snapshot();
    const y = postable();
    const m = await mineBlock([{ to: table, data: toHex(encodePostAndVerifyBatch(y)) }]);
    const stale = await checker.prefetch(stream, m);
    await t.revert({ id: snapshot });
    const z = postable();
    expect(await mineBlock([{ to: table, data: toHex(encodePostAndVerifyBatch(z)) }])).toBe(m);
    await t.mine({ blocks: 1 });
    const after = await checker.observe(stream, m);
    expect(after.kind).toBe("observed");
    if (after.kind !== "observed") return;
    expect(toHex(after.observation.tableDigest)).not.toBe(toHex(stale!.tableDigest));
    expect(toHex(after.observation.tableDigest)).toBe(
      toHex(eezTableDigest([{ calldata: encodePostAndVerifyBatch(z) }]).tableDigest),
    );
    expect(toHex(after.observation.l1BlockHash)).toBe((await client().getBlock({ blockNumber: m })).hash);
    expect(calls.get("debug_traceBlockByNumber")).toBe(3);
  });

  it("confirms a block read ahead from pushed headers without asking the RPC again", async () => {
    const calls: string[] = [];
    const inner = httpJsonRpc(anvil.current.rpcUrl, 5000);
    const counting: JsonRpcClient = {
      url: inner.url,
      request: (method, params) => {
        calls.push(method);
        return inner.request(method, params);
      },
    };
    const checker = new ObserveChecker(
      { rpcUrls: [], agreement: 1, confirmations: 1, rpcTimeoutMs: 5000, slots: { mode: "block-number" } },
      { rpcs: [counting] },
    );
    const header = async (n: bigint) => {
      const b = await client().getBlock({ blockNumber: n });
      return { number: n, hash: b.hash, parentHash: b.parentHash };
    };
    const n = await mineBlock([
      {
        to: table,
        data: toHex(encodePostAndVerifyBatch(postable())),
      },
    ]);
    const ahead = await checker.prefetch(stream, n);
    await testClient().mine({ blocks: 1 });
    // A header that does not chain to the block read ahead confirms nothing: the RPC is asked.
    checker.noteHeader({ ...(await header(n + 1n)), parentHash: `0x${"ab".repeat(32)}` });
    calls.length = 0;
    const viaRpc = await checker.observe(stream, n);
    expect(viaRpc.kind === "observed" && viaRpc.observation).toEqual(ahead);
    expect(calls).toContain("eth_getBlockByNumber");

    const m = await mineBlock([
      {
        to: table,
        data: toHex(encodePostAndVerifyBatch(postable())),
      },
    ]);
    const ahead2 = await checker.prefetch(stream, m);
    await testClient().mine({ blocks: 1 });
    checker.noteHeader(await header(m + 1n));
    calls.length = 0;
    const viaHeaders = await checker.observe(stream, m);
    expect(viaHeaders.kind === "observed" && viaHeaders.observation).toEqual(ahead2);
    expect(calls).toEqual([]);
  });
});
