// Runtime shape checks for in-memory protocol values that may come from an
// untrusted caller; lets Result-returning verifiers refuse instead of throwing.
import type { Attestation, Domain, Observation, SignedCommitment } from "./types.js";
import { UINT32_MAX, UINT64_MAX } from "./types.js";

function isBytes(v: unknown, length: number): v is Uint8Array {
  return v instanceof Uint8Array && v.length === length;
}

function isUint64(v: unknown): v is bigint {
  return typeof v === "bigint" && v >= 0n && v <= UINT64_MAX;
}

function isUint32(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= UINT32_MAX;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

export function isWellFormedDomain(d: unknown): d is Domain {
  return (
    isObject(d) &&
    Number.isSafeInteger(d.chainId) &&
    (d.chainId as number) > 0 &&
    isBytes(d.verifyingContract, 20)
  );
}

export function isWellFormedObservation(o: unknown): o is Observation {
  return (
    isObject(o) &&
    isBytes(o.stream, 32) &&
    isUint64(o.slot) &&
    isUint64(o.l1BlockNumber) &&
    isBytes(o.l1BlockHash, 32) &&
    isBytes(o.schema, 32) &&
    isBytes(o.tableDigest, 32) &&
    isUint32(o.entryCount)
  );
}

/** Domain and commitment well formed; the signature is checked by its verifier. */
export function isWellFormedSignedCommitment(s: unknown): s is SignedCommitment {
  return (
    isObject(s) &&
    isWellFormedDomain(s.domain) &&
    isObject(s.commitment) &&
    isWellFormedObservation(s.commitment.observation) &&
    isBytes(s.commitment.builder, 20) &&
    s.signature instanceof Uint8Array
  );
}

export function isWellFormedAttestation(a: unknown): a is Attestation {
  return (
    isObject(a) &&
    isWellFormedDomain(a.domain) &&
    isWellFormedObservation(a.observation) &&
    isBytes(a.setId, 32) &&
    isUint32(a.verifierIndex) &&
    a.signature instanceof Uint8Array
  );
}
