// Bounded "already seen" sets for the gossip [IGNORE] rules, grouped by slot so
// that pruning a slot frees its entries at once.

export interface SeenCacheOptions {
  /**
   * Most keys held over all slots. When full, the oldest slot's keys go first;
   * a key older than everything held is dropped instead.
   * @default 65536
   */
  maxEntries: number;
}

export const defaultSeenCacheOptions: SeenCacheOptions = { maxEntries: 65_536 };

export class SeenCache {
  private readonly bySlot = new Map<bigint, Set<string>>();
  readonly maxEntries: number;
  private count = 0;
  /** Keys refused because the cache was full of newer slots. */
  dropped = 0;
  /** Keys of older slots evicted to make room. */
  evicted = 0;

  constructor(opts: Partial<SeenCacheOptions> = {}) {
    this.maxEntries = opts.maxEntries ?? defaultSeenCacheOptions.maxEntries;
    if (!(this.maxEntries >= 1)) throw new RangeError("maxEntries must be ≥ 1");
  }

  get size(): number {
    return this.count;
  }

  has(slot: bigint, key: string): boolean {
    return this.bySlot.get(slot)?.has(key) ?? false;
  }

  /** Records `key` for `slot`; false if it was already there or could not be kept. */
  add(slot: bigint, key: string): boolean {
    let set = this.bySlot.get(slot);
    if (set?.has(key)) return false;
    if (this.count >= this.maxEntries && !this.makeRoom(slot)) {
      this.dropped++;
      return false;
    }
    if (set === undefined) {
      set = new Set();
      this.bySlot.set(slot, set);
    }
    set.add(key);
    this.count++;
    return true;
  }

  /** Forgets every slot below `minSlot`; returns how many keys went. */
  prune(minSlot: bigint): number {
    let removed = 0;
    for (const [slot, set] of this.bySlot) {
      if (slot < minSlot) {
        removed += set.size;
        this.bySlot.delete(slot);
      }
    }
    this.count -= removed;
    return removed;
  }

  /** Evicts one key of the oldest slot if that slot is older than `slot`. */
  private makeRoom(slot: bigint): boolean {
    let oldest: bigint | undefined;
    for (const s of this.bySlot.keys()) if (oldest === undefined || s < oldest) oldest = s;
    if (oldest === undefined || oldest >= slot) {
      // Same or newer slots only: evict within the current slot's oldest keys.
      if (oldest === undefined) return false;
      const same = this.bySlot.get(slot);
      if (same === undefined || same.size === 0) return false;
      const first = same.values().next().value as string;
      same.delete(first);
      this.count--;
      this.evicted++;
      return true;
    }
    const set = this.bySlot.get(oldest)!;
    const first = set.values().next().value as string;
    set.delete(first);
    if (set.size === 0) this.bySlot.delete(oldest);
    this.count--;
    this.evicted++;
    return true;
  }
}
