// Certificates (docs/spec.md §3): aggregate BLS signature + signer bitfield over one
// observationRoot. Building, full verification, and signature sets as data.
import {
  BitfieldErrorCode,
  bitfieldFromIndices,
  bitfieldIndices,
  countBits,
  validateBitfield,
} from "./bitfield.js";
import type { BlsPublicKey, BlsSignature, BlsSignatureSet } from "./bls/interface.js";
import { observationRoot } from "./eip712.js";
import { ProtocolError, type Result } from "./errors.js";
import { bytesEqual } from "./hex.js";
import { quorumReached, type VerifierSet, VerifierSetRegistry } from "./sets.js";
import type { Attestation, Certificate, Domain, Observation } from "./types.js";
import { UINT32_MAX, UINT64_MAX } from "./types.js";

export enum CertificateErrorCode {
  MALFORMED = "CERT_ERROR_MALFORMED",
  UNKNOWN_SET = "CERT_ERROR_UNKNOWN_SET",
  WRONG_SET_FOR_SLOT = "CERT_ERROR_WRONG_SET_FOR_SLOT",
  BAD_BITFIELD_LENGTH = "CERT_ERROR_BAD_BITFIELD_LENGTH",
  BAD_BITFIELD_HIGH_BITS = "CERT_ERROR_BAD_BITFIELD_HIGH_BITS",
  NO_SIGNERS = "CERT_ERROR_NO_SIGNERS",
  BELOW_QUORUM = "CERT_ERROR_BELOW_QUORUM",
  INVALID_SIGNATURE_ENCODING = "CERT_ERROR_INVALID_SIGNATURE_ENCODING",
  BAD_SIGNATURE = "CERT_ERROR_BAD_SIGNATURE",
  /** buildCertificate: no attestations. */
  NO_ATTESTATIONS = "CERT_ERROR_NO_ATTESTATIONS",
  /** buildCertificate: attestations disagree on domain, observation or setId. */
  MIXED_ATTESTATIONS = "CERT_ERROR_MIXED_ATTESTATIONS",
  /** buildCertificate: attestation's setId is not the given set. */
  SET_MISMATCH = "CERT_ERROR_SET_MISMATCH",
  /** Verifier index outside the set. */
  INDEX_OUT_OF_RANGE = "CERT_ERROR_INDEX_OUT_OF_RANGE",
  /** buildCertificate: two different signatures from one verifier. */
  DUPLICATE_SIGNER = "CERT_ERROR_DUPLICATE_SIGNER",
}

/** Where certificates look up sets: a registry, or a plain list of sets. */
export type VerifierSetSource = VerifierSetRegistry | readonly VerifierSet[];

export interface CertificateVerification {
  set: VerifierSet;
  signedWeight: bigint;
}

const fail = (code: CertificateErrorCode, detail?: string) => new ProtocolError(code, detail);

const isBytes = (v: unknown, len?: number): v is Uint8Array =>
  v instanceof Uint8Array && (len === undefined || v.length === len);
const isUint64 = (v: unknown): v is bigint => typeof v === "bigint" && v >= 0n && v <= UINT64_MAX;

/** Field-level shape check of a Domain; returns the bad field's name. */
export function domainShapeError(d: unknown): string | undefined {
  if (typeof d !== "object" || d === null) return "domain";
  const { chainId, verifyingContract } = d as Partial<Domain>;
  if (!Number.isSafeInteger(chainId) || (chainId as number) < 0) return "domain.chainId";
  if (!isBytes(verifyingContract, 20)) return "domain.verifyingContract";
  return undefined;
}

/** Field-level shape check of an Observation; returns the bad field's name. */
export function observationShapeError(o: unknown): string | undefined {
  if (typeof o !== "object" || o === null) return "observation";
  const x = o as Partial<Observation>;
  if (!isBytes(x.stream, 32)) return "observation.stream";
  if (!isUint64(x.slot)) return "observation.slot";
  if (!isUint64(x.l1BlockNumber)) return "observation.l1BlockNumber";
  if (!isBytes(x.l1BlockHash, 32)) return "observation.l1BlockHash";
  if (!isBytes(x.schema, 32)) return "observation.schema";
  if (!isBytes(x.tableDigest, 32)) return "observation.tableDigest";
  const n = x.entryCount;
  if (!Number.isInteger(n) || (n as number) < 0 || (n as number) > UINT32_MAX)
    return "observation.entryCount";
  return undefined;
}

function lookup(
  sets: VerifierSetSource,
  setId: Uint8Array,
  slot: bigint,
): Result<VerifierSet, CertificateErrorCode> {
  const registry = sets instanceof VerifierSetRegistry ? sets : new VerifierSetRegistry(sets);
  const set = registry.get(setId);
  // [REJECT] the set must be known
  if (set === undefined) return { ok: false, code: CertificateErrorCode.UNKNOWN_SET };
  // [REJECT] the set must be the one governing the observation's slot
  if (registry.governing(slot) !== set) {
    return { ok: false, code: CertificateErrorCode.WRONG_SET_FOR_SLOT, detail: `epoch ${set.epoch}` };
  }
  return { ok: true, value: set };
}

