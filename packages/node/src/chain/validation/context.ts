// What gossip validators may read: the network's domains and streams, the slot
// window, verifier sets, seen caches, pools and the BLS verifier. Validators
// never write to any of it (except `pendingVotes`, their own count of
// votes in flight); the gossip handler records after acceptance.
import {
  BuilderSignatureVerifier,
  type Domain,
  fromHex,
  toHex,
  type VerifierSetRegistry,
} from "@ocp/protocol";
import type { IBlsVerifier } from "../bls/verifier.js";
import type { SlotClock } from "../clock.js";
import type { AttestationPool } from "../pools/attestationPool.js";
import type { CertificatePool } from "../pools/certificatePool.js";
import type { CommitmentPool } from "../pools/commitmentPool.js";
import { domainKey, slotKey } from "../pools/keys.js";
import type { SeenCache } from "../pools/seenCache.js";
import { fromFuture, ignore, reject } from "./errors.js";

/** The slot-window half of the SlotClock (§5: retention window, one slot ahead). */
export type SlotWindow = Pick<SlotClock, "isTooOld" | "isFromFuture">;

export interface SeenCaches {
  /** `builderHex:rootHex` per slot. */
  commitments: SeenCache;
  /** `setIdHex:index:rootHex` per slot. */
  attestations: SeenCache;
  /** evidenceKey(offence) per slot. */
  evidence: SeenCache;
}

export interface ChainPools {
  commitments: CommitmentPool;
  attestations: AttestationPool;
  certificates: CertificatePool;
}

export interface ValidationOptions {
  /**
   * Slots behind the current one that gossip still carries.
   * @default 64 — two Ethereum epochs: certificates of the previous epoch can still form
   */
  retentionSlots: number;
  /**
   * Distinct commitments one builder may publish per (domain, stream, slot).
   * 2 lets a corrected commitment through (and with it the equivocation evidence).
   * @default 2
   */
  maxCommitmentsPerBuilderPerSlot: number;
  /**
   * Builders whose commitments are relayed, pooled and stored in full: 20-byte
   * addresses (or 0x-hex). Every other builder's commitment gets only the small
   * budgets below, with a plain signature recovery, and counts only when it
   * matches this node's own observation (docs/spec.md §5). Empty or absent:
   * nodes certify by self-proposal. @default undefined (no builder listed)
   */
  builderAllowlist?: readonly (Uint8Array | string)[];
  /** Commitments from builders outside the allowlist checked per slot, all peers together. @default 8 */
  unlistedBuildersPerSlot: number;
  /** ... and per peer and slot. @default 2 */
  unlistedBuildersPerPeerPerSlot: number;
  /** Builder equivocation evidence held per slot. @default 16 */
  maxBuilderEvidencePerSlot: number;
}

export const defaultValidationOptions: ValidationOptions = {
  retentionSlots: 64,
  maxCommitmentsPerBuilderPerSlot: 2,
  unlistedBuildersPerSlot: 8,
  unlistedBuildersPerPeerPerSlot: 2,
  maxBuilderEvidencePerSlot: 16,
};

/** A count per slot (evidence held), pruned with the retention window. */
export class SlotCounter {
  private readonly counts = new Map<bigint, number>();

  count(slot: bigint): number {
    return this.counts.get(slot) ?? 0;
  }

  inc(slot: bigint): void {
    this.counts.set(slot, this.count(slot) + 1);
  }

  prune(minSlot: bigint): void {
    for (const s of this.counts.keys()) if (s < minSlot) this.counts.delete(s);
  }
}

/** Budget spent per slot on commitments from builders outside the allowlist. */
export class UnlistedBuilderBudget {
  private readonly slots = new Map<bigint, { total: number; byPeer: Map<string, number> }>();

  constructor(
    readonly perSlot: number,
    readonly perPeerPerSlot: number,
  ) {}

  /** Takes one unit for (slot, peer); false when either budget is spent. */
  take(slot: bigint, peer: string): boolean {
    let e = this.slots.get(slot);
    if (e === undefined) {
      e = { total: 0, byPeer: new Map() };
      this.slots.set(slot, e);
    }
    const mine = e.byPeer.get(peer) ?? 0;
    if (e.total >= this.perSlot || mine >= this.perPeerPerSlot) return false;
    e.total++;
    e.byPeer.set(peer, mine + 1);
    return true;
  }

  prune(minSlot: bigint): void {
    for (const s of this.slots.keys()) if (s < minSlot) this.slots.delete(s);
  }

  get size(): number {
    return this.slots.size;
  }
}

