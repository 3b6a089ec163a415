// Pure-JS BLS backend on @noble/curves: portable fallback and test oracle for
// blst. 20–30× slower than blst, so the node never uses it on hot paths.
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { isProtocolError } from "../errors.js";
import { toHex } from "../hex.js";
import {
  BLS_POP_DST,
  BLS_PUBKEY_LENGTH,
  BLS_SECRET_KEY_LENGTH,
  BLS_SIG_DST,
  BLS_SIGNATURE_LENGTH,
  type BlsBackend,
  BlsErrorCode,
  type BlsPublicKey,
  type BlsSecretKey,
  type BlsSignature,
  type BlsSignatureSet,
  blsError,
  precheckCompressed,
} from "./interface.js";

const G1 = bls12_381.G1.Point;
const G2 = bls12_381.G2.Point;
type G1Point = InstanceType<typeof G1>;
type G2Point = InstanceType<typeof G2>;
const Fp12 = bls12_381.fields.Fp12;
const R = bls12_381.fields.Fr.ORDER;
const sigs = bls12_381.longSignatures;

class NobleSecretKey {
  constructor(readonly scalar: bigint) {}
}

function bytesToBigint(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}

function bigintTo32(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** HKDF_mod_r of EIP-2333 (= IETF BLS KeyGen): re-salt until the key is non-zero. */
export function hkdfModR(ikm: Uint8Array, keyInfo: Uint8Array = new Uint8Array(0)): bigint {
  if (!(ikm instanceof Uint8Array) || ikm.length < 32) {
    throw blsError(BlsErrorCode.INVALID_SECRET_KEY, "IKM must be at least 32 bytes");
  }
  const L = 48;
  const ikmZero = new Uint8Array(ikm.length + 1);
  ikmZero.set(ikm);
  const info = new Uint8Array(keyInfo.length + 2);
  info.set(keyInfo);
  info[keyInfo.length + 1] = L;
  let salt: Uint8Array = utf8ToBytes("BLS-SIG-KEYGEN-SALT-");
  for (;;) {
    salt = sha256(salt);
    const sk = bytesToBigint(hkdf(sha256, ikmZero, salt, info, L)) % R;
    if (sk !== 0n) return sk;
  }
}

function sk(handle: BlsSecretKey): NobleSecretKey {
  if (!(handle instanceof NobleSecretKey)) throw blsError(BlsErrorCode.WRONG_BACKEND, "secret key");
  return handle;
}
function pk(handle: BlsPublicKey): G1Point {
  if (!(handle instanceof G1)) throw blsError(BlsErrorCode.WRONG_BACKEND, "public key");
  return handle as unknown as G1Point;
}
function sig(handle: BlsSignature): G2Point {
  if (!(handle instanceof G2)) throw blsError(BlsErrorCode.WRONG_BACKEND, "signature");
  return handle as unknown as G2Point;
}

function decodeError(e: unknown, what: string): Error {
  if (isProtocolError(e)) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (msg.includes("subgroup")) return blsError(BlsErrorCode.NOT_IN_SUBGROUP, what);
  return blsError(BlsErrorCode.INVALID_ENCODING, `${what}: ${msg}`);
}

function decodeG1(bytes: Uint8Array): G1Point {
  precheckCompressed(bytes, BLS_PUBKEY_LENGTH, "public key");
  let p: G1Point;
  try {
    p = G1.fromBytes(bytes);
  } catch (e) {
    throw decodeError(e, "public key");
  }
  if (p.is0()) throw blsError(BlsErrorCode.INFINITY, "public key");
  return p;
}

function decodeG2(bytes: Uint8Array): G2Point {
  precheckCompressed(bytes, BLS_SIGNATURE_LENGTH, "signature");
  let p: G2Point;
  try {
    p = sigs.Signature.fromBytes(bytes);
  } catch (e) {
    throw decodeError(e, "signature");
  }
  if (p.is0()) throw blsError(BlsErrorCode.INFINITY, "signature");
  return p;
}

/** Non-zero 64-bit scalar: enough to make a forged batch pass with probability 2^-64. */
function randomScalar(): bigint {
  for (;;) {
    const s = bytesToBigint(randomBytes(8));
    if (s !== 0n) return s;
  }
}

/** Π e(Pᵢ, Qᵢ) == 1, false on any arithmetic error. */
function pairingProductIsOne(pairs: { g1: G1Point; g2: G2Point }[]): boolean {
  try {
    return Fp12.eql(bls12_381.pairingBatch(pairs), Fp12.ONE);
  } catch {
    return false;
  }
}

function hashToG2(message: Uint8Array, dst: string): G2Point {
  return sigs.hash(message, dst) as G2Point;
}

function sumG1(points: readonly G1Point[]): G1Point {
  let acc = G1.ZERO;
  for (const p of points) acc = acc.add(p);
  return acc;
}

function verifyPoints(pubkey: G1Point, message: G2Point, signature: G2Point): boolean {
  if (pubkey.is0() || signature.is0()) return false;
  // e(P, H(m)) · e(−G, S) == 1
  return pairingProductIsOne([
    { g1: pubkey, g2: message },
    { g1: G1.BASE.negate(), g2: signature },
  ]);
}

/**
 * Σᵢ rᵢ·Sᵢ checked against Π e(rᵢ·Pᵢ, Hᵢ): one shared final exponentiation.
 * Returns false if any signature fails to decode.
 */
function verifyRandomized(items: { pubkey: G1Point; message: G2Point; signature: Uint8Array }[]): boolean {
  if (items.length === 0) return false;
  const pairs: { g1: G1Point; g2: G2Point }[] = [];
  let sigSum = G2.ZERO;
  for (const it of items) {
    let s: G2Point;
    try {
      s = decodeG2(it.signature);
    } catch {
      return false;
    }
    if (it.pubkey.is0()) return false;
    const r = randomScalar();
    pairs.push({ g1: it.pubkey.multiply(r), g2: it.message });
    sigSum = sigSum.add(s.multiply(r));
  }
  if (sigSum.is0()) return false;
  pairs.push({ g1: G1.BASE.negate(), g2: sigSum });
  return pairingProductIsOne(pairs);
}

export const nobleBls: BlsBackend = {
  name: "noble",

  keygen(ikm, keyInfo) {
    return new NobleSecretKey(hkdfModR(ikm, keyInfo)) as unknown as BlsSecretKey;
  },
  secretKeyFromBytes(bytes) {
    if (!(bytes instanceof Uint8Array) || bytes.length !== BLS_SECRET_KEY_LENGTH) {
      throw blsError(BlsErrorCode.INVALID_SECRET_KEY, "secret key must be 32 bytes");
    }
    const v = bytesToBigint(bytes);
    if (v === 0n || v >= R) throw blsError(BlsErrorCode.INVALID_SECRET_KEY, "secret key out of range");
    return new NobleSecretKey(v) as unknown as BlsSecretKey;
  },
  secretKeyToBytes(handle) {
    return bigintTo32(sk(handle).scalar);
  },
  publicKey(handle) {
    return G1.BASE.multiply(sk(handle).scalar) as unknown as BlsPublicKey;
  },
  sign(handle, message) {
    return hashToG2(message, BLS_SIG_DST).multiply(sk(handle).scalar).toBytes(true);
  },

  publicKeyFromBytes(bytes) {
    return decodeG1(bytes) as unknown as BlsPublicKey;
  },
  publicKeyToBytes(handle) {
    return pk(handle).toBytes(true);
  },
  signatureFromBytes(bytes) {
    return decodeG2(bytes) as unknown as BlsSignature;
  },
  signatureToBytes(handle) {
    return sig(handle).toBytes(true);
  },

  aggregatePublicKeys(pks) {
    if (pks.length === 0) throw blsError(BlsErrorCode.EMPTY_INPUT, "no public keys");
    const agg = sumG1(pks.map(pk));
    if (agg.is0()) throw blsError(BlsErrorCode.INFINITY, "aggregate public key");
    return agg as unknown as BlsPublicKey;
  },
  aggregateSignatures(list) {
    if (list.length === 0) throw blsError(BlsErrorCode.EMPTY_INPUT, "no signatures");
    let acc = G2.ZERO;
    for (const s of list) acc = acc.add(sig(s));
    if (acc.is0()) throw blsError(BlsErrorCode.INFINITY, "aggregate signature");
    return acc as unknown as BlsSignature;
  },

  aggregateVerifiedSignatureBytes(list) {
    // noble is the fallback and the oracle: it keeps the full per-signature checks.
    return nobleBls.aggregateSignatures(list.map(decodeG2) as unknown as BlsSignature[]);
  },

  verify(pubkey, message, signature) {
    try {
      return verifyPoints(pk(pubkey), hashToG2(message, BLS_SIG_DST), sig(signature));
    } catch {
      return false;
    }
  },
  fastAggregateVerify(pks, message, signature) {
    try {
      if (pks.length === 0) return false;
      return verifyPoints(sumG1(pks.map(pk)), hashToG2(message, BLS_SIG_DST), sig(signature));
    } catch {
      return false;
    }
  },
  verifyBatch(sets: readonly BlsSignatureSet[]) {
    try {
      // Hash each distinct message once.
      const hashed = new Map<string, G2Point>();
      const items = sets.map((s) => {
        if (s.pubkeys.length === 0) throw new Error("empty set");
        const key = toHex(s.message);
        let h = hashed.get(key);
        if (h === undefined) {
          h = hashToG2(s.message, BLS_SIG_DST);
          hashed.set(key, h);
        }
        return { pubkey: sumG1(s.pubkeys.map(pk)), message: h, signature: s.signature };
      });
      return verifyRandomized(items);
    } catch {
      return false;
    }
  },

  popProve(handle) {
    const { scalar } = sk(handle);
    const pubkey = G1.BASE.multiply(scalar).toBytes(true);
    return hashToG2(pubkey, BLS_POP_DST).multiply(scalar).toBytes(true);
  },
  popVerify(pubkey, pop) {
    try {
      const p = pk(pubkey);
      return verifyPoints(p, hashToG2(p.toBytes(true), BLS_POP_DST), decodeG2(pop));
    } catch {
      return false;
    }
  },
  popVerifyBatch(items) {
    try {
      return verifyRandomized(
        items.map((it) => {
          const p = pk(it.pubkey);
          return { pubkey: p, message: hashToG2(p.toBytes(true), BLS_POP_DST), signature: it.pop };
        }),
      );
    } catch {
      return false;
    }
  },
};
