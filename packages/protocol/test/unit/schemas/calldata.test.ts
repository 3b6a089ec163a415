// The cases of docs/spec.md §4.1 that a strict (`memory`) decoder refused while
// EEZ, reading a `calldata` parameter, accepts them: each must digest to what
// EEZ computes (checked here against the canonical re-encoding of the same
// values; test/integration/eez-calldata-fuzz.test.ts checks the same layouts
// against the compiled contract on anvil).
import { describe, expect, it } from "vitest";
import { type AbiValue, abiDecode, abiEncode, TableErrorCode } from "../../../src/schemas/abi.js";
import { memoryBytesForGas } from "../../../src/schemas/calldata.js";
import {
  BATCH_ABI,
  EXECUTION_ENTRY_ABI,
  type ExecutionEntry,
  eezBatchDigest,
  eezEntryHash,
  encodePostAndVerifyBatch,
  POST_AND_VERIFY_BATCH_SELECTOR,
  type ProofSystemBatchPerVerificationEntries,
} from "../../../src/schemas/eez.js";
import { makeRng, randBytes, randomEntry } from "./eezGen.js";

const M256 = (1n << 256n) - 1n;

/** Calldata built word by word: the batch head at word 1, one shared empty word at word 12. */
class Words {
  w: bigint[] = [32n, ...new Array<bigint>(11).fill(0n), 0n];
  static readonly HEAD = 1;
  static readonly EMPTY = 12;
  constructor() {
    for (const f of [0, 1, 4, 5, 7, 8, 9]) this.link(Words.HEAD, Words.HEAD + f, Words.EMPTY);
  }
  link(base: number, slot: number, tail: number): void {
    this.w[slot] = BigInt(32 * (tail - base)) & M256;
  }
  push(words: bigint[]): number {
    const at = this.w.length;
    this.w.push(...words);
    return at;
  }
  /** Appends raw bytes (a multiple of 32); returns their first word. */
  pushBytes(b: Uint8Array): number {
    const words: bigint[] = [];
    for (let i = 0; i < b.length; i += 32)
      words.push(BigInt(`0x${Buffer.from(b.subarray(i, i + 32)).toString("hex")}`));
    return this.push(words);
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(4 + 32 * this.w.length);
    out.set(POST_AND_VERIFY_BATCH_SELECTOR, 0);
    this.w.forEach((v, i) => {
      out.set(Buffer.from(v.toString(16).padStart(64, "0"), "hex"), 4 + 32 * i);
    });
    return out;
  }
}

/** The struct's own tail (abi.encode of one tuple, less its leading offset word). */
function structTail(e: ExecutionEntry): Uint8Array {
  return abiEncode(EXECUTION_ENTRY_ABI, e as unknown as AbiValue).subarray(32);
}

const emptyBatch = (): ProofSystemBatchPerVerificationEntries => ({
  entries: [],
  l1ToL2lookupCalls: [],
  transientExecutionEntryCount: 0n,
  transientLookupCallCount: 0n,
  proofSystems: [],
  rollupIdsWithProofSystems: [],
  crossProofSystemInteractions: new Uint8Array(32),
  blobIndices: [],
  callData: new Uint8Array(0),
  proofs: [],
  blockNumber: 0n,
});

/** The budget the strict decoder tied to calldata length (65,536 + 16 bytes per calldata byte). */
const oldBudget = (cd: Uint8Array): number => 65_536 + 16 * cd.length;

