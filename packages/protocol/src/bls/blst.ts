// Native BLS backend on @chainsafe/blst: the default for everything hot
// (attestation and certificate verification, batch verification).
import * as blst from "@chainsafe/blst";
import { ProtocolError } from "../errors.js";
import { toHex } from "../hex.js";
import {
  BLS_PUBKEY_LENGTH,
  BLS_SECRET_KEY_LENGTH,
  BLS_SIGNATURE_LENGTH,
  type BlsBackend,
  BlsErrorCode,
  type BlsPublicKey,
  type BlsSecretKey,
  type BlsSignature,
  blsError,
  precheckCompressed,
} from "./interface.js";
import { nobleBls } from "./noble.js";

function mapBlstError(e: unknown, what: string): ProtocolError {
  if (e instanceof ProtocolError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  switch (code) {
    case "BLST_PK_IS_INFINITY":
      return blsError(BlsErrorCode.INFINITY, what);
    case "BLST_POINT_NOT_IN_GROUP":
      return blsError(BlsErrorCode.NOT_IN_SUBGROUP, what);
    default:
      return blsError(BlsErrorCode.INVALID_ENCODING, `${what}: ${String(code ?? e)}`);
  }
}

function sk(handle: BlsSecretKey): blst.SecretKey {
  if (!(handle instanceof blst.SecretKey)) throw blsError(BlsErrorCode.WRONG_BACKEND, "secret key");
  return handle;
}
function pk(handle: BlsPublicKey): blst.PublicKey {
  if (!(handle instanceof blst.PublicKey)) throw blsError(BlsErrorCode.WRONG_BACKEND, "public key");
  return handle;
}
function sig(handle: BlsSignature): blst.Signature {
  if (!(handle instanceof blst.Signature)) throw blsError(BlsErrorCode.WRONG_BACKEND, "signature");
  return handle;
}
function pkList(pks: readonly BlsPublicKey[]): blst.PublicKey[] {
  const out = new Array<blst.PublicKey>(pks.length);
  for (let i = 0; i < pks.length; i++) out[i] = pk(pks[i]!);
  return out;
}

const asPk = (p: blst.PublicKey): BlsPublicKey => p as unknown as BlsPublicKey;
const asSig = (s: blst.Signature): BlsSignature => s as unknown as BlsSignature;
const asSk = (s: blst.SecretKey): BlsSecretKey => s as unknown as BlsSecretKey;

/** Validated decode (infinity + subgroup check) of a 96-byte signature. */
function decodeSignature(bytes: Uint8Array): blst.Signature {
  precheckCompressed(bytes, BLS_SIGNATURE_LENGTH, "signature");
  try {
    return blst.Signature.fromBytes(bytes, true);
  } catch (e) {
    throw mapBlstError(e, "signature");
  }
}

/**
 * Decompressed signature points of recent votes, by their bytes. A vote's
 * signature is decompressed (a square root in Fp2, ~0.04 ms) once: for its
 * gossip check, which then takes the uncompressed form, and for the
 * certificates built or checked from it in the next seconds (the first at
 * quorum, heavier ones after). Two generations of at most
 * `POINT_MEMO_GENERATION` entries each: a full young generation becomes the
 * old one and the old one is dropped, so the memo holds at most twice that
 * (~1.5 MB) whatever arrives. Decompression checks nothing beyond the
 * encoding: callers still check the subgroup (the gossip check per
 * signature, a certificate's sum once).
 */
const POINT_MEMO_GENERATION = 1024;
let youngPoints = new Map<string, blst.Signature>();
let oldPoints = new Map<string, blst.Signature>();

/** The signature's point, decompressed without a subgroup check (memoised). */
function decompress(bytes: Uint8Array): blst.Signature {
  const key = toHex(bytes);
  const hit = youngPoints.get(key) ?? oldPoints.get(key);
  if (hit !== undefined) return hit;
  precheckCompressed(bytes, BLS_SIGNATURE_LENGTH, "signature");
  const point = blst.Signature.fromBytes(bytes, false);
  if (youngPoints.size >= POINT_MEMO_GENERATION) {
    oldPoints = youngPoints;
    youngPoints = new Map();
  }
  youngPoints.set(key, point);
  return point;
}

/**
 * The 192-byte uncompressed form of a 96-byte compressed signature, for
 * blst's batch entry points (which then skip the square root). Throws on a
 * bad encoding; nothing is said about the subgroup.
 */
export function uncompressedSignature(bytes: Uint8Array): Uint8Array {
  try {
    return decompress(bytes).toBytes(false);
  } catch (e) {
    throw mapBlstError(e, "signature");
  }
}

// blst's JS binding hard-codes the signature DST and exposes no hash-to-curve
// or pairing, so proofs of possession (POP DST) go through noble. PoPs are
// checked once per key when a set is loaded, never on a hot path.
function toNobleSk(handle: BlsSecretKey): BlsSecretKey {
  return nobleBls.secretKeyFromBytes(sk(handle).toBytes());
}
function toNoblePk(handle: BlsPublicKey): BlsPublicKey {
  return nobleBls.publicKeyFromBytes(pk(handle).toBytes(true));
}

export const blstBls: BlsBackend = {
  name: "blst",

  keygen(ikm, keyInfo) {
    if (!(ikm instanceof Uint8Array) || ikm.length < 32) {
      throw blsError(BlsErrorCode.INVALID_SECRET_KEY, "IKM must be at least 32 bytes");
    }
    return asSk(blst.SecretKey.fromKeygen(ikm, keyInfo));
  },
  secretKeyFromBytes(bytes) {
    if (!(bytes instanceof Uint8Array) || bytes.length !== BLS_SECRET_KEY_LENGTH) {
      throw blsError(BlsErrorCode.INVALID_SECRET_KEY, "secret key must be 32 bytes");
    }
    try {
      return asSk(blst.SecretKey.fromBytes(bytes));
    } catch {
      throw blsError(BlsErrorCode.INVALID_SECRET_KEY, "secret key out of range");
    }
  },
  secretKeyToBytes(handle) {
    return sk(handle).toBytes();
  },
  publicKey(handle) {
    return asPk(sk(handle).toPublicKey());
  },
  sign(handle, message) {
    return sk(handle).sign(message).toBytes(true);
  },

  publicKeyFromBytes(bytes) {
    precheckCompressed(bytes, BLS_PUBKEY_LENGTH, "public key");
    try {
      return asPk(blst.PublicKey.fromBytes(bytes, true));
    } catch (e) {
      throw mapBlstError(e, "public key");
    }
  },
  publicKeyToBytes(handle) {
    return pk(handle).toBytes(true);
  },
  signatureFromBytes(bytes) {
    return asSig(decodeSignature(bytes));
  },
  signatureToBytes(handle) {
    return sig(handle).toBytes(true);
  },

  aggregatePublicKeys(pks) {
    if (pks.length === 0) throw blsError(BlsErrorCode.EMPTY_INPUT, "no public keys");
    const agg = blst.aggregatePublicKeys(pkList(pks), false);
    // A sum can cancel to infinity (k and −k); such an aggregate verifies nothing.
    try {
      agg.keyValidate();
    } catch (e) {
      throw mapBlstError(e, "aggregate public key");
    }
    return asPk(agg);
  },
  aggregateSignatures(list) {
    if (list.length === 0) throw blsError(BlsErrorCode.EMPTY_INPUT, "no signatures");
    const sigs = list.map(sig);
    const agg = blst.aggregateSignatures(sigs, false);
    try {
      agg.sigValidate(true);
    } catch (e) {
      throw mapBlstError(e, "aggregate signature");
    }
    return asSig(agg);
  },

  aggregateVerifiedSignatureBytes(list) {
    if (list.length === 0) throw blsError(BlsErrorCode.EMPTY_INPUT, "no signatures");
    let agg: blst.Signature;
    try {
      const points = new Array<blst.Signature>(list.length);
      for (let i = 0; i < list.length; i++) points[i] = decompress(list[i]!);
      agg = blst.aggregateSignatures(points, false);
      agg.sigValidate(true);
    } catch (e) {
      throw mapBlstError(e, "aggregate signature");
    }
    return asSig(agg);
  },

  verify(pubkey, message, signature) {
    try {
      return blst.verify(message, pk(pubkey), sig(signature), false, false);
    } catch {
      return false;
    }
  },
  fastAggregateVerify(pks, message, signature) {
    try {
      if (pks.length === 0) return false;
      return blst.fastAggregateVerify(message, pkList(pks), sig(signature), false);
    } catch {
      return false;
    }
  },
  verifyBatch(sets) {
    if (sets.length === 0) return false;
    try {
      const blstSets: blst.SignatureSet[] = new Array(sets.length);
      for (let i = 0; i < sets.length; i++) {
        const s = sets[i]!;
        if (s.pubkeys.length === 0) return false;
        const key =
          s.pubkeys.length === 1 ? pk(s.pubkeys[0]!) : blst.aggregatePublicKeys(pkList(s.pubkeys), false);
        blstSets[i] = { msg: s.message, pk: key, sig: decodeSignature(s.signature) };
      }
      // Keys were validated on decode and signatures just now: skip re-checks.
      return blst.verifyMultipleAggregateSignatures(blstSets, false, false);
    } catch {
      return false;
    }
  },

  popProve(handle) {
    return nobleBls.popProve(toNobleSk(handle));
  },
  popVerify(pubkey, pop) {
    try {
      return nobleBls.popVerify(toNoblePk(pubkey), pop);
    } catch {
      return false;
    }
  },
  popVerifyBatch(items) {
    try {
      return nobleBls.popVerifyBatch(items.map((it) => ({ pubkey: toNoblePk(it.pubkey), pop: it.pop })));
    } catch {
      return false;
    }
  },
};
