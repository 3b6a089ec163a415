// Memo of observationRoot by the wire bytes that determine it. Every honest
// attestation of a slot carries the same (domain, observation), so hashing it
// once (3 keccaks, ~20 µs) instead of per vote is a large share of the cost.
import {
  type Domain,
  type Observation,
  observationRoot,
  sszAttestation,
  sszDomain,
  sszObservation,
} from "@ocp/protocol";

/**
 * Length of the SSZ prefix that encodes (domain, observation) in an
 * Attestation, or undefined when the layout is not [domain, observation, …]
 * with both fixed-size (then nothing is cached: a prefix that does not pin
 * both would let one message borrow another's root).
 */
function attestationPrefixLength(): number | undefined {
  const fields = sszAttestation.fieldsEntries;
  if (fields[0]?.fieldName !== "domain" || fields[0].fieldType !== sszDomain) return undefined;
  if (fields[1]?.fieldName !== "observation" || fields[1].fieldType !== sszObservation) return undefined;
  const a = sszDomain.fixedSize;
  const b = sszObservation.fixedSize;
  if (a === null || b === null) return undefined;
  return a + b;
}

export const ATTESTATION_ROOT_PREFIX = attestationPrefixLength();

/** Bounded: a flood of distinct observations only costs the hashing it would have cost anyway. */
export const ROOT_CACHE_MAX_ENTRIES = 1024;
const cache = new Map<string, Uint8Array>();
let clears = 0;

/** Size of the process-wide root memo against its bound; `dropped` counts whole-cache clears. */
export function rootCacheSize(): { size: number; limit: number; clears: number } {
  return { size: cache.size, limit: ROOT_CACHE_MAX_ENTRIES, clears };
}

/**
 * observationRoot(domain, observation) of an attestation decoded from `bytes`
 * (canonical SSZ, as the decoder guarantees).
 */
export function attestationRootFromBytes(
  bytes: Uint8Array,
  domain: Domain,
  observation: Observation,
): Uint8Array {
  if (ATTESTATION_ROOT_PREFIX === undefined || bytes.length < ATTESTATION_ROOT_PREFIX) {
    return observationRoot(domain, observation);
  }
  const key = Buffer.from(bytes.buffer, bytes.byteOffset, ATTESTATION_ROOT_PREFIX).toString("latin1");
  let root = cache.get(key);
  if (root === undefined) {
    root = observationRoot(domain, observation);
    if (cache.size >= ROOT_CACHE_MAX_ENTRIES) {
      cache.clear();
      clears++;
    }
    cache.set(key, root);
  }
  return root;
}
