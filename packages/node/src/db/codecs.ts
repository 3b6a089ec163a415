// Value codecs of the node database: the protocol's SSZ encodings for protocol
// objects (compact, and the same bytes as the wire), JSON for node-local records.
import {
  type Attestation,
  type Certificate,
  decodeAttestationSsz,
  decodeCertificateSsz,
  decodeEvidenceSsz,
  decodeSignedCommitmentSsz,
  encodeAttestationSsz,
  encodeCertificateSsz,
  encodeEvidenceSsz,
  encodeSignedCommitmentSsz,
  type SignedCommitment,
  type SszEvidence,
} from "@ocp/protocol";
import type { Codec } from "./repository.js";

export const signedCommitmentCodec: Codec<SignedCommitment> = {
  encode: encodeSignedCommitmentSsz,
  decode: decodeSignedCommitmentSsz,
};

export const attestationCodec: Codec<Attestation> = {
  encode: encodeAttestationSsz,
  decode: decodeAttestationSsz,
};

export const certificateCodec: Codec<Certificate> = {
  encode: encodeCertificateSsz,
  decode: decodeCertificateSsz,
};

export const evidenceCodec: Codec<SszEvidence> = {
  encode: encodeEvidenceSsz,
  decode: decodeEvidenceSsz,
};

/** Values with no content (index entries). */
export const emptyCodec: Codec<null> = {
  encode: () => new Uint8Array(0),
  decode: () => null,
};
