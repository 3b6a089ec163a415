// The devnet table contract accepts batches directly and through the
// orchestrator's internal calls; the tracer shows those inner calls' calldata,
// which our schema digests.
import { ExecutionTable, Orchestrator } from "@ocp/contracts";
import {
  type AbiValue,
  BATCH_ABI,
  eezBatchDigest,
  encodePostAndVerifyBatch,
  type ProofSystemBatchPerVerificationEntries,
} from "@ocp/protocol";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  type Hex,
  hexToBytes,
  http,
  parseEventLogs,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { beforeAll, describe, expect, it } from "vitest";
import { makeRng, randomBatch, toViemValue } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { ANVIL_PRIVATE_KEYS, useAnvil } from "../utils/anvil.js";

const anvil = useAnvil();
let pub: ReturnType<typeof createPublicClient>;
let wallet: ReturnType<typeof createWalletClient>;
let table: Address;
let orchestrator: Address;
const account = privateKeyToAccount(ANVIL_PRIVATE_KEYS[1]);
const MAX_UINT256 = (1n << 256n) - 1n;
const viemBatch = (b: ProofSystemBatchPerVerificationEntries) =>
  toViemValue(BATCH_ABI, b as unknown as AbiValue);

async function deploy(bytecode: Hex, abi: readonly unknown[], args: unknown[] = []): Promise<Address> {
  const hash = await wallet.deployContract({ abi, bytecode, args, account, chain: foundry } as never);
  return (await pub.waitForTransactionReceipt({ hash })).contractAddress!;
}

async function batchCount(): Promise<bigint> {
  return pub.readContract({ address: table, abi: ExecutionTable.abi, functionName: "batchCount" });
}

interface TraceCall {
  to?: string;
  input: Hex;
  error?: string;
  calls?: TraceCall[];
}

function tableCalls(c: TraceCall, out: TraceCall[] = []): TraceCall[] {
  if (c.to?.toLowerCase() === table.toLowerCase()) out.push(c);
  for (const sub of c.calls ?? []) tableCalls(sub, out);
  return out;
}

beforeAll(async () => {
  pub = createPublicClient({ chain: foundry, transport: http(anvil.current.rpcUrl) });
  wallet = createWalletClient({ account, chain: foundry, transport: http(anvil.current.rpcUrl) });
  table = await deploy(ExecutionTable.bytecode, ExecutionTable.abi);
  orchestrator = await deploy(Orchestrator.bytecode, Orchestrator.abi, [table]);
});

describe("devnet ExecutionTable and Orchestrator (anvil)", () => {
  it("accepts a batch sent directly and emits BatchPosted(rollupCount)", async () => {
    const b = randomBatch(makeRng(1));
    const before = await batchCount();
    const hash = await wallet.sendTransaction({
      to: table,
      data: toHex(encodePostAndVerifyBatch(b)),
      account,
      chain: foundry,
    });
    const receipt = await pub.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe("success");
    const logs = parseEventLogs({ abi: ExecutionTable.abi, logs: receipt.logs, eventName: "BatchPosted" });
    expect(logs).toHaveLength(1);
    expect(logs[0]!.address.toLowerCase()).toBe(table.toLowerCase());
    expect(logs[0]!.args.rollupCount).toBe(BigInt(b.rollupIdsWithProofSystems.length));
    expect(await batchCount()).toBe(before + 1n);
  });

  it("reverts a batch flagged with transientExecutionEntryCount = 2^256-1", async () => {
    const b = { ...randomBatch(makeRng(2)), transientExecutionEntryCount: MAX_UINT256 };
    const hash = await wallet.sendTransaction({
      to: table,
      data: toHex(encodePostAndVerifyBatch(b)),
      gas: 5_000_000n,
      account,
      chain: foundry,
    });
    expect((await pub.waitForTransactionReceipt({ hash })).status).toBe("reverted");
  });

  it("accepts batches through the orchestrator's internal calls, in order, skipping a failed one", async () => {
    const rng = makeRng(3);
    const [a, b, c] = [randomBatch(rng), randomBatch(rng), randomBatch(rng)];
    const failing = { ...randomBatch(rng), transientExecutionEntryCount: MAX_UINT256 };
    const before = await batchCount();

    const send = async (functionName: "post" | "postTwo" | "postTolerant", args: unknown[]) => {
      const hash = await wallet.writeContract({
        address: orchestrator,
        abi: Orchestrator.abi,
        functionName,
        args: args as never,
        gas: 10_000_000n,
        account,
        chain: foundry,
      });
      const receipt = await pub.waitForTransactionReceipt({ hash });
      expect(receipt.status).toBe("success");
      return { hash, receipt };
    };

    const one = await send("post", [viemBatch(a)]);
    const two = await send("postTwo", [viemBatch(b), viemBatch(c)]);
    const tolerant = await send("postTolerant", [[viemBatch(failing), viemBatch(a)]]);

    const posted = (r: typeof one) =>
      parseEventLogs({ abi: ExecutionTable.abi, logs: r.receipt.logs, eventName: "BatchPosted" });
    expect(posted(one)).toHaveLength(1);
    expect(posted(two).map((l) => l.args.rollupCount)).toEqual(
      [b, c].map((x) => BigInt(x.rollupIdsWithProofSystems.length)),
    );
    expect(posted(tolerant)).toHaveLength(1);
    const failed = parseEventLogs({
      abi: Orchestrator.abi,
      logs: tolerant.receipt.logs,
      eventName: "InnerCallFailed",
    });
    expect(failed.map((l) => l.args.index)).toEqual([0n]);
    expect(await batchCount()).toBe(before + 4n);

    // The call tracer exposes the inner calls; their calldata digests like the batch itself.
    const trace = (await pub.request({
      method: "debug_traceTransaction" as never,
      params: [two.hash, { tracer: "callTracer" }] as never,
    })) as TraceCall;
    const inner = tableCalls(trace);
    expect(inner).toHaveLength(2);
    expect(inner.map((x) => eezBatchDigest(hexToBytes(x.input)).shared)).toEqual(
      [b, c].map((x) => eezBatchDigest(encodePostAndVerifyBatch(x)).shared),
    );
    const tolerantTrace = (await pub.request({
      method: "debug_traceTransaction" as never,
      params: [tolerant.hash, { tracer: "callTracer" }] as never,
    })) as TraceCall;
    expect(tableCalls(tolerantTrace).map((x) => x.error !== undefined)).toEqual([true, false]);
  });
});
