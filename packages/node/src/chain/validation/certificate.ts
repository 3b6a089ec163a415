// Gossip validation of the `certificate` topic (DESIGN §5): full verification,
// and [IGNORE] unless it carries more weight than the one held for its root;
// the pairing is skipped for the sum of votes already verified (docs/spec.md §6).
import {
  type Certificate,
  decodeCertificateSsz,
  observationRoot,
  signedWeightOf,
  toHex,
  type VerifierSet,
  validateBitfield,
  verifyCertificate,
} from "@ocp/protocol";
import { groupKey } from "../pools/attestationPool.js";
import type { PooledCertificate } from "../pools/certificatePool.js";
import { checkPlace, type ValidationContext } from "./context.js";
import { CertificateGossipErrorCode, decodeOrReject, ignore, reject, unknownSet } from "./errors.js";

export type ValidatedCertificate = PooledCertificate;

const PLACE_CODES = {
  unknownDomain: CertificateGossipErrorCode.UNKNOWN_DOMAIN,
  unknownStream: CertificateGossipErrorCode.UNKNOWN_STREAM,
  tooOld: CertificateGossipErrorCode.SLOT_TOO_OLD,
  fromFuture: CertificateGossipErrorCode.SLOT_FROM_FUTURE,
};

export async function validateGossipCertificateBytes(
  ctx: ValidationContext,
  bytes: Uint8Array,
): Promise<ValidatedCertificate> {
  return validateGossipCertificate(ctx, decodeOrReject(decodeCertificateSsz, bytes));
}

export async function validateGossipCertificate(
  ctx: ValidationContext,
  cert: Certificate,
): Promise<ValidatedCertificate> {
  const slot = cert.observation.slot;
  const place = checkPlace(ctx, cert.domain, cert.observation.stream, slot, PLACE_CODES);
  const root = observationRoot(cert.domain, cert.observation);
  const rootHex = toHex(root);
  // Compared with what is on the wire, not with a certificate built here and
  // held back (§6 "Aggregation"): a peer's certificate of that weight is
  // still news to the peers this node would forward it to.
  const held = ctx.pools.certificates.wireWeightFor(place.slotKey, rootHex);

  // Cheap pre-check before the pairing, when the weight can be read off the bitfield.
  if (held !== undefined) {
    const set = ctx.sets.get(cert.setId);
    if (set !== undefined && validateBitfield(cert.signers, set.size).ok) {
      const weight = signedWeightOf(set, cert.signers);
      // [IGNORE] no more weight than a certificate for this root already on the wire
      if (weight <= held) throw ignore(CertificateGossipErrorCode.NOT_BETTER, `${weight} ≤ ${held}`);
    }
  }

  // [IGNORE] this node's sets not known to be current for the slot (a refresh is asked for)
  if (!ctx.setsCurrentFor(slot)) {
    ctx.onUnknownSet(cert.setId);
    throw unknownSet(CertificateGossipErrorCode.SETS_NOT_CURRENT, `slot ${slot}`);
  }
  // [IGNORE] setId unknown to this node (then refresh sets from the anchor)
  if (ctx.sets.get(cert.setId) === undefined) {
    ctx.onUnknownSet(cert.setId);
    throw unknownSet(CertificateGossipErrorCode.UNKNOWN_SET, toHex(cert.setId));
  }
  const r = verifyCertificate(cert, ctx.sets, {
    verifiedAggregate: (set, signers) => verifiedAggregate(ctx, place.slotKey, rootHex, set, signers),
  });
  // [REJECT] fails verifyCertificate (unknown or wrong set, bitfield, quorum, signature)
  if (!r.ok)
    throw reject(
      CertificateGossipErrorCode.INVALID,
      r.detail === undefined ? r.code : `${r.code}: ${r.detail}`,
    );
  const { set, signedWeight } = r.value;
  // [IGNORE] no more weight than a certificate for this root already on the wire
  if (held !== undefined && signedWeight <= held) {
    throw ignore(CertificateGossipErrorCode.NOT_BETTER, `${signedWeight} ≤ ${held}`);
  }
  return {
    certificate: cert,
    set,
    signedWeight,
    observationRoot: root,
    rootHex,
    slotKey: place.slotKey,
    slot,
  };
}

/**
 * The sum of the pooled votes of `signers` for this root, when the pool holds
 * every one of them (each was verified on receipt): a certificate carrying
 * exactly that sum needs no pairing check. Most certificates a node accepts
 * are built from the same votes it already verified.
 */
function verifiedAggregate(
  ctx: ValidationContext,
  slotKey: string,
  rootHex: string,
  set: VerifierSet,
  signers: readonly number[],
): Uint8Array | undefined {
  const group = ctx.pools.attestations.group(groupKey({ slotKey, rootHex, set }));
  if (group === undefined || group.byIndex.size < signers.length) return undefined;
  const sigs = new Array<Uint8Array>(signers.length);
  for (let k = 0; k < signers.length; k++) {
    const vote = group.byIndex.get(signers[k]!);
    if (vote === undefined) return undefined;
    sigs[k] = vote.signature;
  }
  try {
    return set.bls.signatureToBytes(set.bls.aggregateVerifiedSignatureBytes(sigs));
  } catch {
    return undefined;
  }
}
