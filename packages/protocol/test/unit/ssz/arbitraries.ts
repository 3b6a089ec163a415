// fast-check arbitraries and an independent hand-written SSZ layout (plain byte
// concatenation, no @chainsafe/ssz) used as the oracle for the codec tests.
import fc from "fast-check";
import type { SszCertificatesByRangeRequest, SszEvidence, SszStatus } from "../../../src/ssz/index.js";
import { SszEvidenceKind } from "../../../src/ssz/index.js";
import type {
  Attestation,
  BuilderEquivocation,
  Certificate,
  Commitment,
  Domain,
  Observation,
  SignedCommitment,
  VerifierEquivocation,
} from "../../../src/types.js";
import { UINT32_MAX, UINT64_MAX } from "../../../src/types.js";

export const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });

export const uint64 = (): fc.Arbitrary<bigint> =>
  fc.oneof(
    fc.constantFrom(
      0n,
      1n,
      (1n << 32n) - 1n,
      1n << 32n,
      (1n << 53n) - 1n,
      1n << 53n,
      (1n << 53n) + 1n,
      UINT64_MAX,
    ),
    fc.bigInt({ min: 0n, max: UINT64_MAX }),
  );

export const uint32 = (): fc.Arbitrary<number> =>
  fc.oneof(fc.constantFrom(0, 1, 0x8000_0000, UINT32_MAX), fc.integer({ min: 0, max: UINT32_MAX }));

export const chainId = (): fc.Arbitrary<number> =>
  fc.oneof(fc.constantFrom(0, 1, 31337, 2 ** 32, Number.MAX_SAFE_INTEGER), fc.maxSafeNat());

export const domain = (): fc.Arbitrary<Domain> =>
  fc.record({ chainId: chainId(), verifyingContract: bytes(20) });

export const observation = (): fc.Arbitrary<Observation> =>
  fc.record({
    stream: bytes(32),
    slot: uint64(),
    l1BlockNumber: uint64(),
    l1BlockHash: bytes(32),
    schema: bytes(32),
    tableDigest: bytes(32),
    entryCount: uint32(),
  });

export const commitment = (): fc.Arbitrary<Commitment> =>
  fc.record({ observation: observation(), builder: bytes(20) });

export const signedCommitment = (): fc.Arbitrary<SignedCommitment> =>
  fc.record({ domain: domain(), commitment: commitment(), signature: bytes(65) });

export const attestation = (): fc.Arbitrary<Attestation> =>
  fc.record({
    domain: domain(),
    observation: observation(),
    setId: bytes(32),
    verifierIndex: uint32(),
    signature: bytes(96),
  });

/** Signer bitfields of every length 0..512, the extremes drawn often. */
export const signers = (): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    fc.uint8Array({ maxLength: 512 }),
    fc.constantFrom(0, 1, 511, 512).chain((n) => bytes(n)),
  );

export const certificate = (): fc.Arbitrary<Certificate> =>
  fc.record({
    domain: domain(),
    observation: observation(),
    setId: bytes(32),
    signers: signers(),
    aggregateSignature: bytes(96),
  });

export const builderEquivocation = (): fc.Arbitrary<BuilderEquivocation> =>
  fc.record({ a: signedCommitment(), b: signedCommitment() });

export const verifierEquivocation = (): fc.Arbitrary<VerifierEquivocation> =>
  fc.record({ a: attestation(), b: attestation() });

export const evidence = (): fc.Arbitrary<SszEvidence> =>
  fc.oneof(
    builderEquivocation().map(
      (e): SszEvidence => ({ kind: SszEvidenceKind.BuilderEquivocation, evidence: e }),
    ),
    verifierEquivocation().map(
      (e): SszEvidence => ({ kind: SszEvidenceKind.VerifierEquivocation, evidence: e }),
    ),
  );

