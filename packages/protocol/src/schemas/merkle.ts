// Table schema `ocp.merkle.v1` (docs/spec.md §4): opaque entries, keccak256 leaves,
// a binary keccak256 Merkle root with inclusion proofs.
//
// node = keccak256(left ‖ right); at each level an odd last node is promoted
// unchanged. The root of an empty table is 32 zero bytes; of one entry, its leaf.
// Leaves and inner nodes share one hash, so a proof is only meaningful against
// a known leaf count: verifiers take it from the attested `entryCount`, which
// fixes the tree's shape (and rules out passing an inner node off as a leaf).
import { keccak_256 } from "@noble/hashes/sha3.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import { ProtocolError } from "../errors.js";
import { TableErrorCode } from "./abi.js";

export const MERKLE_SCHEMA_NAME = "ocp.merkle.v1";
/** Schema id: keccak256(utf8("ocp.merkle.v1")). */
export const SCHEMA_MERKLE_V1: Uint8Array = keccak_256(utf8ToBytes(MERKLE_SCHEMA_NAME));

/** Root of an empty table. */
export const MERKLE_EMPTY_ROOT: Uint8Array = new Uint8Array(32);

export interface MerkleProof {
  /** Position of the entry in the table. */
  index: number;
  /** Sibling hashes from the leaf level up; promoted levels contribute none. */
  siblings: Uint8Array[];
}

export function merkleLeaf(entry: Uint8Array): Uint8Array {
  return keccak_256(entry);
}

function hashPair(buf: Uint8Array, a: Uint8Array, b: Uint8Array): Uint8Array {
  buf.set(a, 0);
  buf.set(b, 32);
  return keccak_256(buf);
}

function nextLevel(level: Uint8Array[], buf: Uint8Array): Uint8Array[] {
  const next: Uint8Array[] = [];
  for (let i = 0; i + 1 < level.length; i += 2) next.push(hashPair(buf, level[i]!, level[i + 1]!));
  if (level.length % 2 === 1) next.push(level[level.length - 1]!);
  return next;
}

export function merkleRootOfLeaves(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return MERKLE_EMPTY_ROOT.slice();
  const buf = new Uint8Array(64);
  let level = leaves.slice();
  while (level.length > 1) level = nextLevel(level, buf);
  return level[0]!.slice();
}

/** tableDigest of `ocp.merkle.v1`. */
export function merkleRoot(entries: readonly Uint8Array[]): Uint8Array {
  return merkleRootOfLeaves(entries.map(merkleLeaf));
}

export interface MerkleTableDigest {
  tableDigest: Uint8Array;
  entryCount: number;
}

export function merkleTableDigest(entries: readonly Uint8Array[]): MerkleTableDigest {
  return { tableDigest: merkleRoot(entries), entryCount: entries.length };
}

/** Inclusion proof of entry `index`; throws ProtocolError(BAD_PROOF) if out of range. */
export function merkleProof(entries: readonly Uint8Array[], index: number): MerkleProof {
  if (!Number.isInteger(index) || index < 0 || index >= entries.length) {
    throw new ProtocolError(TableErrorCode.BAD_PROOF, `index ${index} not in [0, ${entries.length})`);
  }
  const buf = new Uint8Array(64);
  let level = entries.map(merkleLeaf);
  let i = index;
  const siblings: Uint8Array[] = [];
  while (level.length > 1) {
    const sib = i ^ 1;
    if (sib < level.length) siblings.push(level[sib]!.slice());
    level = nextLevel(level, buf);
    i >>= 1;
  }
  return { index, siblings };
}

/**
 * Checks that `entry` is item `proof.index` of a table of `leafCount` entries
 * with Merkle root `root`. Never throws: malformed proofs return false.
 */
export function verifyMerkleProof(
  root: Uint8Array,
  leafCount: number,
  entry: Uint8Array,
  proof: MerkleProof,
): boolean {
  const { index, siblings } = proof;
  if (!Number.isSafeInteger(leafCount) || !Number.isSafeInteger(index)) return false;
  if (index < 0 || index >= leafCount || !Array.isArray(siblings) || root.length !== 32) return false;
  const buf = new Uint8Array(64);
  let node = merkleLeaf(entry);
  let i = index;
  let width = leafCount;
  let used = 0;
  while (width > 1) {
    const sib = i ^ 1;
    if (sib < width) {
      const s = siblings[used++];
      if (!(s instanceof Uint8Array) || s.length !== 32) return false;
      node = (i & 1) === 0 ? hashPair(buf, node, s) : hashPair(buf, s, node);
    }
    i = Math.floor(i / 2);
    width = Math.ceil(width / 2);
  }
  if (used !== siblings.length) return false;
  for (let j = 0; j < 32; j++) if (node[j] !== root[j]) return false;
  return true;
}
