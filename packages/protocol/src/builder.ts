// Builder signatures (docs/spec.md §3): secp256k1 over commitmentRoot, 65 bytes
// r‖s‖v, low-s only; a builder is identified by its Ethereum address.
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { commitmentRoot } from "./eip712.js";
import { ProtocolError, type Result } from "./errors.js";
import { bytesEqual, concatBytes, toHex } from "./hex.js";
import type { Commitment, Domain, SignedCommitment } from "./types.js";
import { isWellFormedSignedCommitment } from "./wellformed.js";

export enum BuilderSigErrorCode {
  /** Signature is not exactly 65 bytes. */
  WRONG_LENGTH = "BUILDER_SIG_ERROR_WRONG_LENGTH",
  /** v is not 27 or 28. */
  BAD_V = "BUILDER_SIG_ERROR_BAD_V",
  /** r or s is zero or not below the curve order n. */
  OUT_OF_RANGE = "BUILDER_SIG_ERROR_OUT_OF_RANGE",
  /** s > n/2: the malleable twin of a valid signature. */
  HIGH_S = "BUILDER_SIG_ERROR_HIGH_S",
  /** No public key recovers from (r, s, v) for this message. */
  UNRECOVERABLE = "BUILDER_SIG_ERROR_UNRECOVERABLE",
  /** Recovers to an address other than commitment.builder. */
  WRONG_BUILDER = "BUILDER_SIG_ERROR_WRONG_BUILDER",
  /** The domain or commitment has fields of the wrong type or length. */
  MALFORMED = "BUILDER_SIG_ERROR_MALFORMED",
  /** signCommitment: the private key is not a valid secp256k1 scalar. */
  INVALID_PRIVATE_KEY = "BUILDER_SIG_ERROR_INVALID_PRIVATE_KEY",
}

export const BUILDER_SIGNATURE_BYTES = 65;
const N = secp256k1.Point.Fn.ORDER;
const HALF_N = N >> 1n;

function bytesToBigInt(b: Uint8Array): bigint {
  let n = 0n;
  for (const x of b) n = (n << 8n) | BigInt(x);
  return n;
}

/** Ethereum address: the last 20 bytes of keccak256 of the uncompressed key without its 0x04 prefix. */
function addressFromPublicKey(uncompressed: Uint8Array): Uint8Array {
  return keccak_256(uncompressed.subarray(1)).slice(12);
}

/** The 20-byte address of a 32-byte secp256k1 private key. */
export function addressFromPrivateKey(privateKey: Uint8Array): Uint8Array {
  if (!(privateKey instanceof Uint8Array) || !secp256k1.utils.isValidSecretKey(privateKey)) {
    throw new ProtocolError(BuilderSigErrorCode.INVALID_PRIVATE_KEY, "expected a 32-byte scalar in [1, n-1]");
  }
  return addressFromPublicKey(secp256k1.getPublicKey(privateKey, false));
}

/**
 * Signs commitmentRoot(domain, commitment). Deterministic (RFC 6979) and low-s,
 * so the bytes equal what Ethereum wallets produce for the same typed data.
 * v follows Ethereum's convention: 27 + recovery bit (0/1); recovery ids 2/3
 * (r ≥ n, probability ~2^-128) cannot be expressed and never occur in practice.
 */
export function signCommitment(
  domain: Domain,
  commitment: Commitment,
  privateKey: Uint8Array,
): SignedCommitment {
  if (!(privateKey instanceof Uint8Array) || !secp256k1.utils.isValidSecretKey(privateKey)) {
    throw new ProtocolError(BuilderSigErrorCode.INVALID_PRIVATE_KEY, "expected a 32-byte scalar in [1, n-1]");
  }
  const root = commitmentRoot(domain, commitment);
  // noble's "recovered" format is recovery‖r‖s; reorder to Ethereum's r‖s‖v.
  const rec = secp256k1.sign(root, privateKey, { prehash: false, lowS: true, format: "recovered" });
  const signature = concatBytes(rec.subarray(1, 65), Uint8Array.of(27 + rec[0]!));
  return { domain, commitment, signature };
}

interface CanonicalSignature {
  r: bigint;
  s: bigint;
  /** Recovery bit: parity of R's y (v − 27). */
  recovery: number;
  root: Uint8Array;
}

/** The signature's parts after every canonical-encoding check, or the failing check's code. */
function canonicalSignature(signed: SignedCommitment): Result<CanonicalSignature, BuilderSigErrorCode> {
  if (!isWellFormedSignedCommitment(signed)) return { ok: false, code: BuilderSigErrorCode.MALFORMED };
  const sig = signed.signature;
  if (sig.length !== BUILDER_SIGNATURE_BYTES) {
    return { ok: false, code: BuilderSigErrorCode.WRONG_LENGTH, detail: "expected 65 bytes r‖s‖v" };
  }
  const v = sig[64]!;
  // [REJECT] only Ethereum's 27/28; 0/1 and EIP-155 values are other encodings of the same signature
  if (v !== 27 && v !== 28) return { ok: false, code: BuilderSigErrorCode.BAD_V, detail: `v = ${v}` };
  const r = bytesToBigInt(sig.subarray(0, 32));
  const s = bytesToBigInt(sig.subarray(32, 64));
  if (r === 0n || r >= N || s === 0n || s >= N) return { ok: false, code: BuilderSigErrorCode.OUT_OF_RANGE };
  // [REJECT] high s: (r, n - s, v ^ 1) is the same signature, so only the low half is canonical
  if (s > HALF_N) return { ok: false, code: BuilderSigErrorCode.HIGH_S };
  return {
    ok: true,
    value: { r, s, recovery: v - 27, root: commitmentRoot(signed.domain, signed.commitment) },
  };
}

