// Core protocol types (docs/spec.md §3). The wire types are the value types of
// their SSZ definitions (ssz/types.ts), declared once there; bytes are
// Uint8Array internally, and the JSON forms (0x-hex, decimal strings) are
// converted in json.ts.

export type {
  Attestation,
  BuilderEquivocation,
  Certificate,
  Commitment,
  Domain,
  Observation,
  SignedCommitment,
  VerifierEquivocation,
} from "./ssz/types.js";

export interface VerifierEntry {
  /** 48-byte compressed G1 public key. */
  pubkey: Uint8Array;
  weight: bigint;
  /** 96-byte proof of possession. */
  pop: Uint8Array;
}

export interface Quorum {
  numerator: number;
  denominator: number;
}

/** A verifier set as written in its JSON form (not yet validated). */
export interface VerifierSetData {
  epoch: bigint;
  activationSlot: bigint;
  quorum: Quorum;
  verifiers: VerifierEntry[];
}

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
} from "./limits.js";