export interface ValidationContext {
  /** domainKey() of each network domain this node serves. */
  readonly domains: ReadonlySet<string>;
  /** 0x-hex stream ids this network carries. */
  readonly streams: ReadonlySet<string>;
  readonly clock: SlotWindow;
  readonly retentionSlots: number;
  readonly sets: VerifierSetRegistry;
  readonly seen: SeenCaches;
  readonly pools: ChainPools;
  readonly bls: IBlsVerifier;
  readonly maxCommitmentsPerBuilderPerSlot: number;
  /** 0x-hex (lowercase) builder addresses allowlisted; may be empty. */
  readonly builderAllowlist: ReadonlySet<string>;
  /** Written by commitment validation before any signature work (the point of a budget). */
  readonly unlistedBudget: UnlistedBuilderBudget;
  readonly maxBuilderEvidencePerSlot: number;
  /** Builder evidence held per slot (written when evidence is recorded). */
  readonly builderEvidence: SlotCounter;
  /** This node's own observationRoot (0x-hex) for a slot, once it has read the block. */
  readonly ownRoot: (stream: Uint8Array, slot: bigint) => string | undefined;
  /** Builder signature checks, with known builders' keys remembered. */
  readonly builderSignatures: BuilderSignatureVerifier;
  /**
   * Votes waiting for their signature check, by attestation group key: the
   * copies waiting per voter index, and the weight of those voters (each once).
   */
  readonly pendingVotes: Map<string, { weight: bigint; copies: Map<number, number> }>;
  /** A message named a set id this node does not hold: the node refreshes its sets (rate-limited). */
  readonly onUnknownSet: (setId: Uint8Array) => void;
  /**
   * False while the node cannot be sure its sets include the one governing
   * `slot` on chain (sets from the anchor, refresh too old): votes and
   * certificates are then not judged, so never aggregated or relayed.
   */
  readonly setsCurrentFor: (slot: bigint) => boolean;
}

export interface ValidationContextModules {
  domains: readonly Domain[];
  /** 32-byte stream ids. */
  streams: readonly Uint8Array[];
  clock: SlotWindow;
  sets: VerifierSetRegistry;
  seen: SeenCaches;
  pools: ChainPools;
  bls: IBlsVerifier;
  onUnknownSet?: (setId: Uint8Array) => void;
  setsCurrentFor?: (slot: bigint) => boolean;
  ownRoot?: (stream: Uint8Array, slot: bigint) => string | undefined;
}

export function createValidationContext(
  opts: Partial<ValidationOptions>,
  modules: ValidationContextModules,
): ValidationContext {
  const o = { ...defaultValidationOptions, ...opts };
  if (!(Number.isInteger(o.retentionSlots) && o.retentionSlots >= 0)) throw new RangeError("retentionSlots");
  if (!(Number.isInteger(o.maxCommitmentsPerBuilderPerSlot) && o.maxCommitmentsPerBuilderPerSlot >= 1)) {
    throw new RangeError("maxCommitmentsPerBuilderPerSlot must be ≥ 1");
  }
  return {
    domains: new Set(modules.domains.map(domainKey)),
    streams: new Set(modules.streams.map((s) => toHex(s))),
    clock: modules.clock,
    retentionSlots: o.retentionSlots,
    sets: modules.sets,
    seen: modules.seen,
    pools: modules.pools,
    bls: modules.bls,
    maxCommitmentsPerBuilderPerSlot: o.maxCommitmentsPerBuilderPerSlot,
    builderAllowlist: new Set(
      (o.builderAllowlist ?? []).map((a) => (typeof a === "string" ? toHex(fromHex(a, 20)) : toHex(a))),
    ),
    unlistedBudget: new UnlistedBuilderBudget(o.unlistedBuildersPerSlot, o.unlistedBuildersPerPeerPerSlot),
    maxBuilderEvidencePerSlot: o.maxBuilderEvidencePerSlot,
    builderEvidence: new SlotCounter(),
    ownRoot: modules.ownRoot ?? (() => undefined),
    builderSignatures: new BuilderSignatureVerifier(),
    pendingVotes: new Map(),
    onUnknownSet: modules.onUnknownSet ?? (() => undefined),
    setsCurrentFor: modules.setsCurrentFor ?? (() => true),
  };
}

/** The codes a topic uses for the rules every topic shares. */
export interface PlaceCodes<C extends string> {
  unknownDomain: C;
  unknownStream: C;
  tooOld: C;
  fromFuture: C;
}

export interface Place {
  domainKey: string;
  streamHex: string;
  slotKey: string;
}

/** The checks of DESIGN §5 "all": domain, stream, slot window. */
export function checkPlace<C extends string>(
  ctx: ValidationContext,
  domain: Domain,
  stream: Uint8Array,
  slot: bigint,
  codes: PlaceCodes<C>,
): Place {
  const dk = domainKey(domain);
  // [REJECT] domain unknown to this network
  if (!ctx.domains.has(dk)) throw reject(codes.unknownDomain, dk);
  const streamHex = toHex(stream);
  // [REJECT] stream unknown to this network
  if (!ctx.streams.has(streamHex)) throw reject(codes.unknownStream, streamHex);
  // [IGNORE] slot older than the retention window
  if (ctx.clock.isTooOld(slot, ctx.retentionSlots)) throw ignore(codes.tooOld, `slot ${slot}`);
  // [IGNORE] slot more than one slot in the future (clock disparity allowed);
  // the network layer may hold the message until the slot starts here
  if (ctx.clock.isFromFuture(slot)) throw fromFuture(codes.fromFuture, slot);
  return { domainKey: dk, streamHex, slotKey: slotKey(dk, streamHex, slot) };
}
