import { keccak_256 } from "@noble/hashes/sha3.js";
import fc from "fast-check";
import { concatHex, encodeAbiParameters, encodeFunctionData, hexToBytes, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { ProtocolError } from "../../../src/errors.js";
import { type AbiValue, abiEncode, TableErrorCode } from "../../../src/schemas/abi.js";
import {
  BATCH_ABI,
  decodeEezBatch,
  EEZ_SCHEMA_NAME,
  EXECUTION_ENTRY_ABI,
  eezBatchDigest,
  eezBlockContext,
  eezEntryHash,
  eezLookupHash,
  eezProofFields,
  eezPublicInputsHash,
  eezTableDigest,
  encodePostAndVerifyBatch,
  LOOKUP_CALL_ABI,
  POST_AND_VERIFY_BATCH_SELECTOR,
  type ProofSystemBatchPerVerificationEntries,
  SCHEMA_EEZ_V1,
} from "../../../src/schemas/eez.js";
import {
  encodeParamsScrambled,
  entryPosition,
  makeRng,
  randBytes,
  randomBatch,
  toViemParam,
  toViemValue,
} from "./eezGen.js";

const hex = (b: Uint8Array): `0x${string}` => toHex(b);
const batchAbi = [
  { type: "function", name: "postAndVerifyBatch", inputs: [toViemParam(BATCH_ABI, "batch")] },
] as const;

function viemCalldata(b: ProofSystemBatchPerVerificationEntries): Uint8Array {
  return hexToBytes(
    encodeFunctionData({
      abi: batchAbi,
      functionName: "postAndVerifyBatch",
      args: [toViemValue(BATCH_ABI, b as unknown as AbiValue)],
    } as never),
  );
}

/** shared computed with viem's encoder from the decoded values (independent of our encoder). */
function viemShared(b: ProofSystemBatchPerVerificationEntries, blobs: Uint8Array[]): `0x${string}` {
  const arr = (hs: `0x${string}`[]) => encodeAbiParameters([{ type: "bytes32[]" }], [hs]);
  const entryHashes = b.entries.map((e) =>
    keccak256(
      encodeAbiParameters([toViemParam(EXECUTION_ENTRY_ABI)], [toViemValue(EXECUTION_ENTRY_ABI, e as never)]),
    ),
  );
  const lookupHashes = b.l1ToL2lookupCalls.map((l) =>
    keccak256(
      encodeAbiParameters([toViemParam(LOOKUP_CALL_ABI)], [toViemValue(LOOKUP_CALL_ABI, l as never)]),
    ),
  );
  // BLOBHASH of an index past the transaction's blobs is zero.
  const blobHashes = b.blobIndices.map((i) => hex(blobs[Number(i)] ?? new Uint8Array(32)));
  return keccak256(
    concatHex([
      arr(entryHashes),
      arr(lookupHashes),
      arr(blobHashes),
      keccak256(hex(b.callData)),
      hex(b.crossProofSystemInteractions),
    ]),
  );
}

function expectTyped(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    expect(Object.values(TableErrorCode)).toContain((e as ProtocolError).code);
  }
}

