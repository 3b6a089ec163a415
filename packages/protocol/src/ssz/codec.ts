// encode*/decode* for every wire type. Decoding is: size limits → structural
// check (shape.ts) → @chainsafe/ssz → protocol type → re-serialize and compare,
// so only canonical bytes decode (gossip dedups by a hash of the bytes).
// Point validity (BLS subgroup, secp256k1 low-s…) is NOT checked here; only lengths are.
import type { Type } from "@chainsafe/ssz";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import { ProtocolError } from "../errors.js";
import { bytesEqual } from "../hex.js";
import type {
  Attestation,
  BuilderEquivocation,
  Certificate,
  Commitment,
  Domain,
  Observation,
  SignedCommitment,
  VerifierEquivocation,
} from "../types.js";
import { MAX_CERTIFICATES_PER_RANGE, MAX_GOSSIP_MESSAGE_BYTES, MAX_TABLE_FRAME_BYTES } from "../types.js";
import * as C from "./convert.js";
import { SszErrorCode, sszError } from "./errors.js";
import { checkSszShape } from "./shape.js";
import {
  type SszCertificatesByRangeRequest,
  type SszEvidence,
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
} from "./types.js";

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
 * Decodes `bytes` as `type` and converts the value; throws only ProtocolError<SszErrorCode>.
 * `cap` is an extra byte limit checked first (the gossip topic limit).
 */
