// Numbered key prefixes of the node database: one byte per repository, first
// byte of every key. A number is never reused; a retired bucket stays here, commented.

export enum Bucket {
  /** Schema version and node-wide singletons (string key → raw bytes). */
  meta = 0,
  /** Builder commitments: (stream, slot, builder, observationRoot) → SignedCommitment. */
  commitments = 1,
  /** This node's own observation per (stream, slot), with the checkers that ran and the decision. */
  observations = 2,
  /** Raw table bytes (calldata / entries) by 32-byte digest. */
  tables = 3,
  /** Index for table retention: (stream, slot, digest) → empty. */
  tablesBySlot = 4,
  /** Reverse index for table retention: (digest, stream, slot) → empty. */
  tableRefs = 5,
  /** Verified attestations: (stream, slot, observationRoot, setId, verifierIndex) → Attestation. */
  attestations = 6,
  /** Best certificate per (stream, slot); kept forever. */
  certificates = 7,
  /** Slashing protection: (pubkey, chainId, verifyingContract, stream, slot) → status ‖ observationRoot. */
  slashingProtection = 8,
  /** Known peers: peer id (utf8) → multiaddrs and last-seen time. */
  peers = 9,
  /** Equivocation evidence: (stream, slot, kind, offender) → evidence. */
  evidence = 10,
  /** Anchoring receipts of this node: (stream, slot) → JSON {txHash, blockNumber, gasUsed, outcome}. */
  anchorReceipts = 11,
  /** Anchoring queue: (stream, slot, observationRoot) → Certificate, until anchored or past the horizon. */
  anchorQueue = 12,
}

/** Bucket numbers are one byte on disk. */
export const MAX_BUCKET = 0xff;
