// The chain side of gossip: owns the pools, seen caches, batching BLS verifier
// and aggregator, and gives each topic its two steps — validate (read-only) and
// accept (record seen, insert into the pool, emit certificates and evidence).
import {
  type Attestation,
  type BlsBackend,
  buildVerifierEquivocation,
  type Domain,
  evidenceKey,
  type Offence,
  type SszEvidence,
  SszEvidenceKind,
  type VerifierSetRegistry,
} from "@ocp/protocol";
import type { BoundSnapshot, BoundsReport } from "../metrics/bounds.js";
import { type Logger, nullLogger } from "../util/logger.js";
import { Aggregator, type AggregatorOptions, type CertificateEvent } from "./aggregation/aggregator.js";
import { aggregatorRank } from "./aggregation/rank.js";
import { BatchingBlsVerifier, type BlsVerifierOptions, type IBlsVerifier } from "./bls/verifier.js";
import { AttestationPool, type AttestationPoolOptions } from "./pools/attestationPool.js";
import {
  CertificatePool,
  type CertificatePoolOptions,
  type PooledCertificate,
} from "./pools/certificatePool.js";
import { CommitmentPool, type CommitmentPoolOptions } from "./pools/commitmentPool.js";
import { SeenCache, type SeenCacheOptions } from "./pools/seenCache.js";
import {
  type ValidatedAttestation,
  validateGossipAttestation,
  validateGossipAttestationBytes,
} from "./validation/attestation.js";
import { type ValidatedCertificate, validateGossipCertificateBytes } from "./validation/certificate.js";
import { type ValidatedCommitment, validateGossipCommitmentBytes } from "./validation/commitment.js";
import {
  type ChainPools,
  createValidationContext,
  type SeenCaches,
  type SlotWindow,
  type ValidationContext,
  type ValidationOptions,
} from "./validation/context.js";
import { type ValidatedEvidence, validateGossipEvidenceBytes } from "./validation/evidence.js";
import { rootCacheSize } from "./validation/rootCache.js";

export interface ChainPipelineOptions {
  validation: Partial<ValidationOptions>;
  blsVerifier: Partial<BlsVerifierOptions>;
  aggregator: Partial<AggregatorOptions>;
  seen: Partial<SeenCacheOptions>;
  commitmentPool: Partial<CommitmentPoolOptions>;
  attestationPool: Partial<AttestationPoolOptions>;
  certificatePool: Partial<CertificatePoolOptions>;
}

/** What became of a certificate built here when its turn came. */
export type CertificateTurn = "gossip" | "held_back";

export interface EvidenceEvent {
  evidence: SszEvidence;
  offence: Offence;
  key: string;
  /** "local": detected here from two messages; "gossip": received as evidence. */
  source: "local" | "gossip";
}

export interface ChainPipelineModules {
  domains: readonly Domain[];
  streams: readonly Uint8Array[];
  clock: SlotWindow;
  sets: VerifierSetRegistry;
  /** @default getBls() */
  bls?: BlsBackend;
  /** @default a BatchingBlsVerifier over `bls` */
  verifier?: IBlsVerifier;
  logger?: Logger;
  /** @default Date.now (aggregator rate limit) */
  now?: () => number;
  /** This node's verifier keys: their best place in a slot's order sets when it gossips a certificate. */
  ownKeys?: { readonly pubkeys: readonly Uint8Array[] };
  /**
   * The turn of a certificate built here (§6 "Aggregation"): "gossip" it, or
   * "held_back" because a peer's is on the wire already.
   */
  onCertificateTurn?(cert: PooledCertificate, outcome: CertificateTurn): void;
  /** A certificate entered the pool: formed here ("aggregator") or received ("gossip"). */
  onCertificate?(cert: PooledCertificate, source: "aggregator" | "gossip", ev?: CertificateEvent): void;
  /** New evidence to store (and gossip when local). */
  onEvidence?(ev: EvidenceEvent): void;
  /** A message named a set id this node does not hold. */
  onUnknownSet?(setId: Uint8Array): void;
  /** Whether the node's sets are known to be current for a slot (default: always). */
  setsCurrentFor?(slot: bigint): boolean;
  /** This node's own observationRoot for a slot, once read (unlisted builders must match it). */
  ownRoot?(stream: Uint8Array, slot: bigint): string | undefined;
}

/** Per-topic validate/accept pair; `validate` throws GossipActionError. */
export interface TopicHandler<V> {
  /** `peer`: the peer that forwarded the bytes, when they came from gossip. */
  validate(bytes: Uint8Array, peer?: string): Promise<V>;
  accept(value: V): void;
}

export class ChainPipeline {
  readonly ctx: ValidationContext;
  readonly pools: ChainPools;
  readonly seen: SeenCaches;
  readonly verifier: IBlsVerifier;
  readonly aggregator: Aggregator;
  private readonly modules: ChainPipelineModules;
  private readonly logger: Logger;
  private readonly publishTimers = new Set<NodeJS.Timeout>();
  /** Certificates built here and gossiped / held back because a peer's was already on the wire. */
  readonly certificatesBuilt = { gossiped: 0, heldBack: 0 };

