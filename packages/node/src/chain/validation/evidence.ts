// Gossip validation of the `evidence` topic (docs/spec.md §5): builder or verifier
// equivocation, [IGNORE]d once evidence against that offender and slot is held.
import {
  decodeEvidenceSsz,
  EvidenceErrorCode,
  evidenceKey,
  type Offence,
  type SszEvidence,
  SszEvidenceKind,
  toHex,
  verifyBuilderEquivocation,
  verifyVerifierEquivocation,
} from "@ocp/protocol";
import { checkPlace, type Place, type ValidationContext } from "./context.js";
import { decodeOrReject, EvidenceGossipErrorCode, ignore, reject, unknownSet } from "./errors.js";

export interface ValidatedEvidence {
  evidence: SszEvidence;
  offence: Offence;
  /** evidenceKey(offence): one piece per offender and slot. */
  key: string;
  slot: bigint;
  slotKey: string;
}

const PLACE_CODES = {
  unknownDomain: EvidenceGossipErrorCode.UNKNOWN_DOMAIN,
  unknownStream: EvidenceGossipErrorCode.UNKNOWN_STREAM,
  tooOld: EvidenceGossipErrorCode.SLOT_TOO_OLD,
  fromFuture: EvidenceGossipErrorCode.SLOT_FROM_FUTURE,
};

export async function validateGossipEvidenceBytes(
  ctx: ValidationContext,
  bytes: Uint8Array,
): Promise<ValidatedEvidence> {
  return validateGossipEvidence(ctx, decodeOrReject(decodeEvidenceSsz, bytes));
}

export async function validateGossipEvidence(
  ctx: ValidationContext,
  ev: SszEvidence,
): Promise<ValidatedEvidence> {
  let place: Place;
  let slot: bigint;
  let provisional: string | undefined;
  if (ev.kind === SszEvidenceKind.BuilderEquivocation) {
    const a = ev.evidence.a;
    const o = a.commitment.observation;
    slot = o.slot;
    place = checkPlace(ctx, a.domain, o.stream, slot, PLACE_CODES);
    provisional = evidenceKey({
      kind: "builder",
      builder: a.commitment.builder,
      domain: a.domain,
      stream: o.stream,
      slot,
    });
    const builderHex = toHex(a.commitment.builder);
    // [IGNORE] evidence about a builder neither allowlisted nor pooled here: a
    // throwaway key's equivocation is nothing this node relies on (and costs two recoveries)
    if (
      !ctx.builderAllowlist.has(builderHex) &&
      ctx.pools.commitments.byBuilder(place.slotKey, builderHex).length === 0
    ) {
      throw ignore(EvidenceGossipErrorCode.UNKNOWN_BUILDER, builderHex);
    }
    // [IGNORE] the slot holds the most builder evidence this node keeps per slot
    if (ctx.builderEvidence.count(slot) >= ctx.maxBuilderEvidencePerSlot) {
      throw ignore(EvidenceGossipErrorCode.SLOT_FULL, `slot ${slot}`);
    }
  } else {
    const a = ev.evidence.a;
    slot = a.observation.slot;
    place = checkPlace(ctx, a.domain, a.observation.stream, slot, PLACE_CODES);
    const set = ctx.sets.get(a.setId);
    const entry = set?.verifiers[a.verifierIndex];
    if (entry !== undefined) {
      provisional = evidenceKey({
        kind: "verifier",
        pubkey: entry.pubkey,
        domain: a.domain,
        stream: a.observation.stream,
        slot,
      });
    }
  }
  // [IGNORE] evidence already held for that offender and slot (before any signature work)
  if (provisional !== undefined && ctx.seen.evidence.has(slot, provisional)) {
    throw ignore(EvidenceGossipErrorCode.ALREADY_KNOWN);
  }

  const r =
    ev.kind === SszEvidenceKind.BuilderEquivocation
      ? verifyBuilderEquivocation(ev.evidence)
      : verifyVerifierEquivocation(ev.evidence, ctx.sets);
  // [IGNORE] verifier evidence under a set this node does not know (then refresh sets)
  if (!r.ok && r.code === EvidenceErrorCode.UNKNOWN_SET && ev.kind === SszEvidenceKind.VerifierEquivocation) {
    ctx.onUnknownSet(ev.evidence.a.setId);
    throw unknownSet(EvidenceGossipErrorCode.UNKNOWN_SET, r.detail);
  }
  // [REJECT] the evidence does not verify
  if (!r.ok)
    throw reject(EvidenceGossipErrorCode.INVALID, r.detail === undefined ? r.code : `${r.code}: ${r.detail}`);
  const key = evidenceKey(r.value);
  // [IGNORE] evidence already held for that offender and slot
  if (key !== provisional && ctx.seen.evidence.has(slot, key))
    throw ignore(EvidenceGossipErrorCode.ALREADY_KNOWN);
  return { evidence: ev, offence: r.value, key, slot, slotKey: place.slotKey };
}
