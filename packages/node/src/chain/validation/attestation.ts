// Gossip validation of the `attestation` topic (DESIGN §5). The signature is
// verified through the batching verifier; "seen" is consulted but recorded
// only by the caller, after acceptance, so a forged copy cannot mask the real vote.
import {
  type Attestation,
  BLS_SIGNATURE_LENGTH,
  type BlsSignatureSet,
  buildVerifierEquivocation,
  decodeAttestationSsz,
  isCompressedInfinity,
  observationRoot,
  quorumReached,
  toHex,
  type VerifierEquivocation,
  type VerifierSet,
} from "@ocp/protocol";
import type { BlsVerdict } from "../bls/verifier.js";
import { groupKey, type PooledAttestation } from "../pools/attestationPool.js";
import { checkPlace, type ValidationContext } from "./context.js";
import { AttestationErrorCode, decodeOrReject, ignore, reject, unknownSet } from "./errors.js";
import { attestationRootFromBytes } from "./rootCache.js";

export interface ValidatedAttestation extends PooledAttestation {
  /** Key of the (setId, verifierIndex, observationRoot) seen cache. */
  seenKey: string;
  /** Set when this verifier signed another root for the same slot (verified). */
  equivocation?: VerifierEquivocation;
}

const PLACE_CODES = {
  unknownDomain: AttestationErrorCode.UNKNOWN_DOMAIN,
  unknownStream: AttestationErrorCode.UNKNOWN_STREAM,
  tooOld: AttestationErrorCode.SLOT_TOO_OLD,
  fromFuture: AttestationErrorCode.SLOT_FROM_FUTURE,
};

export function attestationSeenKey(set: VerifierSet, index: number, rootHex: string): string {
  return `${set.setIdHex}:${index}:${rootHex}`;
}

/**
 * Batched signature check of one vote. Votes wait to be verified together,
 * except when this vote brings the ones waiting for its root, with those
 * already counted, to quorum while no certificate is held for it: then they
 * are verified at once, since they may complete a certificate.
 *
 * A voter counts once while any copy of its vote waits, and leaves the count
 * when one copy verifies (it is counted in the pool next, in the same job).
 * Counting copies made the sum reach quorum while fewer distinct votes
 * waited: the early flush then left the copies in flight, the sum stayed at
 * or over quorum, and the votes that did complete it arrived without
 * crossing it, so they waited out the buffer's timer (docs/spec.md §6,
 * "BLS verification").
 */
async function verifyVote(
  ctx: ValidationContext,
  group: { slotKey: string; rootHex: string; set: VerifierSet },
  index: number,
  sigSet: BlsSignatureSet,
  peer: string | undefined,
): Promise<BlsVerdict> {
  const key = groupKey(group);
  const weight = group.set.weights[index]!;
  let waiting = ctx.pendingVotes.get(key);
  if (waiting === undefined) {
    waiting = { weight: 0n, copies: new Map() };
    ctx.pendingVotes.set(key, waiting);
  }
  const held = waiting.copies.get(index) ?? 0;
  waiting.copies.set(index, held + 1);
  let urgent = false;
  if (held === 0) {
    waiting.weight += weight;
    const sum = ctx.pools.attestations.weightOf(key) + waiting.weight;
    // Only the vote that brings them to quorum flushes; later ones batch again.
    urgent =
      ctx.pools.certificates.weightFor(group.slotKey, group.rootHex) === undefined &&
      quorumReached(group.set, sum) &&
      !quorumReached(group.set, sum - weight);
  }
  let verdict: BlsVerdict = "dropped";
  try {
    verdict = await ctx.bls.judgeSignatureSets([sigSet], {
      batchable: true,
      urgent,
      ...(peer === undefined ? {} : { peer }),
    });
    return verdict;
  } finally {
    // The voter leaves the count with its first verified copy, or with its last copy.
    const left = waiting.copies.get(index);
    if (left !== undefined) {
      if (verdict === "valid" || left <= 1) {
        waiting.copies.delete(index);
        waiting.weight -= weight;
        if (waiting.copies.size === 0 && ctx.pendingVotes.get(key) === waiting) ctx.pendingVotes.delete(key);
      } else waiting.copies.set(index, left - 1);
    }
  }
}

/** decode → validate; throws GossipActionError. `peer`: who forwarded it (per-peer BLS budget). */
export async function validateGossipAttestationBytes(
  ctx: ValidationContext,
  bytes: Uint8Array,
  peer?: string,
): Promise<ValidatedAttestation> {
  const att = decodeOrReject(decodeAttestationSsz, bytes);
  return validateGossipAttestation(
    ctx,
    att,
    attestationRootFromBytes(bytes, att.domain, att.observation),
    peer === undefined ? {} : { peer },
  );
}

