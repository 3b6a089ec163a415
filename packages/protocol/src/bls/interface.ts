// One BLS12-381 interface (min-pk, proof-of-possession ciphersuite) with two
// backends: native blst for the node and noble-curves as portable fallback/oracle.
import { ProtocolError } from "../errors.js";

/** Ciphersuite of every verifier signature (docs/spec.md §3). */
export const BLS_SIG_DST = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
/** Ciphersuite of proofs of possession, signed over the 48-byte pubkey. */
export const BLS_POP_DST = "BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

export const BLS_SECRET_KEY_LENGTH = 32;
export const BLS_PUBKEY_LENGTH = 48;
export const BLS_SIGNATURE_LENGTH = 96;

export enum BlsErrorCode {
  /** Wrong byte length for the object. */
  INVALID_LENGTH = "BLS_ERROR_INVALID_LENGTH",
  /** Bad flag bits, x not in the field, or x not on the curve. */
  INVALID_ENCODING = "BLS_ERROR_INVALID_ENCODING",
  /** The point at infinity (never a valid key or signature here). */
  INFINITY = "BLS_ERROR_INFINITY",
  /** On the curve but outside the prime-order subgroup. */
  NOT_IN_SUBGROUP = "BLS_ERROR_NOT_IN_SUBGROUP",
  /** Secret key is zero, ≥ r, or not 32 bytes; IKM shorter than 32 bytes. */
  INVALID_SECRET_KEY = "BLS_ERROR_INVALID_SECRET_KEY",
  /** Aggregation of nothing. */
  EMPTY_INPUT = "BLS_ERROR_EMPTY_INPUT",
  /** A key or signature handle decoded by the other backend. */
  WRONG_BACKEND = "BLS_ERROR_WRONG_BACKEND",
}

export type BlsError = ProtocolError<BlsErrorCode>;

export function blsError(code: BlsErrorCode, detail?: string): BlsError {
  return new ProtocolError(code, detail);
}

declare const secretKeyBrand: unique symbol;
declare const publicKeyBrand: unique symbol;
declare const signatureBrand: unique symbol;

/** Opaque secret key handle of one backend. */
export interface BlsSecretKey {
  readonly [secretKeyBrand]: true;
}
/**
 * Opaque, already decoded and validated G1 public key of one backend (not
 * infinity, in the subgroup). Keep these instead of bytes so hot paths never
 * decompress a key twice.
 */
export interface BlsPublicKey {
  readonly [publicKeyBrand]: true;
}
/** Opaque, already decoded and validated G2 signature of one backend. */
export interface BlsSignature {
  readonly [signatureBrand]: true;
}

/**
 * A signature set as plain data (Lodestar's ISignatureSet): the signature
 * verifies over `message` under the sum of `pubkeys`. The signature stays
 * bytes so the verifier decides when to decode it.
 */
export interface BlsSignatureSet {
  pubkeys: readonly BlsPublicKey[];
  message: Uint8Array;
  signature: Uint8Array;
}

/**
 * Everything the protocol needs from BLS. Decoding and key functions throw
 * only `ProtocolError<BlsErrorCode>`; `verify*` functions return false for
 * any invalid input instead of throwing.
 */
export interface BlsBackend {
  readonly name: "blst" | "noble";

  /** EIP-2333 / IETF KeyGen (HKDF_mod_r) from ≥ 32 bytes of IKM. */
  keygen(ikm: Uint8Array, keyInfo?: Uint8Array): BlsSecretKey;
  /** 32-byte big-endian scalar in [1, r). */
  secretKeyFromBytes(bytes: Uint8Array): BlsSecretKey;
  secretKeyToBytes(sk: BlsSecretKey): Uint8Array;
  publicKey(sk: BlsSecretKey): BlsPublicKey;
  /** 96-byte compressed signature over `message` with {@link BLS_SIG_DST}. */
  sign(sk: BlsSecretKey, message: Uint8Array): Uint8Array;

  /** Decodes a 48-byte compressed key; rejects infinity and non-subgroup points. */
  publicKeyFromBytes(bytes: Uint8Array): BlsPublicKey;
  publicKeyToBytes(pk: BlsPublicKey): Uint8Array;
  /** Decodes a 96-byte compressed signature; rejects infinity and non-subgroup points. */
  signatureFromBytes(bytes: Uint8Array): BlsSignature;
  signatureToBytes(sig: BlsSignature): Uint8Array;

  aggregatePublicKeys(pks: readonly BlsPublicKey[]): BlsPublicKey;
  aggregateSignatures(sigs: readonly BlsSignature[]): BlsSignature;
  /**
   * Sums compressed signatures that were each verified before (a node's vote
   * pool): decompressed without a subgroup check per signature; the sum is
   * checked once (not infinity, in the subgroup). Not for unverified input.
   */
  aggregateVerifiedSignatureBytes(sigs: readonly Uint8Array[]): BlsSignature;

  verify(pk: BlsPublicKey, message: Uint8Array, sig: BlsSignature): boolean;
  /** Same-message aggregate verification; sound only for PoP-checked keys. */
  fastAggregateVerify(pks: readonly BlsPublicKey[], message: Uint8Array, sig: BlsSignature): boolean;
  /**
   * Randomized batch verification: true iff (with overwhelming probability)
   * every set verifies. False for an empty list or an undecodable signature.
   */
  verifyBatch(sets: readonly BlsSignatureSet[]): boolean;

  /** Proof of possession: a {@link BLS_POP_DST} signature over the 48-byte pubkey. */
  popProve(sk: BlsSecretKey): Uint8Array;
  popVerify(pk: BlsPublicKey, pop: Uint8Array): boolean;
  /** Verifies many proofs at once with random scalars (one final exponentiation). */
  popVerifyBatch(items: readonly { pubkey: BlsPublicKey; pop: Uint8Array }[]): boolean;
}

/** Checks the 48/96-byte length before any decoding. */
export function assertLength(bytes: unknown, length: number, what: string): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
    throw blsError(BlsErrorCode.INVALID_LENGTH, `${what} must be ${length} bytes`);
  }
}

/** The compressed encoding of infinity: flags 0b110, then zeros. */
export function isCompressedInfinity(bytes: Uint8Array): boolean {
  if (bytes[0] !== 0xc0) return false;
  for (let i = 1; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/**
 * Checks shared by both backends before decoding a compressed point: exact
 * length, infinity (typed apart from other failures), compression flag set.
 */
export function precheckCompressed(
  bytes: unknown,
  length: number,
  what: string,
): asserts bytes is Uint8Array {
  assertLength(bytes, length, what);
  if (isCompressedInfinity(bytes)) throw blsError(BlsErrorCode.INFINITY, what);
  if ((bytes[0]! & 0x80) === 0) throw blsError(BlsErrorCode.INVALID_ENCODING, `${what} not compressed`);
}