/** Options of {@link verifyCertificate}. */
export interface VerifyCertificateOptions {
  /**
   * The compressed sum of signatures the caller verified itself, one by the
   * key of each of `signers` (all of them) over the certificate's root, or
   * undefined when it does not hold them all. BLS signatures are unique per
   * key and message, so a certificate whose aggregate equals these bytes
   * verifies: the pairing check is skipped. Any other value is checked in full.
   */
  verifiedAggregate?: (set: VerifierSet, signers: readonly number[]) => Uint8Array | undefined;
}

/**
 * Full verification of a certificate against the known sets. Never throws:
 * any malformed field yields a typed error. Cheap checks run before the pairing.
 */
export function verifyCertificate(
  cert: Certificate,
  sets: VerifierSetSource,
  opts: VerifyCertificateOptions = {},
): Result<CertificateVerification, CertificateErrorCode> {
  try {
    return verifyUnchecked(cert, sets, opts);
  } catch (e) {
    // Only reachable on inputs the shape checks did not foresee (e.g. getters that throw).
    return {
      ok: false,
      code: CertificateErrorCode.MALFORMED,
      detail: e instanceof Error ? e.message : String(e),
    };
  }
}

function verifyUnchecked(
  cert: Certificate,
  sets: VerifierSetSource,
  opts: VerifyCertificateOptions,
): Result<CertificateVerification, CertificateErrorCode> {
  if (typeof cert !== "object" || cert === null) {
    return { ok: false, code: CertificateErrorCode.MALFORMED, detail: "certificate" };
  }
  const bad =
    domainShapeError(cert.domain) ??
    observationShapeError(cert.observation) ??
    (isBytes(cert.setId, 32) ? undefined : "setId") ??
    (isBytes(cert.signers) ? undefined : "signers") ??
    (isBytes(cert.aggregateSignature) ? undefined : "aggregateSignature");
  if (bad !== undefined) return { ok: false, code: CertificateErrorCode.MALFORMED, detail: bad };

  const found = lookup(sets, cert.setId, cert.observation.slot);
  if (!found.ok) return found;
  const set = found.value;

  const bits = validateBitfield(cert.signers, set.size);
  if (!bits.ok) {
    // [REJECT] bitfield exactly ceil(n/8) bytes, unused high bits zero
    const code =
      bits.code === BitfieldErrorCode.HIGH_BITS
        ? CertificateErrorCode.BAD_BITFIELD_HIGH_BITS
        : CertificateErrorCode.BAD_BITFIELD_LENGTH;
    return { ok: false, code, detail: bits.detail };
  }
  const indices = bitfieldIndices(cert.signers);
  // [REJECT] at least one signer
  if (indices.length === 0) return { ok: false, code: CertificateErrorCode.NO_SIGNERS };

  const pubkeys = new Array<BlsPublicKey>(indices.length);
  let signedWeight = 0n;
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    pubkeys[k] = set.pubkeys[i]!;
    signedWeight += set.weights[i]!;
  }
  // [REJECT] strict weighted quorum
  if (!quorumReached(set, signedWeight)) {
    return { ok: false, code: CertificateErrorCode.BELOW_QUORUM, detail: `signed weight ${signedWeight}` };
  }

  const known = opts.verifiedAggregate?.(set, indices);
  if (known !== undefined && bytesEqual(known, cert.aggregateSignature)) {
    return { ok: true, value: { set, signedWeight } };
  }
  let signature: BlsSignature;
  try {
    signature = set.bls.signatureFromBytes(cert.aggregateSignature);
  } catch (e) {
    // [REJECT] signature must be a valid G2 point (not infinity, in the subgroup)
    return {
      ok: false,
      code: CertificateErrorCode.INVALID_SIGNATURE_ENCODING,
      detail: e instanceof Error ? e.message : String(e),
    };
  }
  const root = observationRoot(cert.domain, cert.observation);
  // [REJECT] aggregate signature must verify over observationRoot
  if (!set.bls.fastAggregateVerify(pubkeys, root, signature)) {
    return { ok: false, code: CertificateErrorCode.BAD_SIGNATURE };
  }
  return { ok: true, value: { set, signedWeight } };
}

/** Sum of the weights of the bitfield's signers (bitfield assumed validated). */
export function signedWeightOf(set: VerifierSet, signers: Uint8Array): bigint {
  let w = 0n;
  for (const i of bitfieldIndices(signers)) {
    if (i >= set.size) throw fail(CertificateErrorCode.INDEX_OUT_OF_RANGE, `signer ${i}`);
    w += set.weights[i]!;
  }
  return w;
}

