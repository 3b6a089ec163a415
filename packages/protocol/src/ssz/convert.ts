// Conversions between the protocol types (types.ts) and the SSZ value objects.
// toSsz* validate every field (encode side); fromSsz* apply the range rules the
// SSZ types cannot express (decode side). Both throw only ProtocolError<SszErrorCode>.
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
import { MAX_BITFIELD_BYTES, MAX_CERTIFICATES_PER_RANGE, UINT32_MAX, UINT64_MAX } from "../types.js";
import { SszErrorCode, sszError } from "./errors.js";
import {
  SSZ_MAX_STATUS_SET_IDS,
  type SszAttestationValue,
  type SszBuilderEquivocationValue,
  type SszCertificatesByRangeRequest,
  type SszCertificatesByRangeRequestValue,
  type SszCertificateValue,
  type SszCommitmentValue,
  type SszDomainValue,
  type SszEvidence,
  SszEvidenceKind,
  type SszEvidenceValue,
  type SszObservationValue,
  type SszSignedCommitmentValue,
  type SszStatus,
  type SszStatusValue,
  type SszTableByDigestRequest,
  type SszVerifierEquivocationValue,
} from "./types.js";

function invalid(path: string, what: string): never {
  throw sszError(SszErrorCode.INVALID_VALUE, `${path}: ${what}`);
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null) invalid(path, "expected an object");
  return v as Record<string, unknown>;
}

function bytesN(v: unknown, n: number, path: string): Uint8Array {
  if (!(v instanceof Uint8Array)) invalid(path, "expected a Uint8Array");
  if (v.length !== n) invalid(path, `expected ${n} bytes, got ${v.length}`);
  return v;
}

function bytesMax(v: unknown, max: number, path: string): Uint8Array {
  if (!(v instanceof Uint8Array)) invalid(path, "expected a Uint8Array");
  if (v.length > max) invalid(path, `at most ${max} bytes, got ${v.length}`);
  return v;
}

function u64(v: unknown, path: string): bigint {
  if (typeof v !== "bigint") invalid(path, "expected a bigint");
  if (v < 0n || v > UINT64_MAX) invalid(path, `${v} is not a uint64`);
  return v;
}

function u32(v: unknown, path: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > UINT32_MAX)
    invalid(path, `${String(v)} is not a uint32`);
  return v;
}

function safeUint(v: unknown, max: number, path: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0 || v > max)
    invalid(path, `${String(v)} is not an integer in [0, ${max}]`);
  return v;
}

/** A decoded uint64 that the protocol type holds as a number. */
function toNumber(v: bigint, max: number, path: string): number {
  if (v > BigInt(max)) throw sszError(SszErrorCode.OUT_OF_RANGE, `${path}: ${v} > ${max}`);
  return Number(v);
}

export function toSszDomain(d: Domain, path = "domain"): SszDomainValue {
  const o = obj(d, path);
  return {
    chainId: BigInt(safeUint(o.chainId, Number.MAX_SAFE_INTEGER, `${path}.chainId`)),
    verifyingContract: bytesN(o.verifyingContract, 20, `${path}.verifyingContract`),
  };
}

/** chainId is uint64 on the wire but a number in the protocol: > 2^53-1 is OUT_OF_RANGE. */
export function fromSszDomain(v: SszDomainValue, path = "domain"): Domain {
  return {
    chainId: toNumber(v.chainId, Number.MAX_SAFE_INTEGER, `${path}.chainId`),
    verifyingContract: v.verifyingContract,
  };
}

export function toSszObservation(x: Observation, path = "observation"): SszObservationValue {
  const o = obj(x, path);
  return {
    stream: bytesN(o.stream, 32, `${path}.stream`),
    slot: u64(o.slot, `${path}.slot`),
    l1BlockNumber: u64(o.l1BlockNumber, `${path}.l1BlockNumber`),
    l1BlockHash: bytesN(o.l1BlockHash, 32, `${path}.l1BlockHash`),
    schema: bytesN(o.schema, 32, `${path}.schema`),
    tableDigest: bytesN(o.tableDigest, 32, `${path}.tableDigest`),
    entryCount: u32(o.entryCount, `${path}.entryCount`),
  };
}

