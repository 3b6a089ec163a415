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
  verifySignedCommitment,
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
  listed: boolean;
}

const PLACE_CODES = {
  unknownDomain: CommitmentErrorCode.UNKNOWN_DOMAIN,
  unknownStream: CommitmentErrorCode.UNKNOWN_STREAM,
  tooOld: CommitmentErrorCode.SLOT_TOO_OLD,
  fromFuture: CommitmentErrorCode.SLOT_FROM_FUTURE,
};

/** `from`: the sending peer (budgets of unlisted builders are per peer); "local" for the API. */
export async function validateGossipCommitmentBytes(
  ctx: ValidationContext,
  bytes: Uint8Array,
  from = "local",
): Promise<ValidatedCommitment> {
  return validateGossipCommitment(ctx, decodeOrReject(decodeSignedCommitmentSsz, bytes), from);
}

export async function validateGossipCommitment(
  ctx: ValidationContext,
  signed: SignedCommitment,
  from = "local",
): Promise<ValidatedCommitment> {
  const { domain, commitment } = signed;
  const { observation } = commitment;
  const slot = observation.slot;
  const place = checkPlace(ctx, domain, observation.stream, slot, PLACE_CODES);

  const builderHex = toHex(commitment.builder);
  const listed = ctx.builderAllowlist.has(builderHex);
  const root = observationRoot(domain, observation);
  const rootHex = toHex(root);
  const seenKey = `${builderHex}:${rootHex}`;
  // [IGNORE] already seen (builder, observationRoot)
  if (ctx.seen.commitments.has(slot, seenKey)) throw ignore(CommitmentErrorCode.ALREADY_SEEN);

  // [IGNORE] a builder outside the allowlist over the slot's or this peer's budget:
  // keys are free, so this bound comes before any signature work.
  if (!listed && !ctx.unlistedBudget.take(slot, from)) {
    throw ignore(CommitmentErrorCode.UNLISTED_OVER_BUDGET, builderHex);
  }
  // A listed builder's key is remembered (precomputed, cheaper next time); an
  // unlisted one gets a plain recovery: a throwaway key must not cost a table.
  const sig = listed ? ctx.builderSignatures.verify(signed) : verifySignedCommitment(signed);
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
    listed,
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
    // proof of equivocation, and evidence is built from it once. Only builders
    // listed or pooled here (`prior`) can be caught, and a slot holds a bounded amount.
    if (
      !ctx.seen.evidence.has(slot, key) &&
      ctx.builderEvidence.count(slot) < ctx.maxBuilderEvidencePerSlot
    ) {
      const ev = buildBuilderEquivocation(conflicting.signed, signed);
      if (ev.ok) {
        validated.equivocation = ev.value;
        validated.evidenceKey = key;
        return validated;
      }
    }
  }
  // [IGNORE] an unlisted builder's commitment that is not this node's own observation
  // (or not yet known): never relayed or kept, it cannot crowd out anything
  if (!listed && ctx.ownRoot(observation.stream, slot) !== rootHex) {
    throw ignore(CommitmentErrorCode.UNLISTED_NOT_OURS, builderHex);
  }
  // [IGNORE] builder over its per-slot allowance
  if (prior.length >= ctx.maxCommitmentsPerBuilderPerSlot) {
    throw ignore(CommitmentErrorCode.OVER_ALLOWANCE, `${prior.length} already`);
  }
  return validated;
}