/**
 * `root`: observationRoot of the attestation when the caller already has it.
 * `signatureVerified`: the caller made and self-checked this signature with
 * its own key (the node's own votes); every other rule still applies.
 */
export async function validateGossipAttestation(
  ctx: ValidationContext,
  att: Attestation,
  root: Uint8Array = observationRoot(att.domain, att.observation),
  opts: { signatureVerified?: boolean; peer?: string } = {},
): Promise<ValidatedAttestation> {
  const { observation } = att;
  const slot = observation.slot;
  const place = checkPlace(ctx, att.domain, observation.stream, slot, PLACE_CODES);

  // [IGNORE] this node's sets not known to be current for the slot (a refresh is asked for)
  if (!ctx.setsCurrentFor(slot)) {
    ctx.onUnknownSet(att.setId);
    throw unknownSet(AttestationErrorCode.SETS_NOT_CURRENT, `slot ${slot}`);
  }
  const set = ctx.sets.get(att.setId);
  // [IGNORE] setId unknown to this node: it may be a set registered since our last
  // refresh (a rotation), so look again rather than blame the peer
  if (set === undefined) {
    ctx.onUnknownSet(att.setId);
    throw unknownSet(AttestationErrorCode.UNKNOWN_SET, toHex(att.setId));
  }
  // [REJECT] setId must be the set governing the slot
  if (ctx.sets.governing(slot) !== set)
    throw reject(AttestationErrorCode.WRONG_SET_FOR_SLOT, `epoch ${set.epoch}`);
  const index = att.verifierIndex;
  // [REJECT] verifier index inside the set
  if (!Number.isInteger(index) || index < 0 || index >= set.size) {
    throw reject(AttestationErrorCode.INDEX_OUT_OF_RANGE, `${index} ≥ ${set.size}`);
  }

  const rootHex = toHex(root);
  const seenKey = attestationSeenKey(set, index, rootHex);
  // [IGNORE] already seen (setId, verifierIndex, observationRoot) — only verified votes are recorded
  if (ctx.seen.attestations.has(slot, seenKey)) throw ignore(AttestationErrorCode.ALREADY_SEEN);
  // [IGNORE] the index already equivocated this slot: its evidence is held and
  // a further vote would count nowhere, so it is not worth a pairing
  if (ctx.pools.attestations.hasEquivocated(place.slotKey, set.setIdHex, index)) {
    throw ignore(AttestationErrorCode.KNOWN_EQUIVOCATOR);
  }

  const sig = att.signature;
  // [REJECT] signature must be a compressed, non-infinity G2 encoding (cheap pre-check;
  // the verifier does the subgroup check)
  if (sig.length !== BLS_SIGNATURE_LENGTH || (sig[0]! & 0x80) === 0 || isCompressedInfinity(sig)) {
    throw reject(AttestationErrorCode.INVALID_SIGNATURE, "encoding");
  }
  const verdict: BlsVerdict =
    opts.signatureVerified === true
      ? "valid"
      : await verifyVote(
          ctx,
          { slotKey: place.slotKey, rootHex, set },
          index,
          { pubkeys: [set.pubkeys[index]!], message: root, signature: sig },
          opts.peer,
        );
  // [IGNORE] not verified: the forwarding peer's signatures failed (the vote may be real)
  if (verdict === "dropped") throw ignore(AttestationErrorCode.SENDER_BLS_BUDGET_SPENT);
  // [REJECT] signature must verify
  if (verdict === "invalid") throw reject(AttestationErrorCode.INVALID_SIGNATURE);
  // [IGNORE] already seen: a copy verified meanwhile was accepted first
  if (ctx.seen.attestations.has(slot, seenKey)) throw ignore(AttestationErrorCode.ALREADY_SEEN);

  const validated: ValidatedAttestation = {
    attestation: att,
    observationRoot: root,
    rootHex,
    set,
    slotKey: place.slotKey,
    slot,
    seenKey,
  };
  // A different root from this index in the same slot: equivocation (both
  // signatures verified; buildVerifierEquivocation re-checks both).
  const prior = ctx.pools.attestations.voteOf(place.slotKey, set.setIdHex, index);
  if (prior !== undefined && prior.rootHex !== rootHex) {
    const ev = buildVerifierEquivocation(prior.attestation, att, ctx.sets);
    if (ev.ok) validated.equivocation = ev.value;
  }
  return validated;
}