export function fromSszObservation(v: SszObservationValue): Observation {
  return {
    stream: v.stream,
    slot: v.slot,
    l1BlockNumber: v.l1BlockNumber,
    l1BlockHash: v.l1BlockHash,
    schema: v.schema,
    tableDigest: v.tableDigest,
    entryCount: v.entryCount,
  };
}

export function toSszCommitment(x: Commitment, path = "commitment"): SszCommitmentValue {
  const o = obj(x, path);
  return {
    observation: toSszObservation(o.observation as Observation, `${path}.observation`),
    builder: bytesN(o.builder, 20, `${path}.builder`),
  };
}

export function fromSszCommitment(v: SszCommitmentValue): Commitment {
  return { observation: fromSszObservation(v.observation), builder: v.builder };
}

export function toSszSignedCommitment(
  x: SignedCommitment,
  path = "signedCommitment",
): SszSignedCommitmentValue {
  const o = obj(x, path);
  return {
    domain: toSszDomain(o.domain as Domain, `${path}.domain`),
    commitment: toSszCommitment(o.commitment as Commitment, `${path}.commitment`),
    signature: bytesN(o.signature, 65, `${path}.signature`),
  };
}

export function fromSszSignedCommitment(
  v: SszSignedCommitmentValue,
  path = "signedCommitment",
): SignedCommitment {
  return {
    domain: fromSszDomain(v.domain, `${path}.domain`),
    commitment: fromSszCommitment(v.commitment),
    signature: v.signature,
  };
}

export function toSszAttestation(x: Attestation, path = "attestation"): SszAttestationValue {
  const o = obj(x, path);
  return {
    domain: toSszDomain(o.domain as Domain, `${path}.domain`),
    observation: toSszObservation(o.observation as Observation, `${path}.observation`),
    setId: bytesN(o.setId, 32, `${path}.setId`),
    verifierIndex: u32(o.verifierIndex, `${path}.verifierIndex`),
    signature: bytesN(o.signature, 96, `${path}.signature`),
  };
}

export function fromSszAttestation(v: SszAttestationValue, path = "attestation"): Attestation {
  return {
    domain: fromSszDomain(v.domain, `${path}.domain`),
    observation: fromSszObservation(v.observation),
    setId: v.setId,
    verifierIndex: v.verifierIndex,
    signature: v.signature,
  };
}

export function toSszCertificate(x: Certificate, path = "certificate"): SszCertificateValue {
  const o = obj(x, path);
  return {
    domain: toSszDomain(o.domain as Domain, `${path}.domain`),
    observation: toSszObservation(o.observation as Observation, `${path}.observation`),
    setId: bytesN(o.setId, 32, `${path}.setId`),
    signers: bytesMax(o.signers, MAX_BITFIELD_BYTES, `${path}.signers`),
    aggregateSignature: bytesN(o.aggregateSignature, 96, `${path}.aggregateSignature`),
  };
}

export function fromSszCertificate(v: SszCertificateValue, path = "certificate"): Certificate {
  return {
    domain: fromSszDomain(v.domain, `${path}.domain`),
    observation: fromSszObservation(v.observation),
    setId: v.setId,
    signers: v.signers,
    aggregateSignature: v.aggregateSignature,
  };
}

export function toSszBuilderEquivocation(
  x: BuilderEquivocation,
  path = "builderEquivocation",
): SszBuilderEquivocationValue {
  const o = obj(x, path);
  return {
    a: toSszSignedCommitment(o.a as SignedCommitment, `${path}.a`),
    b: toSszSignedCommitment(o.b as SignedCommitment, `${path}.b`),
  };
}

export function fromSszBuilderEquivocation(
  v: SszBuilderEquivocationValue,
  path = "builderEquivocation",
): BuilderEquivocation {
  return { a: fromSszSignedCommitment(v.a, `${path}.a`), b: fromSszSignedCommitment(v.b, `${path}.b`) };
}

export function toSszVerifierEquivocation(
  x: VerifierEquivocation,
  path = "verifierEquivocation",
): SszVerifierEquivocationValue {
  const o = obj(x, path);
  return {
    a: toSszAttestation(o.a as Attestation, `${path}.a`),
    b: toSszAttestation(o.b as Attestation, `${path}.b`),
  };
}