function decodeWith<V, T>(
  type: Type<V>,
  input: unknown,
  what: string,
  convert: (v: V) => T,
  cap?: number,
): T {
  const bytes = plainBytes(input, what);
  // [REJECT] over the topic limit, before any other work
  if (cap !== undefined && bytes.length > cap)
    throw sszError(SszErrorCode.OVERSIZED, `${what}: ${bytes.length} bytes, limit ${cap}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  checkSszShape(type, view, 0, bytes.length, what);
  let value: V;
  let again: Uint8Array;
  try {
    value = type.deserialize(bytes);
    again = type.serialize(value);
  } catch (e) {
    // Unreachable once the shape check passed, but the library must never leak its own errors.
    throw wrapUnknown(e, SszErrorCode.INVALID, what);
  }
  if (!bytesEqual(again, bytes))
    throw sszError(SszErrorCode.NON_CANONICAL, `${what}: bytes are not the canonical encoding`);
  try {
    return convert(value);
  } catch (e) {
    throw wrapUnknown(e, SszErrorCode.INVALID, what);
  }
}

function encodeWith<V, T>(type: Type<V>, value: T, what: string, convert: (x: T) => V): Uint8Array {
  try {
    return type.serialize(convert(value));
  } catch (e) {
    throw wrapUnknown(e, SszErrorCode.INVALID_VALUE, what);
  }
}

// --- protocol types -------------------------------------------------------

export function encodeDomainSsz(value: Domain): Uint8Array {
  return encodeWith(sszDomain, value, "domain", (x) => C.toSszDomain(x));
}
export function decodeDomainSsz(bytes: Uint8Array): Domain {
  return decodeWith(sszDomain, bytes, "domain", (v) => C.fromSszDomain(v));
}

export function encodeObservationSsz(value: Observation): Uint8Array {
  return encodeWith(sszObservation, value, "observation", (x) => C.toSszObservation(x));
}
export function decodeObservationSsz(bytes: Uint8Array): Observation {
  return decodeWith(sszObservation, bytes, "observation", C.fromSszObservation);
}

export function encodeCommitmentSsz(value: Commitment): Uint8Array {
  return encodeWith(sszCommitment, value, "commitment", (x) => C.toSszCommitment(x));
}
export function decodeCommitmentSsz(bytes: Uint8Array): Commitment {
  return decodeWith(sszCommitment, bytes, "commitment", C.fromSszCommitment);
}

/** Payload of the `commitment` gossip topic. */
export function encodeSignedCommitmentSsz(value: SignedCommitment): Uint8Array {
  return encodeWith(sszSignedCommitment, value, "signedCommitment", (x) => C.toSszSignedCommitment(x));
}
export function decodeSignedCommitmentSsz(bytes: Uint8Array): SignedCommitment {
  return decodeWith(
    sszSignedCommitment,
    bytes,
    "signedCommitment",
    (v) => C.fromSszSignedCommitment(v),
    MAX_GOSSIP_MESSAGE_BYTES,
  );
}

/** Payload of the `attestation` gossip topic. */
export function encodeAttestationSsz(value: Attestation): Uint8Array {
  return encodeWith(sszAttestation, value, "attestation", (x) => C.toSszAttestation(x));
}
export function decodeAttestationSsz(bytes: Uint8Array): Attestation {
  return decodeWith(
    sszAttestation,
    bytes,
    "attestation",
    (v) => C.fromSszAttestation(v),
    MAX_GOSSIP_MESSAGE_BYTES,
  );
}

/** Payload of the `certificate` gossip topic. The bitfield is checked against its set elsewhere. */
export function encodeCertificateSsz(value: Certificate): Uint8Array {
  return encodeWith(sszCertificate, value, "certificate", (x) => C.toSszCertificate(x));
}
export function decodeCertificateSsz(bytes: Uint8Array): Certificate {
  return decodeWith(
    sszCertificate,
    bytes,
    "certificate",
    (v) => C.fromSszCertificate(v),
    MAX_GOSSIP_MESSAGE_BYTES,
  );
}

export function encodeBuilderEquivocationSsz(value: BuilderEquivocation): Uint8Array {
  return encodeWith(sszBuilderEquivocation, value, "builderEquivocation", (x) =>
    C.toSszBuilderEquivocation(x),
  );
}
export function decodeBuilderEquivocationSsz(bytes: Uint8Array): BuilderEquivocation {
  return decodeWith(sszBuilderEquivocation, bytes, "builderEquivocation", (v) =>
    C.fromSszBuilderEquivocation(v),
  );
}

export function encodeVerifierEquivocationSsz(value: VerifierEquivocation): Uint8Array {
  return encodeWith(sszVerifierEquivocation, value, "verifierEquivocation", (x) =>
    C.toSszVerifierEquivocation(x),
  );
}
export function decodeVerifierEquivocationSsz(bytes: Uint8Array): VerifierEquivocation {
  return decodeWith(sszVerifierEquivocation, bytes, "verifierEquivocation", (v) =>
    C.fromSszVerifierEquivocation(v),
  );
}

/** Payload of the `evidence` gossip topic: selector byte (0 builder, 1 verifier) ‖ SSZ of the container. */
export function encodeEvidenceSsz(value: SszEvidence): Uint8Array {
  return encodeWith(sszEvidence, value, "evidence", (x) => C.toSszEvidence(x));
}
export function decodeEvidenceSsz(bytes: Uint8Array): SszEvidence {
  return decodeWith(sszEvidence, bytes, "evidence", (v) => C.fromSszEvidence(v), MAX_GOSSIP_MESSAGE_BYTES);
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
  return encodeWith(sszStatus, value, "status", (x) => C.toSszStatus(x));
}
export function decodeStatusSsz(bytes: Uint8Array): SszStatus {
  return decodeWith(sszStatus, bytes, "status", C.fromSszStatus);
}

export function encodeTableByDigestRequestSsz(value: SszTableByDigestRequest): Uint8Array {
  return encodeWith(sszTableByDigestRequest, value, "tableByDigestRequest", (x) =>
    C.toSszTableByDigestRequest(x),
  );
}
export function decodeTableByDigestRequestSsz(bytes: Uint8Array): SszTableByDigestRequest {
  return decodeWith(sszTableByDigestRequest, bytes, "tableByDigestRequest", (v) => ({
    stream: v.stream,
    tableDigest: v.tableDigest,
  }));
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

export function encodeCertificatesByRangeRequestSsz(value: SszCertificatesByRangeRequest): Uint8Array {
  return encodeWith(sszCertificatesByRangeRequest, value, "certificatesByRangeRequest", (x) =>
    C.toSszCertificatesByRangeRequest(x),
  );
}
export function decodeCertificatesByRangeRequestSsz(bytes: Uint8Array): SszCertificatesByRangeRequest {
  return decodeWith(sszCertificatesByRangeRequest, bytes, "certificatesByRangeRequest", (v) =>
    C.fromSszCertificatesByRangeRequest(v),
  );
}

export function encodeCertificatesByRangeResponseSsz(value: Certificate[]): Uint8Array {
  return encodeWith(sszCertificatesByRangeResponse, value, "certificatesByRangeResponse", (xs) => {
    if (!Array.isArray(xs))
      throw sszError(SszErrorCode.INVALID_VALUE, "certificatesByRangeResponse: expected an array");
    if (xs.length > MAX_CERTIFICATES_PER_RANGE)
      throw sszError(
        SszErrorCode.INVALID_VALUE,
        `certificatesByRangeResponse: ${xs.length} certificates, limit ${MAX_CERTIFICATES_PER_RANGE}`,
      );
    return xs.map((c, i) => C.toSszCertificate(c, `certificatesByRangeResponse[${i}]`));
  });
}
export function decodeCertificatesByRangeResponseSsz(bytes: Uint8Array): Certificate[] {
  return decodeWith(sszCertificatesByRangeResponse, bytes, "certificatesByRangeResponse", (vs) =>
    vs.map((v, i) => C.fromSszCertificate(v, `certificatesByRangeResponse[${i}]`)),
  );
}
