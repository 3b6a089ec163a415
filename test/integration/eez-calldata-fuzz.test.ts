// Differential fuzzing of the ocp.eez.v1 digest against compiled Solidity:
// hostile encodings of postAndVerifyBatch (wrapping and overlapping offsets,
// aliased tails and aliased entries, struct heads straddling 2^256, far empty
// values, dirty padding, trailing bytes, blob indices inside and past the
// transaction's blobs, raw word mutations) go to the devnet ExecutionTable,
// which takes the batch as `calldata` and computes EEZ's hashes itself (the
// same accessors solc 0.8.34, EEZ's compiler, emits). Whenever the contract
// accepts, our digest must equal what it computed; a revert does not count.
// OCP_FUZZ_CASES sets how many accepted encodings a run must compare (default
// 2000); OCP_FUZZ_SEED the first seed; OCP_FUZZ_CORPUS=<file> writes a sample
// of accepted cases as test vectors.
import { writeFileSync } from "node:fs";
import { ExecutionTable } from "@ocp/contracts";
import {
  type AbiValue,
  eezBatchDigest,
  eezTableDigestOf,
  fromHex,
  type ProofSystemBatchPerVerificationEntries,
} from "@ocp/protocol";
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
import {
  makeRng,
  type Rng,
  randBytes,
  randomBatch,
} from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { hostileCalldata } from "../../packages/protocol/test/unit/schemas/hostile.js";
import { ANVIL_PRIVATE_KEYS, useAnvil } from "../utils/anvil.js";

const anvil = useAnvil();
const abi = ExecutionTable.abi;
let table: Address;
let client: ReturnType<typeof createPublicClient>;
let wallet: ReturnType<typeof createWalletClient>;

const CASES = Number(process.env.OCP_FUZZ_CASES ?? 2000);
const FIRST_SEED = Number(process.env.OCP_FUZZ_SEED ?? 1234);
const CALL_GAS = 16_000_000n; // under the per-transaction cap (EIP-7825)
const IN_FLIGHT = 16; // eth_calls outstanding at once

function hostileBatch(rng: Rng): ProofSystemBatchPerVerificationEntries {
  const b = randomBatch(rng, { maxEntries: 3, maxLookups: 2 });
  // Repeated entries and lookups: the encoder may alias their tails.
  if (b.entries.length > 0 && rng() < 0.3) b.entries.push(b.entries[Math.floor(rng() * b.entries.length)]!);
  if (b.l1ToL2lookupCalls.length > 0 && rng() < 0.2) b.l1ToL2lookupCalls.push(b.l1ToL2lookupCalls[0]!);
  // Blob indices: inside the blobs, past them, and huge.
  b.blobIndices = Array.from({ length: Math.floor(rng() * 4) }, () =>
    rng() < 0.6 ? BigInt(Math.floor(rng() * 5)) : (1n << BigInt(8 + Math.floor(rng() * 248))) - 1n,
  );
  if (rng() < 0.2) b.transientExecutionEntryCount = 0n;
  return b;
}

interface Case {
  seed: number;
  calldata: Uint8Array;
  blobs: Uint8Array[];
  mutated: boolean;
  straddled: boolean;
}

function makeCase(seed: number): Case {
  const rng = makeRng(seed);
  const b = hostileBatch(rng);
  const mutations = rng() < 0.3 ? 1 + Math.floor(rng() * 2) : 0;
  const straddles = rng() < 0.25 ? 1 + Math.floor(rng() * 2) : 0;
  const { calldata, mutated } = hostileCalldata(b as unknown as AbiValue, rng, { mutations, straddles });
  // The call's transaction carries 0 to 3 blobs (versioned hashes start with 0x01).
  const blobs = Array.from({ length: Math.floor(rng() * 4) }, () => {
    const h = randBytes(rng, 32);
    h[0] = 1;
    return h;
  });
  return { seed, calldata, blobs, mutated, straddled: straddles > 0 };
}

type Outcome =
  | { accepted: false }
  | { accepted: true; shared: Hex; entryHashes: readonly Hex[]; lookupHashes: readonly Hex[] };