  constructor(opts: Partial<ChainPipelineOptions>, modules: ChainPipelineModules) {
    this.modules = modules;
    this.logger = modules.logger ?? nullLogger;
    this.pools = {
      commitments: new CommitmentPool(opts.commitmentPool),
      attestations: new AttestationPool(opts.attestationPool),
      certificates: new CertificatePool(opts.certificatePool),
    };
    this.seen = {
      commitments: new SeenCache(opts.seen),
      attestations: new SeenCache(opts.seen),
      evidence: new SeenCache(opts.seen),
    };
    this.verifier =
      modules.verifier ??
      new BatchingBlsVerifier(opts.blsVerifier, modules.bls === undefined ? {} : { bls: modules.bls });
    this.ctx = createValidationContext(opts.validation ?? {}, {
      domains: modules.domains,
      streams: modules.streams,
      clock: modules.clock,
      sets: modules.sets,
      seen: this.seen,
      pools: this.pools,
      bls: this.verifier,
      ...(modules.onUnknownSet ? { onUnknownSet: (id: Uint8Array) => modules.onUnknownSet?.(id) } : {}),
      ...(modules.setsCurrentFor ? { setsCurrentFor: (slot: bigint) => modules.setsCurrentFor!(slot) } : {}),
      ...(modules.ownRoot ? { ownRoot: (st: Uint8Array, slot: bigint) => modules.ownRoot?.(st, slot) } : {}),
    });
    this.aggregator = new Aggregator(opts.aggregator ?? {}, {
      onCertificate: (ev) => this.onAggregated(ev),
      heldWeight: (g) => this.pools.certificates.weightFor(g.slotKey, g.rootHex),
      ...(modules.ownKeys === undefined ? {} : { rank: aggregatorRank(modules.ownKeys) }),
      ...(modules.now === undefined ? {} : { now: modules.now }),
      logger: this.logger,
    });
  }

  readonly commitment: TopicHandler<ValidatedCommitment> = {
    validate: (bytes, from) => validateGossipCommitmentBytes(this.ctx, bytes, from),
    accept: (v) => this.acceptCommitment(v),
  };
  readonly attestation: TopicHandler<ValidatedAttestation> = {
    validate: (bytes, peer) => validateGossipAttestationBytes(this.ctx, bytes, peer),
    accept: (v) => this.acceptAttestation(v),
  };
  readonly certificate: TopicHandler<ValidatedCertificate> = {
    validate: (bytes) => validateGossipCertificateBytes(this.ctx, bytes),
    accept: (v) => this.acceptCertificate(v),
  };
  readonly evidence: TopicHandler<ValidatedEvidence> = {
    validate: (bytes) => validateGossipEvidenceBytes(this.ctx, bytes),
    accept: (v) => this.acceptEvidence(v),
  };

  /**
   * The node's own vote, signed and self-checked by its validator store: the
   * gossip rules without a second signature check.
   */
  validateOwnAttestation(att: Attestation, root: Uint8Array): Promise<ValidatedAttestation> {
    return validateGossipAttestation(this.ctx, att, root, { signatureVerified: true });
  }

  acceptCommitment(v: ValidatedCommitment): void {
    this.seen.commitments.add(v.slot, v.seenKey);
    this.pools.commitments.add(v);
    if (v.equivocation !== undefined && v.evidenceKey !== undefined) {
      const { commitment, domain } = v.signed;
      this.recordEvidence(
        { kind: SszEvidenceKind.BuilderEquivocation, evidence: v.equivocation },
        {
          kind: "builder",
          builder: commitment.builder,
          domain,
          stream: commitment.observation.stream,
          slot: v.slot,
        },
        v.evidenceKey,
        "local",
      );
    }
  }

  acceptAttestation(v: ValidatedAttestation): void {
    // Recorded only now: the signature verified, so this is the real vote.
    this.seen.attestations.add(v.slot, v.seenKey);
    const r = this.pools.attestations.add(v);
    if (r.status === "added") this.aggregator.onGroupUpdated(r.group);
    let equivocation = v.equivocation;
    if (equivocation === undefined && r.status === "equivocation") {
      // Two votes validated concurrently: the validator could not see the first.
      const ev = buildVerifierEquivocation(r.first.attestation, v.attestation, this.modules.sets);
      if (ev.ok) equivocation = ev.value;
    }
    if (equivocation !== undefined) {
      const { domain, observation } = v.attestation;
      const pubkey = v.set.verifiers[v.attestation.verifierIndex]!.pubkey;
      const offence: Offence = { kind: "verifier", pubkey, domain, stream: observation.stream, slot: v.slot };
      this.recordEvidence(
        { kind: SszEvidenceKind.VerifierEquivocation, evidence: equivocation },
        offence,
        evidenceKey(offence),
        "local",
      );
    }
  }