export function fromSszVerifierEquivocation(
  v: SszVerifierEquivocationValue,
  path = "verifierEquivocation",
): VerifierEquivocation {
  return { a: fromSszAttestation(v.a, `${path}.a`), b: fromSszAttestation(v.b, `${path}.b`) };
}

export function toSszEvidence(x: SszEvidence, path = "evidence"): SszEvidenceValue {
  const o = obj(x, path);
  switch (o.kind) {
    case SszEvidenceKind.BuilderEquivocation:
      return {
        selector: SszEvidenceKind.BuilderEquivocation,
        value: toSszBuilderEquivocation(o.evidence as BuilderEquivocation, `${path}.evidence`),
      };
    case SszEvidenceKind.VerifierEquivocation:
      return {
        selector: SszEvidenceKind.VerifierEquivocation,
        value: toSszVerifierEquivocation(o.evidence as VerifierEquivocation, `${path}.evidence`),
      };
    default:
      return invalid(`${path}.kind`, `unknown evidence kind ${String(o.kind)}`);
  }
}

export function fromSszEvidence(v: SszEvidenceValue, path = "evidence"): SszEvidence {
  if (v.selector === SszEvidenceKind.BuilderEquivocation)
    return {
      kind: SszEvidenceKind.BuilderEquivocation,
      evidence: fromSszBuilderEquivocation(v.value as SszBuilderEquivocationValue, `${path}.evidence`),
    };
  if (v.selector === SszEvidenceKind.VerifierEquivocation)
    return {
      kind: SszEvidenceKind.VerifierEquivocation,
      evidence: fromSszVerifierEquivocation(v.value as SszVerifierEquivocationValue, `${path}.evidence`),
    };
  throw sszError(SszErrorCode.BAD_SELECTOR, `${path}: selector ${v.selector}`);
}

export function toSszStatus(x: SszStatus, path = "status"): SszStatusValue {
  const o = obj(x, path);
  if (!Array.isArray(o.setIds)) invalid(`${path}.setIds`, "expected an array");
  if (o.setIds.length > SSZ_MAX_STATUS_SET_IDS)
    invalid(`${path}.setIds`, `at most ${SSZ_MAX_STATUS_SET_IDS} set ids, got ${o.setIds.length}`);
  return {
    network: bytesN(o.network, 32, `${path}.network`),
    setIds: o.setIds.map((s: unknown, i: number) => bytesN(s, 32, `${path}.setIds[${i}]`)),
    latestCertifiedSlot: u64(o.latestCertifiedSlot, `${path}.latestCertifiedSlot`),
    headSlot: u64(o.headSlot, `${path}.headSlot`),
  };
}

export function fromSszStatus(v: SszStatusValue): SszStatus {
  return {
    network: v.network,
    setIds: v.setIds,
    latestCertifiedSlot: v.latestCertifiedSlot,
    headSlot: v.headSlot,
  };
}

export function toSszTableByDigestRequest(
  x: SszTableByDigestRequest,
  path = "tableByDigestRequest",
): SszTableByDigestRequest {
  const o = obj(x, path);
  return {
    stream: bytesN(o.stream, 32, `${path}.stream`),
    tableDigest: bytesN(o.tableDigest, 32, `${path}.tableDigest`),
  };
}

export function toSszCertificatesByRangeRequest(
  x: SszCertificatesByRangeRequest,
  path = "certificatesByRangeRequest",
): SszCertificatesByRangeRequestValue {
  const o = obj(x, path);
  return {
    stream: bytesN(o.stream, 32, `${path}.stream`),
    startSlot: u64(o.startSlot, `${path}.startSlot`),
    count: BigInt(safeUint(o.count, MAX_CERTIFICATES_PER_RANGE, `${path}.count`)),
  };
}

/** count > 64 is OUT_OF_RANGE (docs/spec.md §5: at most 64 certificates per response). */
export function fromSszCertificatesByRangeRequest(
  v: SszCertificatesByRangeRequestValue,
  path = "certificatesByRangeRequest",
): SszCertificatesByRangeRequest {
  return {
    stream: v.stream,
    startSlot: v.startSlot,
    count: toNumber(v.count, MAX_CERTIFICATES_PER_RANGE, `${path}.count`),
  };
}
