// The devnet's batch generator: sizes, rollups and state chaining as
// promised, and every batch survives the EEZ codec and table digest.
import { decodeEezBatch, eezTableDigest, encodePostAndVerifyBatch, toHex } from "@ocp/protocol";
import { describe, expect, it } from "vitest";
import { BatchGenerator, DEVNET_ROLLUPS, makeRng } from "../../src/devnet/batch.js";

describe("devnet batch generator", () => {
  it("makes slots of 1–50 entries over the 3 rollups, with nested lookups, some through the orchestrator", () => {
    const gen = new BatchGenerator(makeRng(7));
    const vias = new Set<string>();
    let nested = 0;
    let two = 0;
    for (let i = 0; i < 60; i++) {
      const { batches, via } = gen.slot();
      vias.add(via);
      if (batches.length === 2) two++;
      const entries = batches.reduce((a, b) => a + b.entries.length, 0);
      expect(entries).toBeGreaterThanOrEqual(1);
      expect(entries).toBeLessThanOrEqual(50);
      for (const b of batches) {
        for (const e of b.entries)
          for (const d of e.stateDeltas) expect(DEVNET_ROLLUPS).toContain(d.rollupId);
        nested += b.l1ToL2lookupCalls.filter((l) => l.expectedLookups.length > 0).length;
      }
      const digest = eezTableDigest(batches.map((b) => ({ calldata: encodePostAndVerifyBatch(b) })));
      expect(digest.entryCount).toBe(entries);
    }
    expect(vias).toEqual(new Set(["direct", "orchestrator"]));
    expect(two).toBeGreaterThan(0);
    expect(nested).toBeGreaterThan(0);
  });

  it("chains each rollup's state root from one delta to the next", () => {
    const gen = new BatchGenerator(makeRng(3));
    const last = new Map<bigint, string>();
    for (let i = 0; i < 10; i++) {
      for (const e of gen.batch(5).entries)
        for (const d of e.stateDeltas) {
          const prev = last.get(d.rollupId);
          if (prev !== undefined) expect(toHex(d.currentState)).toBe(prev);
          last.set(d.rollupId, toHex(d.newState));
        }
    }
    expect(last.size).toBe(3);
  });

  it("encodes canonically: decode(encode(b)) re-encodes to the same bytes", () => {
    const gen = new BatchGenerator(makeRng(11));
    for (let i = 0; i < 5; i++) {
      const bytes = encodePostAndVerifyBatch(gen.batch());
      expect(toHex(encodePostAndVerifyBatch(decodeEezBatch(bytes)))).toBe(toHex(bytes));
    }
  });
});
