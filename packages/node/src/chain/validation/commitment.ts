// Gossip validation of the `commitment` topic (docs/spec.md §5): a builder's signed
// proposal. Agreement with this node's own observation is not judged here.
import {
  type BuilderEquivocation,
  buildBuilderEquivocation,
  decodeSignedCommitmentSsz,
  evidenceKey,
  observationRoot,
  type SignedCommitment,
  toHex,
} from "@ocp/protocol";
import type { PooledCommitment } from "../pools/commitmentPool.js";
import { checkPlace, type ValidationContext } from "./context.js";
import { CommitmentErrorCode, decodeOrReject, ignore, reject } from "./errors.js";

export interface ValidatedCommitment extends PooledCommitment {
  /** Key of the (builder, observationRoot) seen cache. */
  seenKey: string;
  /** Set when the builder signed another observation for this slot (verified). */
  equivocation?: BuilderEquivocation;
  /** evidenceKey of that equivocation. */
  evidenceKey?: string;
}

const PLACE_CODES = {
  unknownDomain: CommitmentErrorCode.UNKNOWN_DOMAIN,
  unknownStream: CommitmentErrorCode.UNKNOWN_STREAM,
  tooOld: CommitmentErrorCode.SLOT_TOO_OLD,
  fromFuture: CommitmentErrorCode.SLOT_FROM_FUTURE,
};

export async function validateGossipCommitmentBytes(
  ctx: ValidationContext,
  bytes: Uint8Array,
): Promise<ValidatedCommitment> {
  return validateGossipCommitment(ctx, decodeOrReject(decodeSignedCommitmentSsz, bytes));
}

export async function validateGossipCommitment(
  ctx: ValidationContext,
  signed: SignedCommitment,
): Promise<ValidatedCommitment> {
  const { domain, commitment } = signed;
  const { observation } = commitment;
  const slot = observation.slot;
  const place = checkPlace(ctx, domain, observation.stream, slot, PLACE_CODES);

  const builderHex = toHex(commitment.builder);
  // [REJECT] builder not on the configured allowlist
  if (ctx.builderAllowlist !== undefined && !ctx.builderAllowlist.has(builderHex)) {
    throw reject(CommitmentErrorCode.BUILDER_NOT_ALLOWED, builderHex);
  }
  const root = observationRoot(domain, observation);
  const rootHex = toHex(root);
  const seenKey = `${builderHex}:${rootHex}`;
  // [IGNORE] already seen (builder, observationRoot)
  if (ctx.seen.commitments.has(slot, seenKey)) throw ignore(CommitmentErrorCode.ALREADY_SEEN);

  const sig = ctx.builderSignatures.verify(signed);
  // [REJECT] bad or high-s builder signature, or one that is not the named builder's
  if (!sig.ok) throw reject(CommitmentErrorCode.INVALID_SIGNATURE, sig.code);

  const validated: ValidatedCommitment = {
    signed,
    observationRoot: root,
    rootHex,
    builderHex,
    slotKey: place.slotKey,
    slot,
    seenKey,
  };
  const prior = ctx.pools.commitments.byBuilder(place.slotKey, builderHex);
  const conflicting = prior.find((p) => p.rootHex !== rootHex);
  if (conflicting !== undefined) {
    const key = evidenceKey({
      kind: "builder",
      builder: commitment.builder,
      domain,
      stream: observation.stream,
      slot,
    });
    // The first conflicting commitment passes whatever the allowance: it is the
    // proof of equivocation, and evidence is built from it once.
    if (!ctx.seen.evidence.has(slot, key)) {
      const ev = buildBuilderEquivocation(conflicting.signed, signed);
      if (ev.ok) {
        validated.equivocation = ev.value;
        validated.evidenceKey = key;
        return validated;
      }
    }
  }
  // [IGNORE] builder over its per-slot allowance
  if (prior.length >= ctx.maxCommitmentsPerBuilderPerSlot) {
    throw ignore(CommitmentErrorCode.OVER_ALLOWANCE, `${prior.length} already`);
  }
  return validated;
}