/**
 * The address that signed `signed.commitment` under `signed.domain`. Rejects
 * every non-canonical encoding: wrong length, v ∉ {27, 28}, r or s outside
 * [1, n-1], and high s (s > n/2). Never throws.
 */
export function recoverBuilder(signed: SignedCommitment): Result<Uint8Array, BuilderSigErrorCode> {
  const rec = recoverBuilderKey(signed);
  return rec.ok ? { ok: true, value: rec.value.address } : rec;
}

/** recoverBuilder, also returning the recovered uncompressed public key. */
function recoverBuilderKey(
  signed: SignedCommitment,
): Result<{ address: Uint8Array; key: Uint8Array }, BuilderSigErrorCode> {
  try {
    const c = canonicalSignature(signed);
    if (!c.ok) return c;
    const { r, s, recovery, root } = c.value;
    let key: Uint8Array;
    try {
      key = new secp256k1.Signature(r, s, recovery).recoverPublicKey(root).toBytes(false);
    } catch {
      return { ok: false, code: BuilderSigErrorCode.UNRECOVERABLE };
    }
    return { ok: true, value: { address: addressFromPublicKey(key), key } };
  } catch (e) {
    return { ok: false, code: BuilderSigErrorCode.MALFORMED, detail: String(e) };
  }
}

/** Checks the signature is canonical and recovers to `signed.commitment.builder`; returns that address. */
export function verifySignedCommitment(signed: SignedCommitment): Result<Uint8Array, BuilderSigErrorCode> {
  const rec = recoverBuilder(signed);
  if (!rec.ok) return rec;
  // [REJECT] the signer must be the builder the commitment names
  if (!bytesEqual(rec.value, signed.commitment.builder)) {
    return { ok: false, code: BuilderSigErrorCode.WRONG_BUILDER };
  }
  return rec;
}

type SecpPoint = InstanceType<typeof secp256k1.Point>;

/**
 * `verifySignedCommitment` that remembers builders' public keys: a builder's
 * first commitment recovers its key (the full check); later ones only check
 * that (r, s, v) recovers to that key, i.e. R = s⁻¹·(z·G + r·Q) has x = r and
 * y parity v − 27, with Q's multiples precomputed (about 2.5× cheaper). It
 * gives verifySignedCommitment's answer for every input.
 */
export class BuilderSignatureVerifier {
  private readonly keys = new Map<string, SecpPoint>();

  /** @param maxBuilders keys remembered (oldest forgotten first) */
  constructor(private readonly maxBuilders = 64) {}

  verify(signed: SignedCommitment): Result<Uint8Array, BuilderSigErrorCode> {
    const known = isWellFormedSignedCommitment(signed)
      ? this.keys.get(toHex(signed.commitment.builder))
      : undefined;
    if (known !== undefined) {
      const c = canonicalSignature(signed);
      if (!c.ok) return c;
      if (recoversTo(known, c.value)) return { ok: true, value: signed.commitment.builder };
      // Not the known key's signature: the full path names the failure.
    }
    const rec = recoverBuilderKey(signed);
    if (!rec.ok) return rec;
    // [REJECT] the signer must be the builder the commitment names
    if (!bytesEqual(rec.value.address, signed.commitment.builder)) {
      return { ok: false, code: BuilderSigErrorCode.WRONG_BUILDER };
    }
    this.remember(toHex(rec.value.address), rec.value.key);
    return { ok: true, value: rec.value.address };
  }

  private remember(address: string, key: Uint8Array): void {
    if (this.keys.has(address)) return;
    // A window of 4 bits: 65 × 8 multiples of Q, a few tens of KiB per builder.
    this.keys.set(address, secp256k1.Point.fromBytes(key).precompute(4, false));
    while (this.keys.size > this.maxBuilders) this.keys.delete(this.keys.keys().next().value!);
  }
}

/** True iff recovering (r, s, recovery) over root gives exactly Q. */
function recoversTo(Q: SecpPoint, c: CanonicalSignature): boolean {
  const Fn = secp256k1.Point.Fn;
  const sInv = Fn.inv(c.s);
  const z = Fn.create(bytesToBigInt(c.root));
  const R = secp256k1.Point.BASE.multiplyUnsafe(Fn.mul(z, sInv)).add(Q.multiplyUnsafe(Fn.mul(c.r, sInv)));
  if (R.is0()) return false;
  const { x, y } = R.toAffine();
  // recovery ids 0/1 put R's x at r itself (not r + n)
  return x === c.r && Number(y & 1n) === c.recovery;
}
