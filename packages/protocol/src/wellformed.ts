// Runtime shape checks for in-memory protocol values that may come from an
// untrusted caller; lets Result-returning verifiers refuse instead of throwing.
// The shapes are the SSZ definitions' (ssz/value.ts walks them); signatures are
// only required to be bytes here, their lengths being their verifiers' errors.
import { sszAttestation, sszCommitment, sszDomain, sszObservation } from "./ssz/types.js";
import { isSszValue } from "./ssz/value.js";
import type { Attestation, Domain, Observation, SignedCommitment } from "./types.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

/** A Domain value with a chain id above 0 (no chain has id 0). */
export function isWellFormedDomain(d: unknown): d is Domain {
  return isSszValue(sszDomain, d) && d.chainId > 0;
}

export function isWellFormedObservation(o: unknown): o is Observation {
  return isSszValue(sszObservation, o);
}

/** Domain and commitment well formed; the signature is checked by its verifier. */
export function isWellFormedSignedCommitment(s: unknown): s is SignedCommitment {
  return (
    isObject(s) &&
    isWellFormedDomain(s.domain) &&
    isSszValue(sszCommitment, s.commitment) &&
    s.signature instanceof Uint8Array
  );
}

export function isWellFormedAttestation(a: unknown): a is Attestation {
  const f = sszAttestation.fields;
  return (
    isObject(a) &&
    isWellFormedDomain(a.domain) &&
    isSszValue(f.observation, a.observation) &&
    isSszValue(f.setId, a.setId) &&
    isSszValue(f.verifierIndex, a.verifierIndex) &&
    a.signature instanceof Uint8Array
  );
}
