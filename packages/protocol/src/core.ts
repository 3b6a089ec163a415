// The protocol without a BLS backend: every pure module of @ocp/protocol,
// listed name by name. The entry points add a backend: index.ts (blst, the
// node's) and light.ts (noble only, for light clients).

// Signer bitfields (docs/spec.md §3).
export {
  BitfieldErrorCode,
  bitfieldFromIndices,
  bitfieldIndices,
  bitfieldLength,
  countBits,
  createBitfield,
  getBit,
  setBit,
  validateBitfield,
} from "./bitfield.js";
export type {
  BlsBackend,
  BlsError,
  BlsPublicKey,
  BlsSecretKey,
  BlsSignature,
  BlsSignatureSet,
} from "./bls/interface.js";
// The BLS interface both backends implement; the backends are subpaths.
export {
  assertLength,
  BLS_POP_DST,
  BLS_PUBKEY_LENGTH,
  BLS_SECRET_KEY_LENGTH,
  BLS_SIG_DST,
  BLS_SIGNATURE_LENGTH,
  BlsErrorCode,
  blsError,
  isCompressedInfinity,
  precheckCompressed,
} from "./bls/interface.js";
// Builder commitments: secp256k1 signatures over commitmentRoot.
export {
  addressFromPrivateKey,
  BUILDER_SIGNATURE_BYTES,
  BuilderSigErrorCode,
  BuilderSignatureVerifier,
  recoverBuilder,
  signCommitment,
  verifySignedCommitment,
} from "./builder.js";
export type {
  BuildCertificateOptions,
  CertificateVerification,
  VerifierSetSource,
  VerifyCertificateOptions,
} from "./certificate.js";
// Certificates: build, verify, signature sets.
export {
  attestationSignatureSet,
  buildCertificate,
  CertificateErrorCode,
  certificateSignatureSet,
  domainShapeError,
  observationShapeError,
  signedWeightOf,
  verifyCertificate,
} from "./certificate.js";
// EIP-712 signing roots (docs/spec.md §3).
export {
  COMMITMENT_TYPE,
  COMMITMENT_TYPEHASH,
  commitmentRoot,
  commitmentStructHash,
  domainSeparator,
  EIP712_DOMAIN_TYPE,
  OBSERVATION_TYPE,
  OBSERVATION_TYPEHASH,
  observationRoot,
  observationStructHash,
} from "./eip712.js";
// EIP-2537 point encodings for the anchor contract (docs/spec.md §7).
export {
  EIP2537_G1_LENGTH,
  EIP2537_G2_LENGTH,
  Eip2537ErrorCode,
  g1FromEip2537,
  g1PointFromEip2537,
  g1PointToEip2537,
  g1ToEip2537,
  g2FromEip2537,
  g2PointFromEip2537,
  g2PointToEip2537,
  g2ToEip2537,
} from "./eip2537.js";
export type { Result } from "./errors.js";
// The typed error every check throws or returns.
export {
  isProtocolError,
  ProtocolError,
} from "./errors.js";
export type {
  BuilderOffence,
  Offence,
  VerifierOffence,
  VerifierSetLookup,
} from "./evidence.js";
// Equivocation evidence.
export {
  buildBuilderEquivocation,
  buildVerifierEquivocation,
  EvidenceErrorCode,
  evidenceKey,
  normalizeBuilderEquivocation,
  normalizeVerifierEquivocation,
  verifyBuilderEquivocation,
  verifyVerifierEquivocation,
} from "./evidence.js";
// Bytes ↔ 0x-hex.
export {
  bytesEqual,
  concatBytes,
  fromHex,
  HexErrorCode,
  toHex,
} from "./hex.js";
export type {
  AttestationJson,
  BuilderEquivocationJson,
  CertificateJson,
  CommitmentJson,
  DomainJson,
  JsonHex,
  ObservationJson,
  SignedCommitmentJson,
  VerifierEntryJson,
  VerifierEquivocationJson,
  VerifierSetJson,
} from "./json.js";
// JSON forms (docs/spec.md §3).
export {
  attestationToJson,
  builderEquivocationToJson,
  certificateToJson,
  commitmentToJson,
  domainToJson,
  JsonErrorCode,
  observationToJson,
  parseAttestationJson,
  parseBuilderEquivocationJson,
  parseCertificateJson,
  parseCommitmentJson,
  parseDomainJson,
  parseJsonText,
  parseObservationJson,
  parseSignedCommitmentJson,
  parseVerifierEquivocationJson,
  parseVerifierSetJson,
  signedCommitmentToJson,
  verifierEquivocationToJson,
  verifierSetToJson,
} from "./json.js";
export type { JsonObjectSchema, JsonSchema, JsonSchemaOptions, SchemaOf } from "./jsonSchema.js";
// JSON Schemas of the JSON forms, generated from the SSZ definitions (docs/spec.md §3.8).
export {
  decimalJsonSchema,
  hexJsonSchema,
  jsonSchemaOf,
  objectJsonSchema,
} from "./jsonSchema.js";
// Table schemas (docs/spec.md §4). Their exports change with the EEZ decoding
// rule; they get a name-by-name list once that settles.
export * from "./schemas/index.js";
export type {
  BuildVerifierSetOptions,
  VerifierSet,
} from "./sets.js";
// Verifier sets, setId and quorum (docs/spec.md §3).
export {
  buildVerifierSetWith,
  computeKeysHash,
  computeSetId,
  governingSet,
  quorumReached,
  SetErrorCode,
  VerifierSetRegistry,
  validateQuorum,
  verifierIndexOf,
} from "./sets.js";
export type {
  SszCertificatesByRangeRequest,
  SszError,
  SszEvidence,
  SszGossipMessage,
  SszGossipTopic,
  SszStatus,
  SszTableByDigestRequest,
} from "./ssz/index.js";
// SSZ wire codecs and limits (docs/spec.md §5).
export {
  checkSszShape,
  decodeAttestationSsz,
  decodeBuilderEquivocationSsz,
  decodeCertificateSsz,
  decodeCertificatesByRangeRequestSsz,
  decodeCertificatesByRangeResponseSsz,
  decodeCommitmentSsz,
  decodeDomainSsz,
  decodeEvidenceSsz,
  decodeGossipSsz,
  decodeObservationSsz,
  decodeSignedCommitmentSsz,
  decodeStatusSsz,
  decodeTableByDigestRequestSsz,
  decodeTableChunkSsz,
  decodeVerifierEquivocationSsz,
  encodeAttestationSsz,
  encodeBuilderEquivocationSsz,
  encodeCertificateSsz,
  encodeCertificatesByRangeRequestSsz,
  encodeCertificatesByRangeResponseSsz,
  encodeCommitmentSsz,
  encodeDomainSsz,
  encodeEvidenceSsz,
  encodeGossipSsz,
  encodeObservationSsz,
  encodeSignedCommitmentSsz,
  encodeStatusSsz,
  encodeTableByDigestRequestSsz,
  encodeTableChunkSsz,
  encodeVerifierEquivocationSsz,
  reassembleTableFramesSsz,
  reassembleTableFramesSszAsync,
  SSZ_GOSSIP_MAX_BYTES,
  SSZ_GOSSIP_MIN_BYTES,
  SSZ_MAX_STATUS_SET_IDS,
  SszErrorCode,
  SszEvidenceKind,
  SszTableReassembler,
  splitTableFramesSsz,
  sszAttestation,
  sszBuilderEquivocation,
  sszCertificate,
  sszCertificatesByRangeRequest,
  sszCertificatesByRangeResponse,
  sszCommitment,
  sszDomain,
  sszError,
  sszEvidence,
  sszNetworkId,
  sszObservation,
  sszSignedCommitment,
  sszStatus,
  sszTableByDigestRequest,
  sszTableChunk,
  sszVerifierEquivocation,
} from "./ssz/index.js";
// Stream ids (docs/spec.md §3).
export {
  StreamErrorCode,
  streamId,
} from "./stream.js";
export type {
  Attestation,
  BuilderEquivocation,
  Certificate,
  Commitment,
  Domain,
  Observation,
  Quorum,
  SignedCommitment,
  VerifierEntry,
  VerifierEquivocation,
  VerifierSetData,
} from "./types.js";
// Wire types and limits (docs/spec.md §3, §5).
export {
  DOMAIN_NAME,
  DOMAIN_VERSION,
  MAX_BITFIELD_BYTES,
  MAX_CERTIFICATES_PER_RANGE,
  MAX_GOSSIP_MESSAGE_BYTES,
  MAX_TABLE_BYTES,
  MAX_TABLE_FRAME_BYTES,
  MAX_VERIFIERS_PER_SET,
  UINT32_MAX,
  UINT64_MAX,
} from "./types.js";