  acceptCertificate(v: ValidatedCertificate): void {
    const r = this.pools.certificates.add(v);
    // Verified and gossiped on: on the wire even when one built here is heavier.
    this.pools.certificates.noteOnWire(v.slotKey, v.rootHex, v.signedWeight);
    if (r === "added" || r === "upgraded") this.modules.onCertificate?.(v, "gossip");
  }

  acceptEvidence(v: ValidatedEvidence): void {
    this.recordEvidence(v.evidence, v.offence, v.key, "gossip");
  }

  /** Called on each new slot: forgets everything older than the retention window. */
  onSlot(slot: bigint): void {
    const minSlot = slot - BigInt(this.ctx.retentionSlots);
    this.seen.commitments.prune(minSlot);
    this.seen.attestations.prune(minSlot);
    this.seen.evidence.prune(minSlot);
    this.ctx.unlistedBudget.prune(minSlot);
    this.ctx.builderEvidence.prune(minSlot);
    this.pools.commitments.prune(minSlot);
    this.pools.attestations.prune(minSlot);
    this.pools.certificates.prune(minSlot);
    this.aggregator.prune(minSlot);
  }

  /** Sizes of every pool, cache and queue of the chain side against its bound. */
  bounds(): BoundsReport {
    const seen = (c: SeenCache): BoundSnapshot => ({
      size: c.size,
      limit: c.maxEntries,
      dropped: c.dropped + c.evicted,
    });
    const { commitments, attestations, certificates } = this.pools;
    const roots = rootCacheSize();
    const report: BoundsReport = {
      seenCommitments: seen(this.seen.commitments),
      seenAttestations: seen(this.seen.attestations),
      seenEvidence: seen(this.seen.evidence),
      commitmentPool: { size: commitments.size, limit: commitments.limit, dropped: commitments.dropped },
      attestationPool: { size: attestations.size, limit: attestations.limit, dropped: attestations.dropped },
      attestationEquivocators: { size: attestations.equivocatorCount, limit: attestations.limit, dropped: 0 },
      certificatePool: {
        size: certificates.size,
        limit: certificates.limits.certificates,
        dropped: certificates.dropped,
      },
      certificatePoolSlots: { size: certificates.slotCount, limit: certificates.limits.slots, dropped: 0 },
      aggregatorGroups: { size: this.aggregator.groupCount, limit: attestations.limit, dropped: 0 },
      attestationRootCache: { size: roots.size, limit: roots.limit, dropped: roots.clears },
    };
    if (this.verifier instanceof BatchingBlsVerifier) {
      const b = this.verifier.buffered;
      report.blsBuffer = { size: b.sets, limit: b.limit, dropped: 0 };
    }
    return report;
  }

  async stop(): Promise<void> {
    this.aggregator.stop();
    for (const t of this.publishTimers) clearTimeout(t);
    this.publishTimers.clear();
    await this.verifier.close();
  }

  private recordEvidence(
    evidence: SszEvidence,
    offence: Offence,
    key: string,
    source: EvidenceEvent["source"],
  ): void {
    if (!this.seen.evidence.add(offence.slot, key)) return;
    if (offence.kind === "builder") this.ctx.builderEvidence.inc(offence.slot);
    this.modules.onEvidence?.({ evidence, offence, key, source });
  }

  private onAggregated(ev: CertificateEvent): void {
    const pooled: PooledCertificate = {
      certificate: ev.certificate,
      set: ev.set,
      signedWeight: ev.signedWeight,
      observationRoot: ev.observationRoot,
      rootHex: ev.rootHex,
      slotKey: ev.slotKey,
      slot: ev.slot,
    };
    const r = this.pools.certificates.add(pooled);
    // A heavier certificate for the root may already have arrived by gossip.
    if (r !== "added" && r !== "upgraded") return;
    this.modules.onCertificate?.(pooled, "aggregator", ev);
    if (ev.publishDelayMs <= 0) {
      this.publishBuilt(pooled, ev.kind);
      return;
    }
    const t = setTimeout(() => {
      this.publishTimers.delete(t);
      this.publishBuilt(pooled, ev.kind);
    }, ev.publishDelayMs);
    this.publishTimers.add(t);
  }

  /**
   * Our certificate's turn (§6 "Aggregation"): gossiped unless a heavier one
   * replaced it here, or a peer's is on the wire already — any for a first
   * certificate, one at least as heavy for an upgrade.
   */
  private publishBuilt(pooled: PooledCertificate, kind: CertificateEvent["kind"]): void {
    const pool = this.pools.certificates;
    if (pool.forRoot(pooled.slotKey, pooled.rootHex) !== pooled) return;
    const wire = pool.wireWeightFor(pooled.slotKey, pooled.rootHex);
    if (wire !== undefined && (kind === "new" || wire >= pooled.signedWeight)) {
      this.certificatesBuilt.heldBack++;
      this.modules.onCertificateTurn?.(pooled, "held_back");
      return;
    }
    pool.noteOnWire(pooled.slotKey, pooled.rootHex, pooled.signedWeight);
    this.certificatesBuilt.gossiped++;
    this.modules.onCertificateTurn?.(pooled, "gossip");
  }
}