export const status = (): fc.Arbitrary<SszStatus> =>
  fc.record({
    network: bytes(32),
    setIds: fc.oneof(
      fc.array(bytes(32), { maxLength: 16 }),
      fc.array(bytes(32), { minLength: 16, maxLength: 16 }),
    ),
    latestCertifiedSlot: uint64(),
    headSlot: uint64(),
  });

export const tableByDigestRequest = () => fc.record({ stream: bytes(32), tableDigest: bytes(32) });

export const certificatesByRangeRequest = (): fc.Arbitrary<SszCertificatesByRangeRequest> =>
  fc.record({ stream: bytes(32), startSlot: uint64(), count: fc.integer({ min: 0, max: 64 }) });

export const certificatesByRangeResponse = (maxLength = 8): fc.Arbitrary<Certificate[]> =>
  fc.array(certificate(), { maxLength });

// --- the oracle: SSZ layout written out by hand from the spec -----------------

export function le(value: bigint | number, width: number): Uint8Array {
  const out = new Uint8Array(width);
  let v = BigInt(value);
  for (let i = 0; i < width; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const manual = {
  domain: (d: Domain) => cat(le(d.chainId, 8), d.verifyingContract),
  observation: (o: Observation) =>
    cat(
      o.stream,
      le(o.slot, 8),
      le(o.l1BlockNumber, 8),
      o.l1BlockHash,
      o.schema,
      o.tableDigest,
      le(o.entryCount, 4),
    ),
  commitment: (c: Commitment) => cat(manual.observation(c.observation), c.builder),
  signedCommitment: (s: SignedCommitment) =>
    cat(manual.domain(s.domain), manual.commitment(s.commitment), s.signature),
  attestation: (a: Attestation) =>
    cat(
      manual.domain(a.domain),
      manual.observation(a.observation),
      a.setId,
      le(a.verifierIndex, 4),
      a.signature,
    ),
  // Fixed part: domain 28 + observation 148 + setId 32 + signers offset 4 + signature 96 = 308.
  certificate: (c: Certificate) =>
    cat(
      manual.domain(c.domain),
      manual.observation(c.observation),
      c.setId,
      le(308, 4),
      c.aggregateSignature,
      c.signers,
    ),
  builderEquivocation: (e: BuilderEquivocation) =>
    cat(manual.signedCommitment(e.a), manual.signedCommitment(e.b)),
  verifierEquivocation: (e: VerifierEquivocation) => cat(manual.attestation(e.a), manual.attestation(e.b)),
  evidence: (e: SszEvidence) =>
    e.kind === SszEvidenceKind.BuilderEquivocation
      ? cat(Uint8Array.of(0), manual.builderEquivocation(e.evidence))
      : cat(Uint8Array.of(1), manual.verifierEquivocation(e.evidence)),
  // Fixed part: network 32 + setIds offset 4 + two uint64 = 52.
  status: (s: SszStatus) =>
    cat(s.network, le(52, 4), le(s.latestCertifiedSlot, 8), le(s.headSlot, 8), ...s.setIds),
  tableByDigestRequest: (r: { stream: Uint8Array; tableDigest: Uint8Array }) => cat(r.stream, r.tableDigest),
  certificatesByRangeRequest: (r: SszCertificatesByRangeRequest) =>
    cat(r.stream, le(r.startSlot, 8), le(r.count, 8)),
  certificatesByRangeResponse: (cs: Certificate[]) => {
    const bodies = cs.map(manual.certificate);
    const offsets: Uint8Array[] = [];
    let o = 4 * cs.length;
    for (const b of bodies) {
      offsets.push(le(o, 4));
      o += b.length;
    }
    return cat(...offsets, ...bodies);
  },
};

/** Offsets (relative to the list start) of the elements of a certificate list, from the element sizes. */
export function responseOffsets(cs: Certificate[]): number[] {
  const out: number[] = [];
  let o = 4 * cs.length;
  for (const c of cs) {
    out.push(o);
    o += 308 + c.signers.length;
  }
  return out;
}