/** What the contract computes for the call (eth_call with the transaction's blob hashes). */
async function onChain(calldata: Uint8Array, blobs: readonly Uint8Array[] = []): Promise<Outcome> {
  let data: Hex;
  try {
    data = await client.request({
      method: "eth_call",
      params: [
        {
          to: table,
          data: toHex(calldata),
          gas: toHex(CALL_GAS),
          ...(blobs.length > 0
            ? { blobVersionedHashes: blobs.map((h) => toHex(h)), maxFeePerBlobGas: "0x3b9aca00" }
            : {}),
        } as never,
        "latest",
      ],
    });
  } catch {
    return { accepted: false };
  }
  const [shared, entryHashes, lookupHashes] = decodeFunctionResult({
    abi,
    functionName: "postAndVerifyBatch",
    data,
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
  it("the contract honours the transaction's blobs (a missing one reads as zero)", async () => {
    const b = randomBatch(makeRng(7), { maxEntries: 1, maxLookups: 0 });
    b.blobIndices = [1n, 0n, 5n, 1n];
    b.transientExecutionEntryCount = 0n;
    const { calldata } = hostileCalldata(b as unknown as AbiValue, makeRng(8));
    const blobs = [new Uint8Array(32).fill(0xab), new Uint8Array(32).fill(0xcd)].map((h) => {
      h[0] = 1;
      return h;
    });
    const chain = await onChain(calldata, blobs);
    expect(chain.accepted).toBe(true);
    const withBlobs = eezBatchDigest(calldata, { blobHashes: blobs });
    expect(chain.accepted && chain.shared).toBe(toHex(withBlobs.shared));
    expect(withBlobs.blobHashes.map((h) => toHex(h))).toEqual([
      toHex(blobs[1]!),
      toHex(blobs[0]!),
      toHex(new Uint8Array(32)),
      toHex(blobs[1]!),
    ]);
    // Without the blobs every index reads zero: a different digest.
    expect(toHex(eezBatchDigest(calldata).shared)).not.toBe(toHex(withBlobs.shared));
  });

  it(`agrees on ${CASES} hostile encodings the contract accepts`, async () => {
    let accepted = 0;
    let acceptedMutated = 0;
    let acceptedBlobs = 0;
    let acceptedStraddled = 0;
    let rejected = 0;
    const corpus: {
      calldata: Hex;
      blobHashes?: Hex[];
      shared: Hex;
      entryHashes: readonly Hex[];
      lookupHashes: readonly Hex[];
    }[] = [];
    const check = (c: Case, chain: Outcome): void => {
      if (!chain.accepted) {
        rejected++;
        return;
      }
      // The call succeeded: ocp must digest it, to exactly the contract's values.
      const d = eezBatchDigest(c.calldata, { blobHashes: c.blobs });
      const ours = {
        shared: toHex(d.shared),
        entryHashes: d.entryHashes.map((h) => toHex(h)),
        lookupHashes: d.lookupHashes.map((h) => toHex(h)),
      };
      const theirs = {
        shared: chain.shared,
        entryHashes: [...chain.entryHashes],
        lookupHashes: [...chain.lookupHashes],
      };
      expect(ours, `seed ${c.seed}: ${toHex(c.calldata)}`).toEqual(theirs);
      accepted++;
      if (c.mutated) acceptedMutated++;
      if (c.straddled) acceptedStraddled++;
      if (c.blobs.length > 0 && d.blobHashes.some((h) => h.some((x) => x !== 0))) acceptedBlobs++;
      if (corpus.length < 64 && (c.mutated || accepted % 97 === 0)) {
        corpus.push({
          calldata: toHex(c.calldata),
          ...(c.blobs.length > 0 ? { blobHashes: c.blobs.map((h) => toHex(h)) } : {}),
          ...theirs,
        });
      }
    };
    // Cases go out IN_FLIGHT at a time; each is compared when its answer is in.
    const maxSeeds = CASES * 3;
    let seed = FIRST_SEED;
    while (accepted < CASES && seed < FIRST_SEED + maxSeeds) {
      const round = Array.from({ length: IN_FLIGHT }, () => makeCase(seed++));
      const outcomes = await Promise.all(round.map((c) => onChain(c.calldata, c.blobs)));
      for (let i = 0; i < round.length; i++) check(round[i]!, outcomes[i]!);
    }
    if (process.env.OCP_FUZZ_CORPUS) {
      writeFileSync(process.env.OCP_FUZZ_CORPUS, `${JSON.stringify(corpus, null, 1)}\n`);
    }
    console.info(
      `eez fuzz: ${accepted} accepted and equal (${acceptedMutated} after mutations or straddled heads, ` +
        `${acceptedStraddled} straddled, ` +
        `${acceptedBlobs} with real blob hashes), ${rejected} reverted, seeds ${FIRST_SEED}..${seed - 1}`,
    );
    expect(accepted).toBeGreaterThanOrEqual(CASES);
    expect(acceptedMutated).toBeGreaterThan(CASES / 10);
    expect(acceptedStraddled).toBeGreaterThan(CASES / 20);
    expect(acceptedBlobs).toBeGreaterThan(CASES / 10);
  }, 1_800_000);

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
