// SSZ container definitions of every wire type (docs/spec.md §3, §5), with the
// limits of §5, plus the TypeScript shapes of the req/resp and evidence messages.
import {
  ByteListType,
  ByteVectorType,
  ContainerType,
  ListCompositeType,
  UintBigintType,
  UintNumberType,
  UnionType,
  type ValueOf,
} from "@chainsafe/ssz";
import type { BuilderEquivocation, VerifierEquivocation } from "../types.js";
import { MAX_BITFIELD_BYTES, MAX_CERTIFICATES_PER_RANGE, MAX_TABLE_FRAME_BYTES } from "../types.js";

/** Set ids a Status message may list (§5 req/resp `status`). */
export const SSZ_MAX_STATUS_SET_IDS = 16;

const Bytes20 = new ByteVectorType(20);
const Bytes32 = new ByteVectorType(32);
const Bytes65 = new ByteVectorType(65);
const Bytes96 = new ByteVectorType(96);
// uint64 as bigint: values ≥ 2^53 must round-trip exactly.
const Uint64 = new UintBigintType(8);
const Uint32 = new UintNumberType(4);

export const sszDomain = new ContainerType(
  { chainId: Uint64, verifyingContract: Bytes20 },
  { typeName: "Domain" },
);

export const sszObservation = new ContainerType(
  {
    stream: Bytes32,
    slot: Uint64,
    l1BlockNumber: Uint64,
    l1BlockHash: Bytes32,
    schema: Bytes32,
    tableDigest: Bytes32,
    entryCount: Uint32,
  },
  { typeName: "Observation" },
);

export const sszCommitment = new ContainerType(
  { observation: sszObservation, builder: Bytes20 },
  { typeName: "Commitment" },
);

export const sszSignedCommitment = new ContainerType(
  { domain: sszDomain, commitment: sszCommitment, signature: Bytes65 },
  { typeName: "SignedCommitment" },
);

export const sszAttestation = new ContainerType(
  {
    domain: sszDomain,
    observation: sszObservation,
    setId: Bytes32,
    verifierIndex: Uint32,
    signature: Bytes96,
  },
  { typeName: "Attestation" },
);

export const sszCertificate = new ContainerType(
  {
    domain: sszDomain,
    observation: sszObservation,
    setId: Bytes32,
    // 4,096 verifiers per set → at most 512 bitfield bytes. The exact
    // ceil(n/8) length and zero high bits are checked against the set later.
    signers: new ByteListType(MAX_BITFIELD_BYTES),
    aggregateSignature: Bytes96,
  },
  { typeName: "Certificate" },
);

export const sszBuilderEquivocation = new ContainerType(
  { a: sszSignedCommitment, b: sszSignedCommitment },
  { typeName: "BuilderEquivocation" },
);

export const sszVerifierEquivocation = new ContainerType(
  { a: sszAttestation, b: sszAttestation },
  { typeName: "VerifierEquivocation" },
);

/**
 * Payload of the `evidence` topic: SSZ `Union[BuilderEquivocation, VerifierEquivocation]`,
 * i.e. one selector byte (0 = builder, 1 = verifier) followed by the SSZ of that
 * container. Both options are fixed-size, so each selector has exactly one length.
 */
export const sszEvidence = new UnionType([sszBuilderEquivocation, sszVerifierEquivocation], {
  typeName: "Evidence",
});

export const sszStatus = new ContainerType(
  {
    network: Bytes32,
    setIds: new ListCompositeType(Bytes32, SSZ_MAX_STATUS_SET_IDS),
    latestCertifiedSlot: Uint64,
    headSlot: Uint64,
  },
  { typeName: "Status" },
);

export const sszTableByDigestRequest = new ContainerType(
  { stream: Bytes32, tableDigest: Bytes32 },
  { typeName: "TableByDigestRequest" },
);

/** One response frame of `table_by_digest`: raw table bytes, ≤ 1 MiB (an SSZ ByteList serializes as its bytes). */
export const sszTableChunk = new ByteListType(MAX_TABLE_FRAME_BYTES, { typeName: "TableChunk" });

export const sszCertificatesByRangeRequest = new ContainerType(
  { stream: Bytes32, startSlot: Uint64, count: Uint64 },
  { typeName: "CertificatesByRangeRequest" },
);

export const sszCertificatesByRangeResponse = new ListCompositeType(
  sszCertificate,
  MAX_CERTIFICATES_PER_RANGE,
  {
    typeName: "CertificatesByRangeResponse",
  },
);

/** The SSZ value objects (what @chainsafe/ssz serializes). */
export type SszDomainValue = ValueOf<typeof sszDomain>;
export type SszObservationValue = ValueOf<typeof sszObservation>;
export type SszCommitmentValue = ValueOf<typeof sszCommitment>;
export type SszSignedCommitmentValue = ValueOf<typeof sszSignedCommitment>;
export type SszAttestationValue = ValueOf<typeof sszAttestation>;
export type SszCertificateValue = ValueOf<typeof sszCertificate>;
export type SszBuilderEquivocationValue = ValueOf<typeof sszBuilderEquivocation>;
export type SszVerifierEquivocationValue = ValueOf<typeof sszVerifierEquivocation>;
export type SszEvidenceValue = ValueOf<typeof sszEvidence>;
export type SszStatusValue = ValueOf<typeof sszStatus>;
export type SszCertificatesByRangeRequestValue = ValueOf<typeof sszCertificatesByRangeRequest>;

/** Union selector of the `evidence` topic. */
export enum SszEvidenceKind {
  BuilderEquivocation = 0,
  VerifierEquivocation = 1,
}

export type SszEvidence =
  | { kind: SszEvidenceKind.BuilderEquivocation; evidence: BuilderEquivocation }
  | { kind: SszEvidenceKind.VerifierEquivocation; evidence: VerifierEquivocation };

/** `/ocp/1/status/ssz`, exchanged on connect. */
export interface SszStatus {
  /** 32-byte network id, see `sszNetworkId`. */
  network: Uint8Array;
  /** Verifier set ids this node knows, at most 16. */
  setIds: Uint8Array[];
  latestCertifiedSlot: bigint;
  headSlot: bigint;
}

/** `/ocp/1/table_by_digest/ssz` request. */
export interface SszTableByDigestRequest {
  stream: Uint8Array;
  tableDigest: Uint8Array;
}

/** `/ocp/1/certificates_by_range/ssz` request. `count` is uint64 on the wire, ≤ 64. */
export interface SszCertificatesByRangeRequest {
  stream: Uint8Array;
  startSlot: bigint;
  count: number;
}
