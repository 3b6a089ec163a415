// Verified attestations grouped by (domain, stream, slot, observationRoot, setId)
// with each group's signed weight. A verifier index counts once per slot: its
// first vote; a later vote for another root (equivocation) counts nowhere.
import type { Attestation, Domain, Observation, VerifierSet } from "@ocp/protocol";

/** An attestation whose signature has been verified, with its derived data. */
export interface PooledAttestation {
  attestation: Attestation;
  observationRoot: Uint8Array;
  rootHex: string;
  set: VerifierSet;
  slotKey: string;
  slot: bigint;
}

export interface AttestationGroup {
  readonly key: string;
  readonly slotKey: string;
  readonly slot: bigint;
  readonly rootHex: string;
  readonly observationRoot: Uint8Array;
  readonly domain: Domain;
  readonly observation: Observation;
  /** The first vote's setId: every vote of the group shares it (and domain, observation). */
  readonly setId: Uint8Array;
  readonly set: VerifierSet;
  /** Counted votes by verifier index. */
  readonly byIndex: Map<number, Attestation>;
  signedWeight: bigint;
}

export interface AttestationPoolOptions {
  /**
   * Attestations held over all slots. A slot holds at most one counted vote per
   * verifier (≤ 4096, docs/spec.md §5), so this covers 16 full slots of the largest set.
   * @default 65536
   */
  maxTotal: number;
}

export const defaultAttestationPoolOptions: AttestationPoolOptions = { maxTotal: 65_536 };

export type AttestationAddResult =
  | { status: "added"; group: AttestationGroup }
  /** The same vote again: nothing changes. */
  | { status: "duplicate"; group: AttestationGroup }
  /** The index already voted for another root this slot: not counted. */
  | { status: "equivocation"; first: PooledAttestation }
  | { status: "dropped" };

interface Vote {
  pooled: PooledAttestation;
}

interface SlotEntry {
  slot: bigint;
  groups: Map<string, AttestationGroup>;
  /** `${setIdHex}:${index}` → first vote. */
  votes: Map<string, Vote>;
}

export class AttestationPool {
  private readonly opts: AttestationPoolOptions;
  private readonly slots = new Map<string, SlotEntry>();
  private readonly equivocators = new Set<string>();
  private total = 0;
  /** Attestations refused because the pool was full. */
  dropped = 0;

  constructor(opts: Partial<AttestationPoolOptions> = {}) {
    this.opts = { ...defaultAttestationPoolOptions, ...opts };
  }

  get size(): number {
    return this.total;
  }

  /** The bound on `size`. */
  get limit(): number {
    return this.opts.maxTotal;
  }

  /** Recorded (slot, set, index) equivocators: each has a counted vote, so ≤ `limit`. */
  get equivocatorCount(): number {
    return this.equivocators.size;
  }

  add(p: PooledAttestation): AttestationAddResult {
    const index = p.attestation.verifierIndex;
    const voteKey = `${p.set.setIdHex}:${index}`;
    let entry = this.slots.get(p.slotKey);
    const prior = entry?.votes.get(voteKey);
    if (prior !== undefined) {
      if (prior.pooled.rootHex === p.rootHex) {
        return { status: "duplicate", group: entry!.groups.get(groupKey(p))! };
      }
      this.equivocators.add(`${p.slotKey}|${voteKey}`);
      return { status: "equivocation", first: prior.pooled };
    }
    if (this.total >= this.opts.maxTotal) {
      this.dropped++;
      return { status: "dropped" };
    }
    if (entry === undefined) {
      entry = { slot: p.slot, groups: new Map(), votes: new Map() };
      this.slots.set(p.slotKey, entry);
    }
    const gk = groupKey(p);
    let group = entry.groups.get(gk);
    if (group === undefined) {
      group = {
        key: gk,
        slotKey: p.slotKey,
        slot: p.slot,
        rootHex: p.rootHex,
        observationRoot: p.observationRoot,
        domain: p.attestation.domain,
        observation: p.attestation.observation,
        setId: p.attestation.setId,
        set: p.set,
        byIndex: new Map(),
        signedWeight: 0n,
      };
      entry.groups.set(gk, group);
    }
    const pooled = group.byIndex.size === 0 ? p : shareGroupFields(p, group);
    entry.votes.set(voteKey, { pooled });
    group.byIndex.set(index, pooled.attestation);
    group.signedWeight += p.set.weights[index]!;
    this.total++;
    return { status: "added", group };
  }

  /** The index's counted vote in this slot, if any. */
  voteOf(slotKey: string, setIdHex: string, index: number): PooledAttestation | undefined {
    return this.slots.get(slotKey)?.votes.get(`${setIdHex}:${index}`)?.pooled;
  }

  /** Whether the index has signed two roots in this slot. */
  hasEquivocated(slotKey: string, setIdHex: string, index: number): boolean {
    return this.equivocators.has(`${slotKey}|${setIdHex}:${index}`);
  }

  /** Signed weight of the votes counted for a group (0 when it has none). */
  weightOf(key: string): bigint {
    return this.group(key)?.signedWeight ?? 0n;
  }

  group(key: string): AttestationGroup | undefined {
    const slotKey = key.slice(0, key.lastIndexOf("|", key.lastIndexOf("|") - 1));
    return this.slots.get(slotKey)?.groups.get(key);
  }

  /** Every group of a slot (one per root and set). */
  groups(slotKey: string): AttestationGroup[] {
    return [...(this.slots.get(slotKey)?.groups.values() ?? [])];
  }

  prune(minSlot: bigint): number {
    let removed = 0;
    for (const [key, e] of this.slots) {
      if (e.slot >= minSlot) continue;
      removed += e.votes.size;
      this.slots.delete(key);
      for (const q of this.equivocators) if (q.startsWith(`${key}|`)) this.equivocators.delete(q);
    }
    this.total -= removed;
    return removed;
  }
}

/**
 * The vote as held: one group's votes all carry the same domain, observation
 * and setId (equal roots), so they point at the group's copies instead of
 * keeping their own: about 1.4 KB less per vote (eight byte arrays, two
 * objects, two bigints and three strings), over `retentionSlots` of votes.
 */
function shareGroupFields(p: PooledAttestation, group: AttestationGroup): PooledAttestation {
  return {
    attestation: {
      domain: group.domain,
      observation: group.observation,
      setId: group.setId,
      verifierIndex: p.attestation.verifierIndex,
      signature: p.attestation.signature,
    },
    observationRoot: group.observationRoot,
    rootHex: group.rootHex,
    set: p.set,
    slotKey: group.slotKey,
    slot: p.slot,
  };
}

/** `slotKey|rootHex|setIdHex` */
export function groupKey(p: { slotKey: string; rootHex: string; set: VerifierSet }): string {
  return `${p.slotKey}|${p.rootHex}|${p.set.setIdHex}`;
}
