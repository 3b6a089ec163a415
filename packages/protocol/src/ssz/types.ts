// SSZ container definitions of every wire type (docs/spec.md §3, §5), with the
// limits of §5. Each wire type's TypeScript type is the value type of its
// definition here (ValueOf), so a field is declared once.
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
import { MAX_BITFIELD_BYTES, MAX_CERTIFICATES_PER_RANGE, MAX_TABLE_FRAME_BYTES } from "../limits.js";

/** Set ids a Status message may list (§5 req/resp `status`). */
export const SSZ_MAX_STATUS_SET_IDS = 16;

const Bytes20 = new ByteVectorType(20);
const Bytes32 = new ByteVectorType(32);
const Bytes65 = new ByteVectorType(65);
const Bytes96 = new ByteVectorType(96);
// uint64 as bigint: values ≥ 2^53 must round-trip exactly.
const Uint64 = new UintBigintType(8);
// uint64 on the wire that the protocol holds as a number (chain ids, counts):
// a decoded value above 2^53-1 is OUT_OF_RANGE (codec.ts), never rounded.
const Uint64AsNumber = new UintNumberType(8);
const Uint32 = new UintNumberType(4);

/** EIP-712 domain: {name:"ocp", version:"1", chainId, verifyingContract (the 20-byte anchor contract)}. */
export const sszDomain = new ContainerType(
  { chainId: Uint64AsNumber, verifyingContract: Bytes20 },
  { typeName: "Domain" },
);

export const sszObservation = new ContainerType(
  {
    /** keccak256(abi.encode(uint256 l1ChainId, address tableContract)). */
    stream: Bytes32,
    slot: Uint64,
    l1BlockNumber: Uint64,
    l1BlockHash: Bytes32,
    /** keccak256(utf8(schemaName)). */
    schema: Bytes32,
    tableDigest: Bytes32,
    entryCount: Uint32,
  },
  { typeName: "Observation" },
);

export const sszCommitment = new ContainerType(
  {
    observation: sszObservation,
    /** Builder address. */
    builder: Bytes20,
  },
  { typeName: "Commitment" },
);

export const sszSignedCommitment = new ContainerType(
  {
    domain: sszDomain,
    commitment: sszCommitment,
    /** secp256k1 r‖s‖v, low-s. */
    signature: Bytes65,
  },
  { typeName: "SignedCommitment" },
);

export const sszAttestation = new ContainerType(
  {
    domain: sszDomain,
    observation: sszObservation,
    setId: Bytes32,
    /** Index of the verifier in the governing set. */
    verifierIndex: Uint32,
    /** Compressed G2 BLS signature over observationRoot. */
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
    /** Compressed G2 aggregate signature. */
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

/** `/ocp/1/status/ssz`, exchanged on connect. */
export const sszStatus = new ContainerType(
  {
    /** keccak256 of the network name, see `sszNetworkId`. */
    network: Bytes32,
    /** Verifier set ids this node knows. */
    setIds: new ListCompositeType(Bytes32, SSZ_MAX_STATUS_SET_IDS),
    latestCertifiedSlot: Uint64,
    headSlot: Uint64,
  },
  { typeName: "Status" },
);

/** `/ocp/1/table_by_digest/ssz` request. */
export const sszTableByDigestRequest = new ContainerType(
  { stream: Bytes32, tableDigest: Bytes32 },
  { typeName: "TableByDigestRequest" },
);

/** One response frame of `table_by_digest`: raw table bytes, ≤ 1 MiB (an SSZ ByteList serializes as its bytes). */
export const sszTableChunk = new ByteListType(MAX_TABLE_FRAME_BYTES, { typeName: "TableChunk" });

/** `/ocp/1/certificates_by_range/ssz` request; `count` ≤ 64 (checked by the codec). */
export const sszCertificatesByRangeRequest = new ContainerType(
  { stream: Bytes32, startSlot: Uint64, count: Uint64AsNumber },
  { typeName: "CertificatesByRangeRequest" },
);

export const sszCertificatesByRangeResponse = new ListCompositeType(
  sszCertificate,
  MAX_CERTIFICATES_PER_RANGE,
  {
    typeName: "CertificatesByRangeResponse",
  },
);

// The wire types: what @chainsafe/ssz (de)serializes is what the protocol uses.
export type Domain = ValueOf<typeof sszDomain>;
export type Observation = ValueOf<typeof sszObservation>;
export type Commitment = ValueOf<typeof sszCommitment>;
export type SignedCommitment = ValueOf<typeof sszSignedCommitment>;
export type Attestation = ValueOf<typeof sszAttestation>;
export type Certificate = ValueOf<typeof sszCertificate>;
export type BuilderEquivocation = ValueOf<typeof sszBuilderEquivocation>;
export type VerifierEquivocation = ValueOf<typeof sszVerifierEquivocation>;
export type SszStatus = ValueOf<typeof sszStatus>;
export type SszTableByDigestRequest = ValueOf<typeof sszTableByDigestRequest>;
export type SszCertificatesByRangeRequest = ValueOf<typeof sszCertificatesByRangeRequest>;

/** Union selector of the `evidence` topic. */
export enum SszEvidenceKind {
  BuilderEquivocation = 0,
  VerifierEquivocation = 1,
}

/**
 * The `evidence` payload as the node handles it: the union's `{selector, value}`
 * with the selector named (`kind`) and the value typed by it.
 */
export type SszEvidence =
  | { kind: SszEvidenceKind.BuilderEquivocation; evidence: BuilderEquivocation }
  | { kind: SszEvidenceKind.VerifierEquivocation; evidence: VerifierEquivocation };
