// Differential fuzzing of the ocp.eez.v1 digest against compiled Solidity:
// hostile encodings of postAndVerifyBatch (wrapping and overlapping offsets,
// aliased tails, far empty values, dirty padding, trailing bytes, blob indices
// past the transaction's blobs, raw word mutations) go to the devnet
// ExecutionTable, which takes the batch as `calldata` and computes EEZ's
// hashes itself. Whenever the contract accepts, our digest must equal what it
// computed; a revert does not count. OCP_FUZZ_RUNS sets the number of cases;
// OCP_FUZZ_CORPUS=<file> writes a sample of accepted cases as test vectors.
import { writeFileSync } from "node:fs";
import { ExecutionTable } from "@ocp/contracts";
import {
  type AbiValue,
  eezBatchDigest,
  eezTableDigestOf,
  fromHex,
  type ProofSystemBatchPerVerificationEntries,
} from "@ocp/protocol";
import fc from "fast-check";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  decodeEventLog,
  decodeFunctionResult,
  type Hex,
  http,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { EXIT_OK, run } from "../../packages/cli/src/program.js";
import { makeRng, type Rng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { hostileCalldata } from "../../packages/protocol/test/unit/schemas/hostile.js";
import { ANVIL_PRIVATE_KEYS, useAnvil } from "../utils/anvil.js";

const anvil = useAnvil();
const abi = ExecutionTable.abi;
let table: Address;
let client: ReturnType<typeof createPublicClient>;
let wallet: ReturnType<typeof createWalletClient>;

const RUNS = Number(process.env.OCP_FUZZ_RUNS ?? 3200);
const CALL_GAS = 16_000_000n; // under the per-transaction cap (EIP-7825)

function hostileBatch(rng: Rng): ProofSystemBatchPerVerificationEntries {
  const b = randomBatch(rng, { maxEntries: 3, maxLookups: 2 });
  // Blob indices: small, past the blobs, and huge; the call carries no blobs.
  b.blobIndices = Array.from({ length: Math.floor(rng() * 3) }, () =>
    rng() < 0.5 ? BigInt(Math.floor(rng() * 8)) : (1n << BigInt(8 + Math.floor(rng() * 248))) - 1n,
  );
  if (rng() < 0.2) b.transientExecutionEntryCount = 0n;
  return b;
}

interface Case {
  calldata: Uint8Array;
  mutated: boolean;
}

function makeCase(seed: number): Case {
  const rng = makeRng(seed);
  const b = hostileBatch(rng);
  const mutations = rng() < 0.35 ? 1 + Math.floor(rng() * 2) : 0;
  return hostileCalldata(b as unknown as AbiValue, rng, { mutations });
}

type Outcome =
  | { accepted: false }
  | { accepted: true; shared: Hex; entryHashes: readonly Hex[]; lookupHashes: readonly Hex[] };

async function onChain(calldata: Uint8Array): Promise<Outcome> {
  let data: Hex | undefined;
  try {
    ({ data } = await client.call({ to: table, data: toHex(calldata), gas: CALL_GAS }));
  } catch {
    return { accepted: false };
  }
  const [shared, entryHashes, lookupHashes] = decodeFunctionResult({
    abi,
    functionName: "postAndVerifyBatch",
    data: data!,
  });
  return { accepted: true, shared, entryHashes, lookupHashes };
}

beforeAll(async () => {
  client = createPublicClient({ chain: foundry, transport: http(anvil.current.rpcUrl) });
  wallet = createWalletClient({
    account: privateKeyToAccount(ANVIL_PRIVATE_KEYS[0]),
    chain: foundry,
    transport: http(anvil.current.rpcUrl),
  });
  const hash = await wallet.deployContract({
    abi,
    bytecode: ExecutionTable.bytecode,
    account: wallet.account!,
    chain: foundry,
  });
  table = (await client.waitForTransactionReceipt({ hash })).contractAddress!;
});

let out: string[];
beforeEach(() => {
  out = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation(() => undefined);
});
afterEach(() => vi.restoreAllMocks());

describe("ocp.eez.v1 digest vs the calldata contract (differential fuzz)", () => {
  it(`agrees on every hostile encoding the contract accepts (${RUNS} cases)`, async () => {
    let accepted = 0;
    let acceptedMutated = 0;
    let rejected = 0;
    const corpus: {
      calldata: Hex;
      shared: Hex;
      entryHashes: readonly Hex[];
      lookupHashes: readonly Hex[];
    }[] = [];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (seed) => {
        const c = makeCase(seed);
        const chain = await onChain(c.calldata);
        if (!chain.accepted) {
          rejected++;
          return;
        }
        // The call succeeded: ocp must digest it, to exactly the contract's values.
        const d = eezBatchDigest(c.calldata, { blobHashes: [] });
        expect(toHex(d.shared)).toBe(chain.shared);
        expect(d.entryHashes.map((h) => toHex(h))).toEqual(chain.entryHashes);
        expect(d.lookupHashes.map((h) => toHex(h))).toEqual(chain.lookupHashes);
        accepted++;
        if (c.mutated) acceptedMutated++;
        if (corpus.length < 64 && (c.mutated || accepted % 97 === 0)) {
          corpus.push({ calldata: toHex(c.calldata), ...chain });
        }
      }),
      { numRuns: RUNS, seed: Number(process.env.OCP_FUZZ_SEED ?? 1234) },
    );
    if (process.env.OCP_FUZZ_CORPUS) {
      writeFileSync(process.env.OCP_FUZZ_CORPUS, `${JSON.stringify(corpus, null, 1)}\n`);
    }
    console.info(
      `eez fuzz: ${accepted} accepted (${acceptedMutated} after raw mutations), ${rejected} reverted`,
    );
    expect(accepted).toBeGreaterThanOrEqual(Math.floor(RUNS * 0.625));
    expect(acceptedMutated).toBeGreaterThan(0);
  }, 600_000);

  it("ocp table digest --rpc equals the contract's emitted digest for hostile transactions", async () => {
    let sent = 0;
    for (let seed = 90_000; sent < 12; seed++) {
      const c = makeCase(seed);
      if (!(await onChain(c.calldata)).accepted) continue;
      const hash = await wallet.sendTransaction({
        to: table,
        data: toHex(c.calldata),
        gas: CALL_GAS,
        account: wallet.account!,
        chain: foundry,
      });
      const receipt = await client.waitForTransactionReceipt({ hash });
      expect(receipt.status).toBe("success");
      const emitted = receipt.logs
        .map((l) => {
          try {
            return decodeEventLog({ abi, data: l.data, topics: l.topics });
          } catch {
            return undefined;
          }
        })
        .find((e) => e?.eventName === "BatchDigest");
      const shared = (emitted!.args as { shared: Hex }).shared;
      out.length = 0;
      expect(
        await run([
          "table",
          "digest",
          "--rpc",
          anvil.current.rpcUrl,
          "--contract",
          table,
          "--slot",
          receipt.blockNumber.toString(),
        ]),
      ).toBe(EXIT_OK);
      const printed = JSON.parse(out[0]!) as { tableDigest: string; batches: { shared: string }[] };
      expect(printed.batches.map((b) => b.shared)).toEqual([shared]);
      expect(printed.tableDigest).toBe(toHex(eezTableDigestOf([fromHex(shared, 32)])));
      sent++;
    }
  }, 120_000);
});