describe("ocp.eez.v1", () => {
  it("has schema id keccak256(utf8(name)) and the selector viem derives", () => {
    expect(hex(SCHEMA_EEZ_V1)).toBe(keccak256(toHex(EEZ_SCHEMA_NAME)));
    expect(viemCalldata(randomBatch(makeRng(1))).subarray(0, 4)).toEqual(POST_AND_VERIFY_BATCH_SELECTOR);
  });

  it("encodes calldata like viem and round-trips encode → decode → encode", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const b = randomBatch(makeRng(seed), { txBlobs: 3 });
        const cd = encodePostAndVerifyBatch(b);
        expect(cd).toEqual(viemCalldata(b));
        const dec = decodeEezBatch(cd);
        expect(dec).toEqual(b);
        expect(encodePostAndVerifyBatch(dec)).toEqual(cd);
      }),
      { numRuns: 60 },
    );
  });

  it("digests match entry/lookup hashes and shared computed through viem", () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const rng = makeRng(seed);
        const blobs = [randBytes(rng, 32), randBytes(rng, 32), randBytes(rng, 32)];
        const b = randomBatch(rng, { txBlobs: 3 });
        const d = eezBatchDigest(encodePostAndVerifyBatch(b), { blobHashes: blobs });
        expect(d.entryCount).toBe(b.entries.length);
        expect(d.entryHashes).toEqual(b.entries.map(eezEntryHash));
        expect(d.lookupHashes).toEqual(b.l1ToL2lookupCalls.map(eezLookupHash));
        expect(hex(d.shared)).toBe(viemShared(b, blobs));
        const p = eezProofFields(encodePostAndVerifyBatch(b));
        expect(p.blockNumber).toBe(b.blockNumber);
        expect(p.proofs).toEqual(b.proofs);
        expect(p.proofSystems).toEqual(b.proofSystems);
        expect(p.rollupIdsWithProofSystems).toEqual(b.rollupIdsWithProofSystems);
      }),
      { numRuns: 60 },
    );
  });

  it("non-canonical calldata decodes to the same values and the same digest; slice hashes differ", () => {
    let compared = 0;
    for (let seed = 0; seed < 60; seed++) {
      const rng = makeRng(seed);
      const b = randomBatch(rng, { maxEntries: 5 });
      const canonical = encodePostAndVerifyBatch(b);
      const scrambled = new Uint8Array([
        ...POST_AND_VERIFY_BATCH_SELECTOR,
        ...encodeParamsScrambled([{ type: BATCH_ABI, value: b as unknown as AbiValue }], rng),
      ]);
      expect(scrambled).not.toEqual(canonical);
      expect(decodeEezBatch(scrambled)).toEqual(b);
      const d1 = eezBatchDigest(canonical);
      const d2 = eezBatchDigest(scrambled);
      expect(d2.shared).toEqual(d1.shared);
      expect(d2.entryHashes).toEqual(d1.entryHashes);
      b.entries.forEach((e, i) => {
        // A naive digest: the offset word, then as many calldata bytes from the
        // entry's start as its canonical encoding has.
        const canonicalEntry = abiEncode(EXECUTION_ENTRY_ABI, e as unknown as AbiValue);
        const pos = entryPosition(scrambled, i);
        const naive = keccak_256(
          new Uint8Array([
            ...canonicalEntry.subarray(0, 32),
            ...scrambled.subarray(pos, pos + canonicalEntry.length - 32),
          ]),
        );
        expect(keccak_256(canonicalEntry)).toEqual(d1.entryHashes[i]);
        expect(naive).not.toEqual(d1.entryHashes[i]);
        compared++;
      });
    }
    expect(compared).toBeGreaterThan(20);
  });

  it("publicInputsHash_k follows Appendix A (checked with viem's encoder)", () => {
    const rng = makeRng(7);
    const b = randomBatch(rng);
    const d = {
      ...eezBatchDigest(encodePostAndVerifyBatch(b)),
      ...eezProofFields(encodePostAndVerifyBatch(b)),
    };
    const vks = new Map(
      b.rollupIdsWithProofSystems.map((r) => [r.rollupId, [randBytes(rng, 32), randBytes(rng, 32)]]),
    );
    const ctx = { blockHash: randBytes(rng, 32), timestamp: 1_700_000_000n };
    for (let k = 0n; k < BigInt(b.proofSystems.length); k++) {
      let acc = `0x${"00".repeat(32)}` as `0x${string}`;
      for (const r of b.rollupIdsWithProofSystems) {
        if (!r.proofSystemIndex.includes(k)) continue;
        acc = keccak256(
          encodeAbiParameters(
            [
              { type: "bytes32" },
              { type: "uint256" },
              { type: "bytes32" },
              { type: "bytes32" },
              { type: "uint256" },
            ],
            [acc, r.rollupId, hex(vks.get(r.rollupId)![Number(k % 2n)]!), hex(ctx.blockHash), ctx.timestamp],
          ),
        );
      }
      const expected = keccak256(concatHex([hex(d.shared), acc]));
      const got = eezPublicInputsHash(
        d.shared,
        d.rollupIdsWithProofSystems,
        k,
        (rid, kk) => vks.get(rid)?.[Number(kk % 2n)],
        ctx,
      );
      expect(hex(got)).toBe(expected);
    }
    const unsorted = [...b.rollupIdsWithProofSystems].reverse();
    if (unsorted.length > 1) {
      expect(() => eezPublicInputsHash(d.shared, unsorted, 0n, () => new Uint8Array(32), ctx)).toThrow(
        TableErrorCode.ROLLUPS_NOT_SORTED,
      );
    }
    const withK = b.rollupIdsWithProofSystems.find((r) => r.proofSystemIndex.length > 0);
    if (withK) {
      expect(() =>
        eezPublicInputsHash(
          d.shared,
          b.rollupIdsWithProofSystems,
          withK.proofSystemIndex[0]!,
          () => undefined,
          ctx,
        ),
      ).toThrow(TableErrorCode.MISSING_VK);
    }
  });

  it("applies the block context rule", () => {
    const env = {
      blockNumber: 100n,
      timestamp: 12345n,
      blockHash: (n: bigint) => keccak_256(new TextEncoder().encode(String(n))),
    };
    expect(eezBlockContext(0n, env)).toEqual({ blockHash: new Uint8Array(32), timestamp: 0n });
    expect(eezBlockContext((1n << 64n) - 1n, env)).toEqual({
      blockHash: env.blockHash(99n),
      timestamp: 12345n,
    });
    expect(eezBlockContext(42n, env)).toEqual({ blockHash: env.blockHash(42n), timestamp: 0n });
  });

  it("tableDigest = keccak256(abi.encode(bytes32[] shared)) and entryCount sums entries", () => {
    const rng = makeRng(3);
    const bs = [randomBatch(rng), randomBatch(rng), randomBatch(rng)];
    const t = eezTableDigest(bs.map((b) => ({ calldata: encodePostAndVerifyBatch(b) })));
    expect(t.entryCount).toBe(bs.reduce((s, b) => s + b.entries.length, 0));
    const expected = keccak256(
      encodeAbiParameters([{ type: "bytes32[]" }], [bs.map((b) => viemShared(b, []))]),
    );
    expect(hex(t.tableDigest)).toBe(expected);
    expect(hex(eezTableDigest([]).tableDigest)).toBe(
      keccak256(encodeAbiParameters([{ type: "bytes32[]" }], [[]])),
    );
  });

  it("reads a missing blob as zero, as BLOBHASH does; rejects a wrong selector; dirty fields revert only when read", () => {
    const b = randomBatch(makeRng(11), { txBlobs: 2 });
    b.blobIndices = [1n, 5n, (1n << 256n) - 1n];
    b.proofSystems = [randBytes(makeRng(2), 20)];
    const cd = encodePostAndVerifyBatch(b);
    const wrong = cd.slice();
    wrong[0]! ^= 1;
    expect(() => eezBatchDigest(wrong)).toThrow(TableErrorCode.WRONG_SELECTOR);
    expect(() => decodeEezBatch(new Uint8Array(3))).toThrow(TableErrorCode.WRONG_SELECTOR);
    const one = randBytes(makeRng(3), 32);
    const zero = new Uint8Array(32);
    // Index 1 is past a one-blob transaction, 5 and 2^256-1 past any: all zero.
    const d1 = eezBatchDigest(cd, { blobHashes: [one] });
    expect(d1.blobHashes).toEqual([zero, zero, zero]);
    expect(hex(d1.shared)).toBe(viemShared(b, [one]));
    const d2 = eezBatchDigest(cd, { blobHashes: [zero, one] });
    expect(d2.blobHashes).toEqual([one, zero, zero]);
    expect(hex(d2.shared)).toBe(viemShared(b, [zero, one]));
    // blockNumber is the batch's last head word: tuple at 4 + 32, field 10. It
    // is never hashed, so the digest does not read it; EEZ's proof path does.
    const dirtyBn = cd.slice();
    dirtyBn[4 + 32 + 10 * 32 + 3] = 1;
    expect(eezBatchDigest(dirtyBn).shared).toEqual(eezBatchDigest(cd).shared);
    expect(() => eezProofFields(dirtyBn)).toThrow(TableErrorCode.REVERTS);
    expect(() => decodeEezBatch(dirtyBn)).toThrow(TableErrorCode.REVERTS);
  });

  it("raises only typed errors on truncated, mutated and random calldata", () => {
    const blobs = [new Uint8Array(32), new Uint8Array(32)];
    fc.assert(
      fc.property(fc.integer(), fc.nat(), fc.nat(), fc.uint8Array({ maxLength: 600 }), (seed, a, b, junk) => {
        const batch = randomBatch(makeRng(seed), { maxEntries: 3, txBlobs: 2 });
        const cd = encodePostAndVerifyBatch(batch);
        const full = eezBatchDigest(cd, { blobHashes: blobs });
        const cut = cd.subarray(0, 4 + (a % (cd.length - 3)));
        try {
          // Only trailing `bytes` padding may go missing without changing anything.
          expect(eezBatchDigest(cut, { blobHashes: blobs }).shared).toEqual(full.shared);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
        const m = cd.slice();
        const w = 4 + (a % ((m.length - 4) / 32)) * 32;
        const fills = [0xff, 0x7f, 0x01, 0x00];
        m.fill(fills[b % 4]!, w + (b % 32), w + 32);
        expectTyped(() => eezBatchDigest(m, { blobHashes: blobs }));
        expectTyped(() => decodeEezBatch(m));
        const withSel = new Uint8Array([...POST_AND_VERIFY_BATCH_SELECTOR, ...junk]);
        expectTyped(() => eezBatchDigest(withSel, { blobHashes: blobs }));
        expectTyped(() => decodeEezBatch(withSel));
      }),
      { numRuns: 300 },
    );
  });

  it("handles many entries and empty batches", () => {
    const rng = makeRng(99);
    const b = randomBatch(rng, { maxEntries: 0, maxLookups: 0 });
    b.entries = Array.from({ length: 300 }, () => randomBatch(rng, { maxEntries: 1 }).entries[0]).filter(
      (e) => e !== undefined,
    );
    const d = eezBatchDigest(encodePostAndVerifyBatch(b));
    expect(d.entryCount).toBe(b.entries.length);
    expect(hex(d.shared)).toBe(viemShared(b, []));
    const empty = {
      ...b,
      entries: [],
      l1ToL2lookupCalls: [],
      proofs: [],
      proofSystems: [],
      rollupIdsWithProofSystems: [],
    };
    expect(eezBatchDigest(encodePostAndVerifyBatch(empty)).entryCount).toBe(0);
  });
});
