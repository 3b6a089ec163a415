// Verified certificates: the heaviest one per (domain, stream, slot) and per
// observationRoot within it (two roots can both be certified when more than a
// third equivocates; both are kept so the conflict is visible).
import type { Certificate, VerifierSet } from "@ocp/protocol";

export interface PooledCertificate {
  certificate: Certificate;
  set: VerifierSet;
  signedWeight: bigint;
  observationRoot: Uint8Array;
  rootHex: string;
  slotKey: string;
  slot: bigint;
}

export interface CertificatePoolOptions {
  /**
   * Distinct roots kept per slot. More than one certified root means a third
   * of the weight equivocated; a handful is enough to show that.
   * @default 4
   */
  maxRootsPerSlot: number;
  /** @default 4096 */
  maxSlots: number;
}

export const defaultCertificatePoolOptions: CertificatePoolOptions = { maxRootsPerSlot: 4, maxSlots: 4096 };

export type CertificateAddResult = "added" | "upgraded" | "not_better" | "dropped";

interface SlotEntry {
  slot: bigint;
  byRoot: Map<string, PooledCertificate>;
  /**
   * Per root, the heaviest signed weight known to be on the wire: gossiped by
   * this node or received from a peer and verified. A certificate built here
   * and not (yet) gossiped is held in `byRoot` but does not count.
   */
  wire: Map<string, bigint>;
}

export class CertificatePool {
  private readonly opts: CertificatePoolOptions;
  private readonly slots = new Map<string, SlotEntry>();
  /** Certificates refused because a bound was reached. */
  dropped = 0;

  constructor(opts: Partial<CertificatePoolOptions> = {}) {
    this.opts = { ...defaultCertificatePoolOptions, ...opts };
  }

  /** Certificates held (one per slot and root). */
  get size(): number {
    let n = 0;
    for (const e of this.slots.values()) n += e.byRoot.size;
    return n;
  }

  get slotCount(): number {
    return this.slots.size;
  }

  /** The bounds on `slotCount` and on `size`. */
  get limits(): { slots: number; certificates: number } {
    return { slots: this.opts.maxSlots, certificates: this.opts.maxSlots * this.opts.maxRootsPerSlot };
  }

  add(c: PooledCertificate): CertificateAddResult {
    let entry = this.slots.get(c.slotKey);
    const held = entry?.byRoot.get(c.rootHex);
    if (held !== undefined) {
      if (c.signedWeight <= held.signedWeight) return "not_better";
      entry!.byRoot.set(c.rootHex, c);
      return "upgraded";
    }
    if (entry === undefined) {
      if (this.slots.size >= this.opts.maxSlots) {
        this.dropped++;
        return "dropped";
      }
      entry = { slot: c.slot, byRoot: new Map(), wire: new Map() };
      this.slots.set(c.slotKey, entry);
    }
    if (entry.byRoot.size >= this.opts.maxRootsPerSlot) {
      this.dropped++;
      return "dropped";
    }
    entry.byRoot.set(c.rootHex, c);
    return "added";
  }

  /** Signed weight of the certificate held for this root, if any. */
  weightFor(slotKey: string, rootHex: string): bigint | undefined {
    return this.slots.get(slotKey)?.byRoot.get(rootHex)?.signedWeight;
  }

  /** The heaviest weight of a certificate for this root known to be on the wire, if any. */
  wireWeightFor(slotKey: string, rootHex: string): bigint | undefined {
    return this.slots.get(slotKey)?.wire.get(rootHex);
  }

  /**
   * A certificate of this weight for a held root went out or came in verified.
   * Only roots held here are tracked (the pool's bounds hold).
   */
  noteOnWire(slotKey: string, rootHex: string, weight: bigint): void {
    const entry = this.slots.get(slotKey);
    if (entry === undefined || !entry.byRoot.has(rootHex)) return;
    const w = entry.wire.get(rootHex);
    if (w === undefined || weight > w) entry.wire.set(rootHex, weight);
  }

  forRoot(slotKey: string, rootHex: string): PooledCertificate | undefined {
    return this.slots.get(slotKey)?.byRoot.get(rootHex);
  }

  /** The heaviest certificate of the slot (first held on a tie). */
  best(slotKey: string): PooledCertificate | undefined {
    let best: PooledCertificate | undefined;
    for (const c of this.slots.get(slotKey)?.byRoot.values() ?? []) {
      if (best === undefined || c.signedWeight > best.signedWeight) best = c;
    }
    return best;
  }

  /** Every certified root of the slot. */
  forSlot(slotKey: string): PooledCertificate[] {
    return [...(this.slots.get(slotKey)?.byRoot.values() ?? [])];
  }

  prune(minSlot: bigint): number {
    let removed = 0;
    for (const [key, e] of this.slots) {
      if (e.slot >= minSlot) continue;
      removed += e.byRoot.size;
      this.slots.delete(key);
    }
    return removed;
  }
}
