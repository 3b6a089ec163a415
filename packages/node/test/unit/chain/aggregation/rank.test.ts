import { describe, expect, it } from "vitest";
import { indicesOf, SlotPermutation } from "../../../../src/chain/aggregation/rank.js";

const SET_A = new Uint8Array(32).fill(0xa1);
const SET_B = new Uint8Array(32).fill(0xb2);

describe("SlotPermutation", () => {
  it("puts every index at a distinct place, for set sizes prime and composite", () => {
    for (const n of [1, 2, 3, 4, 7, 12, 32, 64, 100, 257, 1024]) {
      for (const slot of [0n, 1n, 17n, 2n ** 40n]) {
        const p = new SlotPermutation(n, SET_A, slot);
        const places = Array.from({ length: n }, (_, i) => p.rankOf(i));
        expect(new Set(places).size, `n ${n} slot ${slot}`).toBe(n);
        expect(Math.min(...places)).toBe(0);
        expect(Math.max(...places)).toBe(n - 1);
      }
    }
  });

  it("is the same on every node and changes with the slot and the set", () => {
    const order = (set: Uint8Array, slot: bigint) => {
      const p = new SlotPermutation(64, set, slot);
      return Array.from({ length: 64 }, (_, i) => p.rankOf(i));
    };
    expect(order(SET_A, 9n)).toEqual(order(SET_A, 9n));
    // who goes first differs across slots: over 64 slots, many different indices lead
    const firsts = new Set<number>();
    for (let s = 0n; s < 64n; s++) firsts.add(order(SET_A, s).indexOf(0));
    expect(firsts.size).toBeGreaterThan(24);
    expect(order(SET_A, 9n)).not.toEqual(order(SET_B, 9n));
  });

  it("a node's rank is that of its best key; without keys it comes after every key", () => {
    const p = new SlotPermutation(16, SET_A, 5n);
    const byPlace = Array.from({ length: 16 }, (_, i) => i).sort((x, y) => p.rankOf(x) - p.rankOf(y));
    expect(p.bestRank([byPlace[9]!, byPlace[3]!, byPlace[12]!])).toBe(3);
    expect(p.bestRank([])).toBe(16);
  });

  it("indicesOf finds keys by their bytes", () => {
    const v = [1, 2, 3, 4].map((b) => ({ pubkey: new Uint8Array(48).fill(b) }));
    expect(indicesOf(v, [new Uint8Array(48).fill(3), new Uint8Array(48).fill(1)])).toEqual([0, 2]);
    expect(indicesOf(v, [new Uint8Array(48).fill(9)])).toEqual([]);
  });
});
