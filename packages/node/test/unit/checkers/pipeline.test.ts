import { describe, expect, it } from "vitest";
import type { ObserveChecker } from "../../../src/checkers/observe.js";
import { CheckerPipeline } from "../../../src/checkers/pipeline.js";
import type { StreamContext } from "../../../src/checkers/types.js";

const stream: StreamContext = {
  name: "s",
  id: new Uint8Array(32).fill(7),
  l1ChainId: 31337,
  tableContract: "0x0000000000000000000000000000000000000001",
};

/** An observe checker that counts its reads and finds nothing to attest. */
function countingObserve(): { observe: ObserveChecker; reads: bigint[] } {
  const reads: bigint[] = [];
  const observe = {
    observe: async (_s: StreamContext, slot: bigint) => {
      reads.push(slot);
      return { kind: "nothing", reason: "no table" };
    },
  } as unknown as ObserveChecker;
  return { observe, reads };
}

describe("CheckerPipeline decision cache", () => {
  it("decides a slot once, and again only after the slot is pruned", async () => {
    const { observe, reads } = countingObserve();
    const p = new CheckerPipeline({ maxCachedDecisions: 16 }, { observe, checkers: [] });
    for (const slot of [10n, 11n, 10n, 12n, 11n]) await p.decide(stream, slot);
    expect(reads).toEqual([10n, 11n, 12n]);

    p.prune(12n); // slots 10 and 11 are forgotten, 12 is kept
    for (const slot of [10n, 11n, 12n]) await p.decide(stream, slot);
    expect(reads).toEqual([10n, 11n, 12n, 10n, 11n]);
  });

  it("keeps at most maxCachedDecisions, dropping the oldest", async () => {
    const { observe, reads } = countingObserve();
    const p = new CheckerPipeline({ maxCachedDecisions: 2 }, { observe, checkers: [] });
    for (const slot of [1n, 2n, 3n]) await p.decide(stream, slot);
    await p.decide(stream, 3n);
    await p.decide(stream, 1n);
    expect(reads).toEqual([1n, 2n, 3n, 1n]);
  });
});