/** Options of {@link buildCertificate}. */
export interface BuildCertificateOptions {
  /**
   * Every signature was verified on receipt (with its subgroup check), as in
   * a node's vote pool: the sum skips the per-signature subgroup checks and
   * is checked once. Leave false for signatures from anywhere else.
   */
  signaturesVerified?: boolean;
}

/**
 * Aggregates attestations (all for one domain, observation and set) into a
 * certificate. Signatures are not verified here: the caller verified each
 * attestation on receipt. Repeated identical attestations are merged.
 */
export function buildCertificate(
  attestations: readonly Attestation[],
  set: VerifierSet,
  opts: BuildCertificateOptions = {},
): Certificate {
  if (attestations.length === 0) throw fail(CertificateErrorCode.NO_ATTESTATIONS);
  const first = attestations[0]!;
  if (!bytesEqual(first.setId, set.setId)) throw fail(CertificateErrorCode.SET_MISMATCH);
  const byIndex = new Map<number, Uint8Array>();
  for (const a of attestations) {
    if (!bytesEqual(a.setId, set.setId)) throw fail(CertificateErrorCode.MIXED_ATTESTATIONS, "setId");
    // Field by field: equal fields ⇔ equal observationRoot, without hashing each vote.
    if (a !== first && !sameSigningData(a, first)) {
      throw fail(CertificateErrorCode.MIXED_ATTESTATIONS, "observation or domain");
    }
    if (!Number.isInteger(a.verifierIndex) || a.verifierIndex < 0 || a.verifierIndex >= set.size) {
      throw fail(CertificateErrorCode.INDEX_OUT_OF_RANGE, `verifierIndex ${a.verifierIndex}`);
    }
    const prev = byIndex.get(a.verifierIndex);
    if (prev !== undefined && !bytesEqual(prev, a.signature)) {
      throw fail(CertificateErrorCode.DUPLICATE_SIGNER, `verifierIndex ${a.verifierIndex}`);
    }
    byIndex.set(a.verifierIndex, a.signature);
  }
  let aggregate: BlsSignature;
  try {
    const sigs = [...byIndex.values()];
    aggregate = opts.signaturesVerified
      ? set.bls.aggregateVerifiedSignatureBytes(sigs)
      : set.bls.aggregateSignatures(sigs.map((s) => set.bls.signatureFromBytes(s)));
  } catch (e) {
    throw fail(CertificateErrorCode.INVALID_SIGNATURE_ENCODING, e instanceof Error ? e.message : String(e));
  }
  return {
    domain: first.domain,
    observation: first.observation,
    setId: set.setId.slice(),
    signers: bitfieldFromIndices(set.size, byIndex.keys()),
    aggregateSignature: set.bls.signatureToBytes(aggregate),
  };
}

/** Same domain and observation, field by field (what observationRoot commits to). */
function sameSigningData(a: Attestation, b: Attestation): boolean {
  const x = a.observation;
  const y = b.observation;
  return (
    a.domain.chainId === b.domain.chainId &&
    bytesEqual(a.domain.verifyingContract, b.domain.verifyingContract) &&
    x.slot === y.slot &&
    x.l1BlockNumber === y.l1BlockNumber &&
    x.entryCount === y.entryCount &&
    bytesEqual(x.stream, y.stream) &&
    bytesEqual(x.l1BlockHash, y.l1BlockHash) &&
    bytesEqual(x.schema, y.schema) &&
    bytesEqual(x.tableDigest, y.tableDigest)
  );
}

/**
 * The certificate's signature set as plain data, for batch verification by the
 * node. The caller has already checked set, bitfield and quorum.
 */
export function certificateSignatureSet(cert: Certificate, set: VerifierSet): BlsSignatureSet {
  const bits = validateBitfield(cert.signers, set.size);
  if (!bits.ok) {
    const code =
      bits.code === BitfieldErrorCode.HIGH_BITS
        ? CertificateErrorCode.BAD_BITFIELD_HIGH_BITS
        : CertificateErrorCode.BAD_BITFIELD_LENGTH;
    throw fail(code, bits.detail);
  }
  if (countBits(cert.signers) === 0) throw fail(CertificateErrorCode.NO_SIGNERS);
  return {
    pubkeys: bitfieldIndices(cert.signers).map((i) => set.pubkeys[i]!),
    message: observationRoot(cert.domain, cert.observation),
    signature: cert.aggregateSignature,
  };
}

/** One attestation's signature set: its verifier's key over observationRoot. */
export function attestationSignatureSet(att: Attestation, set: VerifierSet): BlsSignatureSet {
  const i = att.verifierIndex;
  if (!Number.isInteger(i) || i < 0 || i >= set.size) {
    throw fail(CertificateErrorCode.INDEX_OUT_OF_RANGE, `verifierIndex ${i}`);
  }
  return {
    pubkeys: [set.pubkeys[i]!],
    message: observationRoot(att.domain, att.observation),
    signature: att.signature,
  };
}
