// What becomes of the messages the chain pipeline accepted or produced: which
// are stored (the storage policy), counted, gossiped (our own) and announced;
// and the periodic pruning of old slots.
import {
  bytesEqual,
  type Certificate,
  type Domain,
  encodeCertificateSsz,
  encodeEvidenceSsz,
  signedWeightOf,
  toHex,
  verifierIndexOf,
} from "@ocp/protocol";
import type { CertificateTurn, ChainPipeline, EvidenceEvent } from "../chain/pipeline.js";
import type { PooledCertificate } from "../chain/pools/certificatePool.js";
import type { PooledCommitment } from "../chain/pools/commitmentPool.js";
import { domainKey, slotKey } from "../chain/pools/keys.js";
import { type StreamContext, streamSlotId } from "../checkers/types.js";
import type { NodeDb } from "../db/nodeDb.js";
import type { CertificateSource, NodeEventSink } from "../events.js";
import type { RecorderMetrics } from "../metrics/metrics.js";
import { GossipKind } from "../network/topics.js";
import type { Logger } from "../util/logger.js";

export interface RecorderModules {
  domain: Domain;
  validators: { readonly pubkeys: readonly Uint8Array[] };
  chain: Pick<ChainPipeline, "pools" | "ctx">;
  db: Pick<NodeDb, "certificates" | "evidence" | "commitments" | "prune">;
  /** This node's own root and decision time per slot (duties/slotDuties.ts). */
  duties: {
    ownRoot(stream: Uint8Array, slot: bigint): string | undefined;
    decidedAtMs(stateKey: string): number | undefined;
  };
  /** Gossips; failures are logged, never thrown. */
  publish(kind: GossipKind, bytes: Uint8Array): Promise<void>;
  events: NodeEventSink;
  metrics: RecorderMetrics | null;
  logger: Logger;
}

export class Recorder {
  constructor(private readonly m: RecorderModules) {}

  /**
   * Stores a pooled commitment and announces it once stored. An unlisted
   * builder's commitment is kept only when it is our own observation (its
   * conflicting one, relayed as proof of equivocation, is not).
   */
  storeCommitment(stream: StreamContext | undefined, c: PooledCommitment): Promise<void> {
    const ours = stream !== undefined && this.m.duties.ownRoot(stream.id, c.slot) === c.rootHex;
    if (c.listed === false && !ours) return Promise.resolve();
    return this.m.db.commitments.add(c.signed).then(
      () => void this.m.events.emit("commitment", c.signed),
      (e: unknown) => this.m.logger.error({ err: String(e) }, "storing commitment failed"),
    );
  }

  /** A certificate entered the pool: counted, announced, the best one per slot stored. */
  async onCertificate(c: PooledCertificate, source: CertificateSource): Promise<void> {
    const { m } = this;
    const cert = c.certificate;
    m.metrics?.certificates.inc({ source });
    let ownMissing = 0;
    for (const pk of m.validators.pubkeys) {
      const i = verifierIndexOf(c.set, pk);
      if (i >= 0 && ((cert.signers[i >> 3]! >> (i & 7)) & 1) === 0) ownMissing++;
    }
    m.metrics?.health.onCertificate(c.slot, c.signedWeight, c.set, ownMissing);
    const stateKey = streamSlotId(cert.observation.stream, c.slot);
    const decidedAtMs = m.duties.decidedAtMs(stateKey);
    if (decidedAtMs !== undefined)
      m.metrics?.node.observeCertificateLatency(stateKey, source, (Date.now() - decidedAtMs) / 1000);
    // Held from here on (the pool; `bestCertificate` reads it before the db).
    m.events.emit("certificate", cert, { source, signedWeight: c.signedWeight });
    try {
      const stored = m.db.certificates.getBestSync(cert.observation.stream, c.slot);
      const storedWeight =
        stored && bytesEqual(stored.setId, c.set.setId) ? signedWeightOf(c.set, stored.signers) : -1n;
      if (!stored || storedWeight < c.signedWeight || !bytesEqual(stored.setId, c.set.setId)) {
        await m.db.certificates.putBest(cert, { sync: false });
      }
    } catch (e) {
      m.logger.error({ err: String(e) }, "storing certificate failed");
    }
  }

  /** The turn of a certificate built here: counted, and gossiped unless held back (the pipeline decides). */
  onCertificateTurn(c: PooledCertificate, outcome: CertificateTurn): Promise<void> {
    this.m.metrics?.certificateTurns.inc({ outcome });
    if (outcome === "held_back") return Promise.resolve();
    return this.m.publish(GossipKind.certificate, encodeCertificateSsz(c.certificate));
  }

  /** The best certificate held for a slot: the pool's (recent slots), else the stored one. */
  async bestCertificate(stream: StreamContext, slot: bigint): Promise<Certificate | undefined> {
    const key = slotKey(domainKey(this.m.domain), toHex(stream.id), slot);
    return (
      this.m.chain.pools.certificates.best(key)?.certificate ??
      (await this.m.db.certificates.getBest(stream.id, slot))
    );
  }

  /** Evidence is always stored; ours (detected here) is gossiped. */
  async onEvidence(ev: EvidenceEvent): Promise<void> {
    const { m } = this;
    m.metrics?.evidence.inc({ source: ev.source });
    try {
      await m.db.evidence.add(ev.evidence);
    } catch (e) {
      m.logger.error({ err: String(e) }, "storing evidence failed");
    }
    if (ev.source === "local") await m.publish(GossipKind.evidence, encodeEvidenceSsz(ev.evidence));
    m.logger.warn({ offence: ev.offence.kind, slot: ev.offence.slot.toString() }, "equivocation evidence");
    m.events.emit("evidence", ev.evidence);
  }

  /** Every 32 slots: old slots leave the db (a listed builder's evidence stays). */
  onSlot(slot: bigint): void {
    if (slot % 32n !== 0n) return;
    const listed = this.m.chain.ctx.builderAllowlist;
    void this.m.db
      .prune(slot, undefined, { keepBuilderEvidence: (builder) => listed.has(builder) })
      .catch((e) => this.m.logger.warn({ err: String(e) }, "prune failed"));
  }
}
