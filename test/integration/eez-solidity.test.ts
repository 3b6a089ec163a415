// Cross-checks the `ocp.eez.v1` digests against Solidity's own ABI decoder and
// encoder (EezHashHarness on anvil), for canonical and non-canonical calldata.

import { keccak_256 } from "@noble/hashes/sha3.js";
import { EezHashHarness } from "@ocp/contracts";
import {
  type AbiValue,
  abiArray,
  abiBytes32,
  abiEncode,
  BATCH_ABI,
  EXECUTION_ENTRY_ABI,
  eezBatchDigest,
  eezProofFields,
  eezPublicInputsHash,
  encodePostAndVerifyBatch,
  POST_AND_VERIFY_BATCH_SELECTOR,
  type ProofSystemBatchPerVerificationEntries,
  TableErrorCode,
} from "@ocp/protocol";
import {
  type Address,
  createPublicClient,
  createWalletClient,
  decodeFunctionResult,
  encodeFunctionData,
  type Hex,
  http,
  toFunctionSelector,
  toHex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { beforeAll, describe, expect, it } from "vitest";
import {
  encodeParamsScrambled,
  entryPosition,
  makeRng,
  type Rng,
  randBytes,
  randomBatch,
  toViemValue,
} from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { ANVIL_PRIVATE_KEYS, useAnvil } from "../utils/anvil.js";

const anvil = useAnvil();
const abi = EezHashHarness.abi;
let harness: Address;
let client: ReturnType<typeof createPublicClient>;

const hex = (b: Uint8Array): Hex => toHex(b);
const viemBatch = (b: ProofSystemBatchPerVerificationEntries) =>
  toViemValue(BATCH_ABI, b as unknown as AbiValue);

function selectorOf(name: string): Uint8Array {
  const item = abi.find((x) => x.type === "function" && x.name === name)!;
  return Buffer.from(toFunctionSelector(item as never).slice(2), "hex");
}

async function rawCall(data: Uint8Array): Promise<Hex> {
  const res = await client.call({ to: harness, data: hex(data) });
  return res.data ?? "0x";
}

function batchWithBlobs(rng: Rng): { b: ProofSystemBatchPerVerificationEntries; txBlobs: Uint8Array[] } {
  const txBlobs = [randBytes(rng, 32), randBytes(rng, 32), randBytes(rng, 32)];
  return { b: randomBatch(rng, { txBlobs: 3 }), txBlobs };
}

beforeAll(async () => {
  client = createPublicClient({ chain: foundry, transport: http(anvil.current.rpcUrl) });
  const wallet = createWalletClient({
    account: privateKeyToAccount(ANVIL_PRIVATE_KEYS[0]),
    chain: foundry,
    transport: http(anvil.current.rpcUrl),
  });
  const hash = await wallet.deployContract({ abi, bytecode: EezHashHarness.bytecode });
  const receipt = await client.waitForTransactionReceipt({ hash });
  harness = receipt.contractAddress!;
});

describe("ocp.eez.v1 against Solidity (anvil)", () => {
  it("entry hashes, lookup hashes, shared and publicInputsHash_k agree on random batches", async () => {
    for (let seed = 0; seed < 24; seed++) {
      const rng = makeRng(1000 + seed);
      const { b, txBlobs } = batchWithBlobs(rng);
      if (seed === 0) {
        b.entries = Array.from({ length: 40 }, () => randomBatch(rng, { maxEntries: 1 }).entries[0]).filter(
          (e) => e !== undefined,
        );
      }
      const blobHashes = b.blobIndices.map((i) => txBlobs[Number(i)]!);
      const d = eezBatchDigest(encodePostAndVerifyBatch(b), { blobHashes: txBlobs });
      const args = [viemBatch(b)] as never;
      const entryHashes = await client.readContract({
        address: harness,
        abi,
        functionName: "entryHashes",
        args,
      });
      const lookupHashes = await client.readContract({
        address: harness,
        abi,
        functionName: "lookupHashes",
        args,
      });
      const shared = await client.readContract({
        address: harness,
        abi,
        functionName: "shared",
        args: [viemBatch(b), blobHashes.map(hex)] as never,
      });
      expect(d.entryHashes.map(hex)).toEqual(entryHashes);
      expect(d.lookupHashes.map(hex)).toEqual(lookupHashes);
      expect(hex(d.shared)).toBe(shared);

      const blockHash = randBytes(rng, 32);
      const timestamp = BigInt(Math.floor(rng() * 2 ** 40));
      const vks = b.rollupIdsWithProofSystems.map(() => randBytes(rng, 32));
      const vkOf = (rid: bigint) => vks[b.rollupIdsWithProofSystems.findIndex((r) => r.rollupId === rid)];
      for (let k = 0n; k < BigInt(b.proofSystems.length); k++) {
        const ours = eezPublicInputsHash(d.shared, b.rollupIdsWithProofSystems, k, vkOf, {
          blockHash,
          timestamp,
        });
        const theirs = await client.readContract({
          address: harness,
          abi,
          functionName: "publicInputsHash",
          args: [viemBatch(b), blobHashes.map(hex), k, vks.map(hex), hex(blockHash), timestamp] as never,
        });
        expect(hex(ours)).toBe(theirs);
      }
    }
  });

  it("non-canonical calldata: Solidity accepts it and agrees with our digest; slice hashes do not", async () => {
    const entrySel = selectorOf("entryHashes");
    const lookupSel = selectorOf("lookupHashes");
    const sharedSel = selectorOf("shared");
    let naiveChecked = 0;
    for (let seed = 0; seed < 16; seed++) {
      const rng = makeRng(5000 + seed);
      const { b, txBlobs } = batchWithBlobs(rng);
      const blobHashes = b.blobIndices.map((i) => txBlobs[Number(i)]!);
      // One parameter list, the same bytes behind both selectors.
      const params = encodeParamsScrambled([{ type: BATCH_ABI, value: b as unknown as AbiValue }], rng);
      const calldata = new Uint8Array([...POST_AND_VERIFY_BATCH_SELECTOR, ...params]);
      expect(calldata).not.toEqual(encodePostAndVerifyBatch(b));
      const d = eezBatchDigest(calldata, { blobHashes: txBlobs });

      const entryOut = await rawCall(new Uint8Array([...entrySel, ...params]));
      const solEntries = decodeFunctionResult({ abi, functionName: "entryHashes", data: entryOut });
      expect(d.entryHashes.map(hex)).toEqual(solEntries);
      const lookupOut = await rawCall(new Uint8Array([...lookupSel, ...params]));
      expect(d.lookupHashes.map(hex)).toEqual(
        decodeFunctionResult({ abi, functionName: "lookupHashes", data: lookupOut }),
      );

      const sharedParams = encodeParamsScrambled(
        [
          { type: BATCH_ABI, value: b as unknown as AbiValue },
          { type: abiArray(abiBytes32), value: blobHashes },
        ],
        rng,
      );
      const sharedOut = await rawCall(new Uint8Array([...sharedSel, ...sharedParams]));
      expect(hex(d.shared)).toBe(decodeFunctionResult({ abi, functionName: "shared", data: sharedOut }));

      // Hashing calldata slices instead of the re-encoding gives other hashes.
      b.entries.forEach((e, i) => {
        const canonical = abiEncode(EXECUTION_ENTRY_ABI, e as unknown as AbiValue);
        const pos = entryPosition(calldata, i);
        const naive = keccak_256(
          new Uint8Array([
            ...canonical.subarray(0, 32),
            ...calldata.subarray(pos, pos + canonical.length - 32),
          ]),
        );
        expect(hex(naive)).not.toBe(solEntries[i]);
        naiveChecked++;
      });
    }
    expect(naiveChecked).toBeGreaterThan(10);
  });

  it("dirty blockNumber/address revert when read (proof fields), never in the digest; a far offset reverts for both", async () => {
    const rng = makeRng(77);
    const b = randomBatch(rng);
    b.proofSystems = [randBytes(rng, 20)];
    const cd = encodePostAndVerifyBatch(b);
    const entrySel = selectorOf("entryHashes");
    const variants: [string, (m: Uint8Array) => void][] = [
      ["blockNumber", (m) => (m[4 + 32 + 10 * 32 + 20] = 1)],
      [
        "proofSystems[0]",
        (m) => {
          const tp = 4 + 32;
          const psPos = tp + Number(BigInt(hex(m.subarray(tp + 4 * 32, tp + 5 * 32))));
          m[psPos + 32 + 5] = 1;
        },
      ],
      ["entries offset", (m) => m.fill(0xff, 4 + 32 + 28, 4 + 32 + 32)],
    ];
    for (const [name, mutate] of variants) {
      const m = cd.slice();
      mutate(m);
      if (name === "entries offset") {
        expect(() => eezBatchDigest(m), name).toThrow(TableErrorCode.REVERTS);
      } else {
        // Not hashed, so not read by the digest; read (and refused) as EEZ reads them.
        expect(eezBatchDigest(m).shared, name).toEqual(eezBatchDigest(cd).shared);
        expect(() => eezProofFields(m), name).toThrow(TableErrorCode.REVERTS);
      }
      await expect(rawCall(new Uint8Array([...entrySel, ...m.subarray(4)])), name).rejects.toThrow();
    }
    // Unmutated, the same path succeeds (so the rejections above are the mutation's doing).
    const ok = await rawCall(new Uint8Array([...entrySel, ...cd.subarray(4)]));
    expect(decodeFunctionResult({ abi, functionName: "entryHashes", data: ok })).toEqual(
      eezBatchDigest(cd).entryHashes.map(hex),
    );
  });

  it("the harness and our encoder agree on the calldata layout", () => {
    const b = randomBatch(makeRng(4));
    const viaViem = encodeFunctionData({ abi, functionName: "entryHashes", args: [viemBatch(b)] as never });
    expect(viaViem.slice(10)).toBe(hex(encodePostAndVerifyBatch(b)).slice(10));
  });
});
