// One row per wire codec, shared by the round-trip and hostile-input tests.
import type fc from "fast-check";
import { expect } from "vitest";
import { ProtocolError } from "../../../src/errors.js";
import * as S from "../../../src/ssz/index.js";
import * as A from "./arbitraries.js";

export interface Case<T> {
  name: string;
  arb: () => fc.Arbitrary<T>;
  encode: (v: T) => Uint8Array;
  decode: (b: Uint8Array) => T;
  manual: (v: T) => Uint8Array;
  /** Fixed encoded length, or undefined for variable-size types. */
  fixed?: number;
  /** Largest valid encoding (for variable-size types). */
  max?: number;
  gossip?: boolean;
}

const mk = <T>(c: Case<T>): Case<unknown> => c as unknown as Case<unknown>;

// Sizes written as spec arithmetic, independent of the library's minSize/maxSize.
export const cases: Case<unknown>[] = [
  mk({
    name: "Domain",
    arb: A.domain,
    encode: S.encodeDomainSsz,
    decode: S.decodeDomainSsz,
    manual: A.manual.domain,
    fixed: 8 + 20,
  }),
  mk({
    name: "Observation",
    arb: A.observation,
    encode: S.encodeObservationSsz,
    decode: S.decodeObservationSsz,
    manual: A.manual.observation,
    fixed: 32 + 8 + 8 + 32 + 32 + 32 + 4,
  }),
  mk({
    name: "Commitment",
    arb: A.commitment,
    encode: S.encodeCommitmentSsz,
    decode: S.decodeCommitmentSsz,
    manual: A.manual.commitment,
    fixed: 148 + 20,
  }),
  mk({
    name: "SignedCommitment",
    arb: A.signedCommitment,
    encode: S.encodeSignedCommitmentSsz,
    decode: S.decodeSignedCommitmentSsz,
    manual: A.manual.signedCommitment,
    fixed: 28 + 168 + 65,
    gossip: true,
  }),
  mk({
    name: "Attestation",
    arb: A.attestation,
    encode: S.encodeAttestationSsz,
    decode: S.decodeAttestationSsz,
    manual: A.manual.attestation,
    fixed: 28 + 148 + 32 + 4 + 96,
    gossip: true,
  }),
  mk({
    name: "Certificate",
    arb: A.certificate,
    encode: S.encodeCertificateSsz,
    decode: S.decodeCertificateSsz,
    manual: A.manual.certificate,
    max: 308 + 512,
    gossip: true,
  }),
  mk({
    name: "BuilderEquivocation",
    arb: A.builderEquivocation,
    encode: S.encodeBuilderEquivocationSsz,
    decode: S.decodeBuilderEquivocationSsz,
    manual: A.manual.builderEquivocation,
    fixed: 2 * 261,
  }),
  mk({
    name: "VerifierEquivocation",
    arb: A.verifierEquivocation,
    encode: S.encodeVerifierEquivocationSsz,
    decode: S.decodeVerifierEquivocationSsz,
    manual: A.manual.verifierEquivocation,
    fixed: 2 * 308,
  }),
  mk({
    name: "Evidence",
    arb: A.evidence,
    encode: S.encodeEvidenceSsz,
    decode: S.decodeEvidenceSsz,
    manual: A.manual.evidence,
    max: 1 + 2 * 308,
    gossip: true,
  }),
  mk({
    name: "Status",
    arb: A.status,
    encode: S.encodeStatusSsz,
    decode: S.decodeStatusSsz,
    manual: A.manual.status,
    max: 52 + 16 * 32,
  }),
  mk({
    name: "TableByDigestRequest",
    arb: A.tableByDigestRequest,
    encode: S.encodeTableByDigestRequestSsz,
    decode: S.decodeTableByDigestRequestSsz,
    manual: A.manual.tableByDigestRequest,
    fixed: 64,
  }),
  mk({
    name: "CertificatesByRangeRequest",
    arb: A.certificatesByRangeRequest,
    encode: S.encodeCertificatesByRangeRequestSsz,
    decode: S.decodeCertificatesByRangeRequestSsz,
    manual: A.manual.certificatesByRangeRequest,
    fixed: 48,
  }),
  mk({
    name: "CertificatesByRangeResponse",
    arb: () => A.certificatesByRangeResponse(4),
    encode: S.encodeCertificatesByRangeResponseSsz,
    decode: S.decodeCertificatesByRangeResponseSsz,
    manual: A.manual.certificatesByRangeResponse,
    max: 64 * (4 + 820),
  }),
];

export type Outcome = { ok: true; value: unknown } | { ok: false; code: S.SszErrorCode };

const CODES = new Set<string>(Object.values(S.SszErrorCode));

/** Runs `f`; anything thrown must be a ProtocolError with an SszErrorCode (else the test fails). */
export function outcome(f: () => unknown): Outcome {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    const code = (e as ProtocolError).code;
    expect(CODES.has(code), `unexpected code ${code}`).toBe(true);
    return { ok: false, code: code as S.SszErrorCode };
  }
}

export function expectCode(f: () => unknown, code: S.SszErrorCode): void {
  const r = outcome(f);
  expect(r.ok ? "decoded" : r.code).toBe(code);
}

/**
 * A hostile input either fails with an SszErrorCode, or decodes to a value whose
 * encoding is exactly the input (only canonical bytes are accepted).
 */
export function expectRejectedOrCanonical(c: Case<unknown>, input: Uint8Array): Outcome {
  const r = outcome(() => c.decode(input));
  if (r.ok) expect(c.encode(r.value)).toEqual(input);
  return r;
}
