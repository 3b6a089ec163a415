// Builders' commitments that passed gossip validation, by (domain, stream, slot)
// and builder; bounded, with drop counters, pruned by slot.
import type { SignedCommitment } from "@ocp/protocol";

export interface PooledCommitment {
  signed: SignedCommitment;
  observationRoot: Uint8Array;
  rootHex: string;
  builderHex: string;
  slotKey: string;
  slot: bigint;
  /** On the builder allowlist; unlisted builders share a small per-slot share of the pool. */
  listed?: boolean;
}

export interface CommitmentPoolOptions {
  /**
   * Commitments kept per (domain, stream, slot), all builders together.
   * Honest slots carry one or two; the per-builder allowance keeps each
   * builder's share small.
   * @default 64
   */
  maxPerSlot: number;
  /** @default 4096 */
  maxTotal: number;
  /**
   * Commitments of builders outside the allowlist kept per slot, apart from
   * `maxPerSlot`: they can never displace a listed builder's. @default 4
   */
  maxUnlistedPerSlot: number;
}

export const defaultCommitmentPoolOptions: CommitmentPoolOptions = {
  maxPerSlot: 64,
  maxTotal: 4096,
  maxUnlistedPerSlot: 4,
};

export type CommitmentAddResult = "added" | "duplicate" | "dropped";

interface SlotEntry {
  slot: bigint;
  byBuilder: Map<string, PooledCommitment[]>;
  /** Listed builders' commitments. */
  count: number;
  unlisted: number;
}

export class CommitmentPool {
  private readonly opts: CommitmentPoolOptions;
  private readonly slots = new Map<string, SlotEntry>();
  private readonly byRoot = new Map<string, PooledCommitment>();
  private total = 0;
  /** Commitments refused because a bound was reached. */
  dropped = 0;

  constructor(opts: Partial<CommitmentPoolOptions> = {}) {
    this.opts = { ...defaultCommitmentPoolOptions, ...opts };
  }

  get size(): number {
    return this.total;
  }

  /** The bound on `size`. */
  get limit(): number {
    return this.opts.maxTotal;
  }

  add(c: PooledCommitment): CommitmentAddResult {
    const entry = this.slots.get(c.slotKey);
    const list = entry?.byBuilder.get(c.builderHex);
    if (list?.some((p) => p.rootHex === c.rootHex)) return "duplicate";
    const listed = c.listed !== false;
    const full = listed
      ? (entry?.count ?? 0) >= this.opts.maxPerSlot
      : (entry?.unlisted ?? 0) >= this.opts.maxUnlistedPerSlot;
    if (this.total >= this.opts.maxTotal || full) {
      this.dropped++;
      return "dropped";
    }
    let e = entry;
    if (e === undefined) {
      e = { slot: c.slot, byBuilder: new Map(), count: 0, unlisted: 0 };
      this.slots.set(c.slotKey, e);
    }
    if (list === undefined) e.byBuilder.set(c.builderHex, [c]);
    else list.push(c);
    if (listed) e.count++;
    else e.unlisted++;
    this.total++;
    if (!this.byRoot.has(c.rootHex)) this.byRoot.set(c.rootHex, c);
    return "added";
  }

  /** This builder's commitments for the slot, in arrival order. */
  byBuilder(slotKey: string, builderHex: string): readonly PooledCommitment[] {
    return this.slots.get(slotKey)?.byBuilder.get(builderHex) ?? [];
  }

  /** Every commitment for the slot, builders in arrival order. */
  forSlot(slotKey: string): PooledCommitment[] {
    const e = this.slots.get(slotKey);
    if (e === undefined) return [];
    return [...e.byBuilder.values()].flat();
  }

  /** The first commitment seen for an observationRoot (0x-hex). */
  forRoot(rootHex: string): PooledCommitment | undefined {
    return this.byRoot.get(rootHex);
  }

  /** Drops every slot below `minSlot`. */
  prune(minSlot: bigint): number {
    let removed = 0;
    for (const [key, e] of this.slots) {
      if (e.slot >= minSlot) continue;
      for (const list of e.byBuilder.values()) {
        for (const c of list) if (this.byRoot.get(c.rootHex) === c) this.byRoot.delete(c.rootHex);
      }
      removed += e.count + e.unlisted;
      this.slots.delete(key);
    }
    this.total -= removed;
    return removed;
  }
}
