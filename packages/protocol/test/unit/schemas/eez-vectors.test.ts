// Replays the hostile encodings found by the differential fuzz
// (test/integration/eez-calldata-fuzz.test.ts): each was accepted by the
// devnet ExecutionTable (compiled Solidity, `calldata` parameter) on anvil,
// with the hashes the contract itself computed. Our digest must keep agreeing.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../../src/hex.js";
import { eezBatchDigest } from "../../../src/schemas/eez.js";

interface Vector {
  calldata: string;
  /** The call's transaction blob hashes (none when absent). */
  blobHashes?: string[];
  shared: string;
  entryHashes: string[];
  lookupHashes: string[];
}

const vectors = JSON.parse(
  readFileSync(new URL("./eez-hostile-vectors.json", import.meta.url), "utf8"),
) as Vector[];

describe("ocp.eez.v1 hostile vectors (accepted on chain)", () => {
  it("has a corpus", () => {
    expect(vectors.length).toBeGreaterThanOrEqual(32);
    expect(vectors.some((v) => v.blobHashes !== undefined)).toBe(true);
  });
  it.each(vectors.map((v, i) => [i, v] as const))("vector %i: digest equals the contract's", (_i, v) => {
    const d = eezBatchDigest(fromHex(v.calldata), {
      blobHashes: (v.blobHashes ?? []).map((h) => fromHex(h)),
    });
    expect(toHex(d.shared)).toBe(v.shared);
    expect(d.entryHashes.map(toHex)).toEqual(v.entryHashes);
    expect(d.lookupHashes.map(toHex)).toEqual(v.lookupHashes);
  });
});