describe("calldata accessors: what EEZ accepts, ocp digests", () => {
  it("an offset that wraps below its base (2^256 − k) reads where it points; a far one reads an empty value", () => {
    const e = randomEntry(makeRng(1));
    const w = new Words();
    // The entry's tail sits before the entries array: its offset is negative.
    const tail = w.pushBytes(structTail(e));
    const arr = w.push([1n, 0n]);
    w.link(arr + 1, arr + 1, tail);
    w.link(Words.HEAD, Words.HEAD, arr);
    // l1ToL2lookupCalls: empty, read from 2^200 bytes below zero.
    w.w[Words.HEAD + 1] = -(1n << 200n) & M256;
    const cd = w.bytes();
    expect(w.w[arr + 1]! > 1n << 255n).toBe(true);
    // The strict decoder refuses both offsets.
    expect(() => abiDecode(BATCH_ABI, cd, 4)).toThrow(TableErrorCode.BAD_OFFSET);
    const d = eezBatchDigest(cd);
    const honest = eezBatchDigest(encodePostAndVerifyBatch({ ...emptyBatch(), entries: [e] }));
    expect(d.entryHashes).toEqual([eezEntryHash(e)]);
    expect(d.shared).toEqual(honest.shared);
  });

  it("many offsets to one large entry: hashed once, bounded by gas, not by calldata length", () => {
    const e = { ...randomEntry(makeRng(2)), returnData: randBytes(makeRng(3), 16_384) };
    const w = new Words();
    const n = 400;
    const arr = w.push([BigInt(n), ...new Array<bigint>(n).fill(0n)]);
    const tail = w.pushBytes(structTail(e));
    for (let i = 0; i < n; i++) w.link(arr + 1, arr + 1 + i, tail);
    w.link(Words.HEAD, Words.HEAD, arr);
    const cd = w.bytes();
    const encoded = n * (32 + structTail(e).length);
    expect(encoded).toBeGreaterThan(oldBudget(cd));
    const d = eezBatchDigest(cd);
    expect(d.entryHashes).toHaveLength(n);
    for (const h of d.entryHashes) expect(h).toEqual(eezEntryHash(e));
    expect(d.shared).toEqual(
      eezBatchDigest(encodePostAndVerifyBatch({ ...emptyBatch(), entries: new Array(n).fill(e) })).shared,
    );
  });

  it("aliased tails inside one entry (not shareable: the entry's hash covers every copy)", () => {
    const rng = makeRng(4);
    const big = {
      targetAddress: randBytes(rng, 20),
      value: 1n,
      data: randBytes(rng, 8_192),
      sourceAddress: randBytes(rng, 20),
      sourceRollupId: 2n,
      revertSpan: 0n,
    };
    const e: ExecutionEntry = { ...randomEntry(rng), l2ToL1Calls: [big] };
    const w = new Words();
    const entryAt = w.pushBytes(structTail(e));
    // The entry's l2ToL1Calls (field 3): length 1, then the call's offset from the array's data.
    const calls = entryAt + Number(w.w[entryAt + 3]!) / 32;
    const callAt = calls + 1 + Number(w.w[calls + 1]!) / 32;
    // Replaced by 300 offsets to that one call.
    const arr = w.push([300n, ...new Array<bigint>(300).fill(0n)]);
    for (let i = 0; i < 300; i++) w.link(arr + 1, arr + 1 + i, callAt);
    w.link(entryAt, entryAt + 3, arr);
    const entries = w.push([1n, 0n]);
    w.link(entries + 1, entries + 1, entryAt);
    w.link(Words.HEAD, Words.HEAD, entries);
    const cd = w.bytes();
    const expanded: ExecutionEntry = { ...e, l2ToL1Calls: new Array(300).fill(big) };
    expect(structTail(expanded).length).toBeGreaterThan(oldBudget(cd));
    expect(eezBatchDigest(cd).entryHashes).toEqual([eezEntryHash(expanded)]);
    // The EVM encodes every copy into fresh memory: the work is bounded by what
    // the call's gas paid for (16M gas, the EIP-7825 cap, buys that memory; 100k does not).
    expect(eezBatchDigest(cd, { gas: 16_000_000n }).entryHashes).toEqual([eezEntryHash(expanded)]);
    expect(() => eezBatchDigest(cd, { gas: 100_000n })).toThrow(TableErrorCode.TOO_LARGE);
  });

  it("proofs are never read for the digest: aliased, huge or unreadable proofs change nothing", () => {
    const e = randomEntry(makeRng(5));
    const want = eezBatchDigest(encodePostAndVerifyBatch({ ...emptyBatch(), entries: [e] })).shared;
    const w = new Words();
    const entryAt = w.pushBytes(structTail(e));
    const entries = w.push([1n, 0n]);
    w.link(entries + 1, entries + 1, entryAt);
    w.link(Words.HEAD, Words.HEAD, entries);
    // 2,000 offsets to one 32 KiB proof.
    const proof = w.push([32_768n, ...new Array<bigint>(1024).fill(7n)]);
    const proofs = w.push([2_000n, ...new Array<bigint>(2_000).fill(0n)]);
    for (let i = 0; i < 2_000; i++) w.link(proofs + 1, proofs + 1 + i, proof);
    w.link(Words.HEAD, Words.HEAD + 9, proofs);
    const cd = w.bytes();
    expect(2_000 * 32_768).toBeGreaterThan(oldBudget(cd));
    expect(eezBatchDigest(cd).shared).toEqual(want);
    // A proofs offset past the end: reading them would revert; the digest never does.
    w.w[Words.HEAD + 9] = M256 >> 1n;
    expect(eezBatchDigest(w.bytes()).shared).toEqual(want);
  });

  it("memoryBytesForGas is the largest memory a gas amount pays for (3w + w²/512)", () => {
    for (const g of [1n, 3n, 21_000n, 1_000_000n, 30_000_000n, 1n << 27n]) {
      const bytes = memoryBytesForGas(g);
      const w = bytes / 32;
      expect(3 * (w - 1) + Math.floor(((w - 1) * (w - 1)) / 512)).toBeLessThanOrEqual(Number(g));
      expect(3 * (w + 1) + Math.floor(((w + 1) * (w + 1)) / 512)).toBeGreaterThan(Number(g));
    }
    expect(memoryBytesForGas(0n)).toBe(0);
  });
});
