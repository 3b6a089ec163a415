// Which node gossips a slot's certificate first (docs/spec.md §6,
// "Aggregation"). Every node that reaches quorum builds one, and with network
// delays of a few hundred milliseconds many of them reach it before anyone's
// certificate arrives: 32 hosts gossiped about 16 distinct certificates per
// slot, each flooding the mesh. Instead the set's indices are put in a per-slot
// order and a node gossips its certificate `rank × rankDelayMs` after building
// it, the rank being that of its best key; a peer's certificate arriving first
// makes it unneeded. A node that withholds only costs one step, and the order
// changes every slot.
import { createHash } from "node:crypto";
import type { AttestationGroup } from "../pools/attestationPool.js";

/**
 * The permutation `i ↦ (a·i + b) mod n` of the set's indices for one slot:
 * `a` and `b` come from sha256("ocp-aggregator-rank" ‖ setId ‖ slot), `a`
 * moved up to the next value coprime with `n` (so the map is a bijection).
 */
export class SlotPermutation {
  readonly a: number;
  readonly b: number;

  constructor(
    readonly n: number,
    setId: Uint8Array,
    slot: bigint,
  ) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`set size ${n}`);
    const slotBytes = Buffer.alloc(8);
    slotBytes.writeBigUInt64BE(BigInt.asUintN(64, slot));
    const h = createHash("sha256").update(RANK_TAG).update(setId).update(slotBytes).digest();
    let a = h.readUInt32BE(0) % n || 1;
    while (gcd(a, n) !== 1) a = (a % n) + 1;
    this.a = a;
    this.b = h.readUInt32BE(4) % n;
  }

  /** Position of index `i` (0 ≤ i < n) in this slot's order. */
  rankOf(i: number): number {
    // a, i < n ≤ 2^32: the product may exceed 2^53, so reduce in BigInt only then.
    const p = this.a * i;
    return Number.isSafeInteger(p)
      ? (p + this.b) % this.n
      : Number((BigInt(this.a) * BigInt(i) + BigInt(this.b)) % BigInt(this.n));
  }

  /** The best (lowest) rank among `indices`; `n` when there is none (a node without keys in the set). */
  bestRank(indices: Iterable<number>): number {
    let best = this.n;
    for (const i of indices) best = Math.min(best, this.rankOf(i));
    return best;
  }
}

const RANK_TAG = Buffer.from("ocp-aggregator-rank");

function gcd(x: number, y: number): number {
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** Indices in `set` of the given public keys (compressed bytes). */
export function indicesOf(
  verifiers: readonly { readonly pubkey: Uint8Array }[],
  pubkeys: readonly Uint8Array[],
): number[] {
  if (pubkeys.length === 0) return [];
  const mine = new Set(pubkeys.map((pk) => Buffer.from(pk).toString("hex")));
  const out: number[] = [];
  for (let i = 0; i < verifiers.length; i++)
    if (mine.has(Buffer.from(verifiers[i]!.pubkey).toString("hex"))) out.push(i);
  return out;
}

/** The aggregator's `rank`: the best place of `keys` in the group's slot order. */
export function aggregatorRank(keys: {
  readonly pubkeys: readonly Uint8Array[];
}): (group: AttestationGroup) => number {
  return (g) =>
    new SlotPermutation(g.set.size, g.set.setId, g.slot).bestRank(indicesOf(g.set.verifiers, keys.pubkeys));
}
