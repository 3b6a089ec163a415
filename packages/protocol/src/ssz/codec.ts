// encode*/decode* for every wire type. Decoding is: size limits → structural
// check (shape.ts: typed errors, work bounded by the input length) →
// @chainsafe/ssz → value ranges the protocol adds (value.ts). Only canonical
// bytes decode (gossip dedups by a hash of the bytes): the shape check and the
// library together leave one encoding per value for our types — first offset
// at the fixed part's end, offsets increasing and in bounds, no trailing bytes,
// and no padding bits or bitlists anywhere — so decoded values are not
// re-serialized to compare (test/unit/ssz/hostile.test.ts proves it on
// mutated encodings). Point validity (BLS subgroup, secp256k1 low-s…) is NOT
// checked here; only lengths are.
import type { Type, ValueOf } from "@chainsafe/ssz";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import { ProtocolError } from "../errors.js";
import { MAX_CERTIFICATES_PER_RANGE, MAX_GOSSIP_MESSAGE_BYTES, MAX_TABLE_FRAME_BYTES } from "../limits.js";
import { SszErrorCode, sszError } from "./errors.js";
import { checkSszShape } from "./shape.js";
import {
  type Attestation,
  type BuilderEquivocation,
  type Certificate,
  type Commitment,
  type Domain,
  type Observation,
  type SignedCommitment,
  type SszCertificatesByRangeRequest,
  type SszEvidence,
  SszEvidenceKind,
  type SszStatus,
  type SszTableByDigestRequest,
  sszAttestation,
  sszBuilderEquivocation,
  sszCertificate,
  sszCertificatesByRangeRequest,
  sszCertificatesByRangeResponse,
  sszCommitment,
  sszDomain,
  sszEvidence,
  sszObservation,
  sszSignedCommitment,
  sszStatus,
  sszTableByDigestRequest,
  sszTableChunk,
  sszVerifierEquivocation,
  type VerifierEquivocation,
} from "./types.js";
import { assertDecodedRanges, assertSszValue } from "./value.js";

function wrapUnknown(e: unknown, code: SszErrorCode, what: string): ProtocolError<SszErrorCode> {
  if (e instanceof ProtocolError) return e as ProtocolError<SszErrorCode>;
  return sszError(code, `${what}: ${e instanceof Error ? e.message : String(e)}`);
}

/**
 * A plain Uint8Array view of the input: a Buffer would make the decoded fields
 * Buffers too, and Buffer#slice does not copy.
 */
function plainBytes(input: unknown, what: string): Uint8Array {
  if (!(input instanceof Uint8Array)) throw sszError(SszErrorCode.INVALID, `${what}: expected a Uint8Array`);
  return input.constructor === Uint8Array
    ? input
    : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
}

/**
 * Decodes `bytes` as `type`; throws only ProtocolError<SszErrorCode>.
 * `cap` is an extra byte limit checked first (the gossip topic limit).
 */
