// Core protocol types (docs/spec.md §3). Bytes are Uint8Array internally; the JSON
// forms (0x-hex, decimal strings) are converted in json.ts.

/** EIP-712 domain: {name:"ocp", version:"1", chainId, verifyingContract}. */
export interface Domain {
  chainId: number;
  /** 20-byte anchor contract address. */
  verifyingContract: Uint8Array;
}

export interface Observation {
  /** keccak256(abi.encode(uint256 l1ChainId, address tableContract)), 32 bytes. */
  stream: Uint8Array;
  slot: bigint;
  l1BlockNumber: bigint;
  l1BlockHash: Uint8Array;
  /** keccak256(utf8(schemaName)), 32 bytes. */
  schema: Uint8Array;
  tableDigest: Uint8Array;
  /** uint32 */
  entryCount: number;
}

export interface Commitment {
  observation: Observation;
  /** 20-byte builder address. */
  builder: Uint8Array;
}

export interface SignedCommitment {
  domain: Domain;
  commitment: Commitment;
  /** 65 bytes r‖s‖v, low-s. */
  signature: Uint8Array;
}

export interface Attestation {
  domain: Domain;
  observation: Observation;
  setId: Uint8Array;
  /** Index of the verifier in the governing set (uint32). */
  verifierIndex: number;
  /** 96-byte compressed G2 BLS signature over observationRoot. */
  signature: Uint8Array;
}

export interface Certificate {
  domain: Domain;
  observation: Observation;
  setId: Uint8Array;
  /** Signer bitfield, exactly ceil(n/8) bytes, unused high bits zero. */
  signers: Uint8Array;
  /** 96-byte compressed G2 aggregate signature. */
  aggregateSignature: Uint8Array;
}

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

export interface BuilderEquivocation {
  a: SignedCommitment;
  b: SignedCommitment;
}

export interface VerifierEquivocation {
  a: Attestation;
  b: Attestation;
}

/** The EIP-712 domain name and version are fixed for the protocol. */
export const DOMAIN_NAME = "ocp";
export const DOMAIN_VERSION = "1";

/** Limits of docs/spec.md §5. */
export const MAX_VERIFIERS_PER_SET = 4096;
export const MAX_BITFIELD_BYTES = MAX_VERIFIERS_PER_SET / 8;
export const MAX_GOSSIP_MESSAGE_BYTES = 4 * 1024;
export const MAX_TABLE_BYTES = 16 * 1024 * 1024;
export const MAX_TABLE_FRAME_BYTES = 1024 * 1024;
export const MAX_CERTIFICATES_PER_RANGE = 64;

export const UINT64_MAX = (1n << 64n) - 1n;
export const UINT32_MAX = 0xffff_ffff;