function decodeWith<T extends Type<unknown>>(
  type: T,
  input: unknown,
  what: string,
  cap?: number,
): ValueOf<T> {
  const bytes = plainBytes(input, what);
  // [REJECT] over the topic limit, before any other work
  if (cap !== undefined && bytes.length > cap)
    throw sszError(SszErrorCode.OVERSIZED, `${what}: ${bytes.length} bytes, limit ${cap}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  checkSszShape(type, view, 0, bytes.length, what);
  let value: ValueOf<T>;
  try {
    value = type.deserialize(bytes) as ValueOf<T>;
  } catch (e) {
    // Unreachable once the shape check passed, but the library must never leak its own errors.
    throw wrapUnknown(e, SszErrorCode.INVALID, what);
  }
  assertDecodedRanges(type, value, what);
  return value;
}

function encodeWith<T extends Type<unknown>>(type: T, value: ValueOf<T>, what: string): Uint8Array {
  assertSszValue(type, value, what);
  try {
    return type.serialize(value);
  } catch (e) {
    throw wrapUnknown(e, SszErrorCode.INVALID_VALUE, what);
  }
}

// --- protocol types -------------------------------------------------------

export function encodeDomainSsz(value: Domain): Uint8Array {
  return encodeWith(sszDomain, value, "domain");
}
export function decodeDomainSsz(bytes: Uint8Array): Domain {
  return decodeWith(sszDomain, bytes, "domain");
}

export function encodeObservationSsz(value: Observation): Uint8Array {
  return encodeWith(sszObservation, value, "observation");
}
export function decodeObservationSsz(bytes: Uint8Array): Observation {
  return decodeWith(sszObservation, bytes, "observation");
}

export function encodeCommitmentSsz(value: Commitment): Uint8Array {
  return encodeWith(sszCommitment, value, "commitment");
}
export function decodeCommitmentSsz(bytes: Uint8Array): Commitment {
  return decodeWith(sszCommitment, bytes, "commitment");
}

/** Payload of the `commitment` gossip topic. */
export function encodeSignedCommitmentSsz(value: SignedCommitment): Uint8Array {
  return encodeWith(sszSignedCommitment, value, "signedCommitment");
}
export function decodeSignedCommitmentSsz(bytes: Uint8Array): SignedCommitment {
  return decodeWith(sszSignedCommitment, bytes, "signedCommitment", MAX_GOSSIP_MESSAGE_BYTES);
}

/** Payload of the `attestation` gossip topic. */
export function encodeAttestationSsz(value: Attestation): Uint8Array {
  return encodeWith(sszAttestation, value, "attestation");
}
export function decodeAttestationSsz(bytes: Uint8Array): Attestation {
  return decodeWith(sszAttestation, bytes, "attestation", MAX_GOSSIP_MESSAGE_BYTES);
}

/** Payload of the `certificate` gossip topic. The bitfield is checked against its set elsewhere. */
export function encodeCertificateSsz(value: Certificate): Uint8Array {
  return encodeWith(sszCertificate, value, "certificate");
}
export function decodeCertificateSsz(bytes: Uint8Array): Certificate {
  return decodeWith(sszCertificate, bytes, "certificate", MAX_GOSSIP_MESSAGE_BYTES);
}

export function encodeBuilderEquivocationSsz(value: BuilderEquivocation): Uint8Array {
  return encodeWith(sszBuilderEquivocation, value, "builderEquivocation");
}
export function decodeBuilderEquivocationSsz(bytes: Uint8Array): BuilderEquivocation {
  return decodeWith(sszBuilderEquivocation, bytes, "builderEquivocation");
}

export function encodeVerifierEquivocationSsz(value: VerifierEquivocation): Uint8Array {
  return encodeWith(sszVerifierEquivocation, value, "verifierEquivocation");
}
export function decodeVerifierEquivocationSsz(bytes: Uint8Array): VerifierEquivocation {
  return decodeWith(sszVerifierEquivocation, bytes, "verifierEquivocation");
}

/** Payload of the `evidence` gossip topic: selector byte (0 builder, 1 verifier) ‖ SSZ of the container. */
export function encodeEvidenceSsz(value: SszEvidence): Uint8Array {
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (kind !== SszEvidenceKind.BuilderEquivocation && kind !== SszEvidenceKind.VerifierEquivocation)
    throw sszError(SszErrorCode.INVALID_VALUE, `evidence.kind: unknown evidence kind ${String(kind)}`);
  return encodeWith(sszEvidence, { selector: kind, value: value.evidence }, "evidence");
}
export function decodeEvidenceSsz(bytes: Uint8Array): SszEvidence {
  const { selector, value } = decodeWith(sszEvidence, bytes, "evidence", MAX_GOSSIP_MESSAGE_BYTES);
  // The shape check admits only the two selectors.
  return selector === SszEvidenceKind.BuilderEquivocation
    ? { kind: SszEvidenceKind.BuilderEquivocation, evidence: value as BuilderEquivocation }
    : { kind: SszEvidenceKind.VerifierEquivocation, evidence: value as VerifierEquivocation };
}

// --- gossip ---------------------------------------------------------------

export type SszGossipTopic = "commitment" | "attestation" | "certificate" | "evidence";

export type SszGossipMessage =
  | { topic: "commitment"; value: SignedCommitment }
  | { topic: "attestation"; value: Attestation }
  | { topic: "certificate"; value: Certificate }
  | { topic: "evidence"; value: SszEvidence };

/**
 * Largest payload each gossip topic can carry: the 4 KiB message limit of §5 or
 * the type's maximum SSZ size, whichever is smaller. A longer message can be
 * rejected unread. (Each decoder itself applies the 4 KiB limit first.)
 */
export const SSZ_GOSSIP_MAX_BYTES: Readonly<Record<SszGossipTopic, number>> = Object.freeze({
  commitment: Math.min(MAX_GOSSIP_MESSAGE_BYTES, sszSignedCommitment.maxSize),
  attestation: Math.min(MAX_GOSSIP_MESSAGE_BYTES, sszAttestation.maxSize),
  certificate: Math.min(MAX_GOSSIP_MESSAGE_BYTES, sszCertificate.maxSize),
  evidence: Math.min(MAX_GOSSIP_MESSAGE_BYTES, sszEvidence.maxSize),
});

/** Smallest valid payload per topic. */
export const SSZ_GOSSIP_MIN_BYTES: Readonly<Record<SszGossipTopic, number>> = Object.freeze({
  commitment: sszSignedCommitment.minSize,
  attestation: sszAttestation.minSize,
  certificate: sszCertificate.minSize,
  evidence: sszEvidence.minSize,
});

export function decodeGossipSsz(topic: SszGossipTopic, bytes: Uint8Array): SszGossipMessage {
  switch (topic) {
    case "commitment":
      return { topic, value: decodeSignedCommitmentSsz(bytes) };
    case "attestation":
      return { topic, value: decodeAttestationSsz(bytes) };
    case "certificate":
      return { topic, value: decodeCertificateSsz(bytes) };
    case "evidence":
      return { topic, value: decodeEvidenceSsz(bytes) };
    default:
      throw sszError(SszErrorCode.INVALID, `unknown gossip topic ${String(topic)}`);
  }
}

export function encodeGossipSsz(message: SszGossipMessage): Uint8Array {
  switch (message.topic) {
    case "commitment":
      return encodeSignedCommitmentSsz(message.value);
    case "attestation":
      return encodeAttestationSsz(message.value);
    case "certificate":
      return encodeCertificateSsz(message.value);
    case "evidence":
      return encodeEvidenceSsz(message.value);
    default:
      throw sszError(SszErrorCode.INVALID_VALUE, "unknown gossip topic");
  }
}

// --- req/resp -------------------------------------------------------------

/** Status.network: keccak256(utf8(network name)), like schema ids. */
export function sszNetworkId(name: string): Uint8Array {
  return keccak_256(utf8ToBytes(name));
}

export function encodeStatusSsz(value: SszStatus): Uint8Array {
  return encodeWith(sszStatus, value, "status");
}
export function decodeStatusSsz(bytes: Uint8Array): SszStatus {
  return decodeWith(sszStatus, bytes, "status");
}

export function encodeTableByDigestRequestSsz(value: SszTableByDigestRequest): Uint8Array {
  return encodeWith(sszTableByDigestRequest, value, "tableByDigestRequest");
}
export function decodeTableByDigestRequestSsz(bytes: Uint8Array): SszTableByDigestRequest {
  return decodeWith(sszTableByDigestRequest, bytes, "tableByDigestRequest");
}

/** One `table_by_digest` response frame (≤ 1 MiB); see table.ts for whole tables. */
export function encodeTableChunkSsz(chunk: Uint8Array): Uint8Array {
  if (!(chunk instanceof Uint8Array))
    throw sszError(SszErrorCode.INVALID_VALUE, "tableChunk: expected a Uint8Array");
  if (chunk.length > MAX_TABLE_FRAME_BYTES)
    throw sszError(
      SszErrorCode.INVALID_VALUE,
      `tableChunk: ${chunk.length} bytes, limit ${MAX_TABLE_FRAME_BYTES}`,
    );
  return plainBytes(chunk, "tableChunk").slice();
}
export function decodeTableChunkSsz(input: Uint8Array): Uint8Array {
  const bytes = plainBytes(input, "tableChunk");
  if (bytes.length > sszTableChunk.maxSize)
    throw sszError(
      SszErrorCode.OVERSIZED,
      `tableChunk: ${bytes.length} bytes, limit ${sszTableChunk.maxSize}`,
    );
  // An SSZ ByteList at top level is its raw bytes: every length-capped input is canonical.
  return bytes.slice();
}

/** `count` is at most 64 (docs/spec.md §5: at most 64 certificates per response). */
function checkRangeCount(count: unknown, code: SszErrorCode, what: string): void {
  if (typeof count === "number" && count > MAX_CERTIFICATES_PER_RANGE)
    throw sszError(code, `${what}.count: ${count} > ${MAX_CERTIFICATES_PER_RANGE}`);
}

export function encodeCertificatesByRangeRequestSsz(value: SszCertificatesByRangeRequest): Uint8Array {
  checkRangeCount(
    (value as { count?: unknown } | null)?.count,
    SszErrorCode.INVALID_VALUE,
    "certificatesByRangeRequest",
  );
  return encodeWith(sszCertificatesByRangeRequest, value, "certificatesByRangeRequest");
}
/** count > 64 is OUT_OF_RANGE. */
export function decodeCertificatesByRangeRequestSsz(bytes: Uint8Array): SszCertificatesByRangeRequest {
  const v = decodeWith(sszCertificatesByRangeRequest, bytes, "certificatesByRangeRequest");
  checkRangeCount(v.count, SszErrorCode.OUT_OF_RANGE, "certificatesByRangeRequest");
  return v;
}

export function encodeCertificatesByRangeResponseSsz(value: Certificate[]): Uint8Array {
  return encodeWith(sszCertificatesByRangeResponse, value, "certificatesByRangeResponse");
}
export function decodeCertificatesByRangeResponseSsz(bytes: Uint8Array): Certificate[] {
  return decodeWith(sszCertificatesByRangeResponse, bytes, "certificatesByRangeResponse");
}
