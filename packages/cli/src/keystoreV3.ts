// Ethereum V3 keystores (Web3 Secret Storage) for builder and anchorer
// accounts: scrypt or pbkdf2-hmac-sha256, aes-128-ctr, keccak-256 MAC.
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from "node:crypto";
import { pbkdf2Async } from "@noble/hashes/pbkdf2.js";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { addressFromPrivateKey, bytesEqual, concatBytes, fromHex, ProtocolError, toHex } from "@ocp/protocol";

export enum V3KeystoreErrorCode {
  /** Not a V3 keystore, or a field has the wrong shape. */
  INVALID = "V3_KEYSTORE_ERROR_INVALID",
  /** KDF, cipher or parameters this implementation does not run. */
  UNSUPPORTED = "V3_KEYSTORE_ERROR_UNSUPPORTED",
  /** The MAC does not match: wrong password (or a corrupted file). */
  WRONG_PASSWORD = "V3_KEYSTORE_ERROR_WRONG_PASSWORD",
  /** The decrypted key is not a secp256k1 key, or not the declared address's. */
  ADDRESS_MISMATCH = "V3_KEYSTORE_ERROR_ADDRESS_MISMATCH",
}

export interface ScryptParams {
  dklen: number;
  n: number;
  r: number;
  p: number;
  salt: string;
}
export interface Pbkdf2Params {
  dklen: number;
  c: number;
  prf: "hmac-sha256";
  salt: string;
}

/** Web3 Secret Storage v3; hex fields without 0x, as geth writes them. */
export interface V3Keystore {
  version: 3;
  id: string;
  address: string;
  crypto: {
    cipher: "aes-128-ctr";
    cipherparams: { iv: string };
    ciphertext: string;
    kdf: "scrypt" | "pbkdf2";
    kdfparams: ScryptParams | Pbkdf2Params;
    mac: string;
  };
}

export interface CreateV3Options {
  /** @default "scrypt" */
  kdf?: "scrypt" | "pbkdf2";
  /** scrypt n. @default 262144 (geth's standard) */
  scryptN?: number;
  /** pbkdf2 iterations. @default 262144 (the spec's example) */
  pbkdf2C?: number;
}

// Caps so a hostile file cannot make decryption run for hours or take all memory.
const MAX_SCRYPT_N = 1 << 20;
const MAX_PBKDF2_C = 10_000_000;

function invalid(detail: string): ProtocolError<V3KeystoreErrorCode> {
  return new ProtocolError(V3KeystoreErrorCode.INVALID, detail);
}

function hexField(value: unknown, field: string, bytes?: number): Uint8Array {
  if (typeof value !== "string") throw invalid(`${field}: expected hex`);
  try {
    return fromHex(`0x${value.replace(/^0x/, "").toLowerCase()}`, bytes);
  } catch {
    throw invalid(`${field}: expected ${bytes === undefined ? "" : `${bytes}-byte `}hex`);
  }
}

function intField(obj: Record<string, unknown>, key: string, field: string): number {
  const v = obj[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) {
    throw invalid(`${field}.${key}: expected a positive integer`);
  }
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

async function deriveKey(
  password: string,
  kdf: string,
  params: Record<string, unknown>,
): Promise<Uint8Array> {
  const salt = hexField(params.salt, "crypto.kdfparams.salt");
  const dkLen = intField(params, "dklen", "crypto.kdfparams");
  if (dkLen < 32) throw invalid("crypto.kdfparams.dklen: must be at least 32");
  const pw = new TextEncoder().encode(password.normalize("NFKD"));
  if (kdf === "scrypt") {
    const N = intField(params, "n", "crypto.kdfparams");
    const r = intField(params, "r", "crypto.kdfparams");
    const p = intField(params, "p", "crypto.kdfparams");
    if (N > MAX_SCRYPT_N || (N & (N - 1)) !== 0 || r * p > 64) {
      throw new ProtocolError(
        V3KeystoreErrorCode.UNSUPPORTED,
        "crypto.kdfparams: scrypt parameters out of range",
      );
    }
    return scryptAsync(pw, salt, { N, r, p, dkLen, maxmem: 128 * N * r * p + 1024 * 1024 });
  }
  if (kdf === "pbkdf2") {
    if (params.prf !== "hmac-sha256") {
      throw new ProtocolError(V3KeystoreErrorCode.UNSUPPORTED, "crypto.kdfparams.prf: only hmac-sha256");
    }
    const c = intField(params, "c", "crypto.kdfparams");
    if (c > MAX_PBKDF2_C) {
      throw new ProtocolError(V3KeystoreErrorCode.UNSUPPORTED, "crypto.kdfparams.c: too many iterations");
    }
    return pbkdf2Async(sha256, pw, salt, { c, dkLen });
  }
  throw new ProtocolError(V3KeystoreErrorCode.UNSUPPORTED, `crypto.kdf: ${JSON.stringify(kdf)}`);
}

function mac(derived: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return keccak_256(concatBytes(derived.subarray(16, 32), ciphertext));
}

const hex = (b: Uint8Array): string => toHex(b).slice(2);

/** Encrypts a 32-byte secp256k1 private key into a V3 keystore. */
export async function createV3Keystore(
  privateKey: Uint8Array,
  password: string,
  opts: CreateV3Options = {},
): Promise<V3Keystore> {
  const address = addressFromPrivateKey(privateKey);
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const kdf = opts.kdf ?? "scrypt";
  const kdfparams: ScryptParams | Pbkdf2Params =
    kdf === "scrypt"
      ? { dklen: 32, n: opts.scryptN ?? 262_144, r: 8, p: 1, salt: hex(salt) }
      : { dklen: 32, c: opts.pbkdf2C ?? 262_144, prf: "hmac-sha256", salt: hex(salt) };
  const derived = await deriveKey(password, kdf, kdfparams as unknown as Record<string, unknown>);
  const cipher = createCipheriv("aes-128-ctr", derived.subarray(0, 16), iv);
  const ciphertext = new Uint8Array(Buffer.concat([cipher.update(privateKey), cipher.final()]));
  return {
    version: 3,
    id: randomUUID(),
    address: hex(address),
    crypto: {
      cipher: "aes-128-ctr",
      cipherparams: { iv: hex(iv) },
      ciphertext: hex(ciphertext),
      kdf,
      kdfparams,
      mac: hex(mac(derived, ciphertext)),
    },
  };
}

/**
 * Decrypts a V3 keystore (JSON text or parsed object) into its 32-byte private
 * key. Throws only ProtocolError (V3KeystoreErrorCode); messages never hold secrets.
 */
export async function decryptV3Keystore(json: unknown, password: string): Promise<Uint8Array> {
  let doc: unknown = json;
  if (typeof json === "string") {
    try {
      doc = JSON.parse(json);
    } catch {
      throw invalid("not JSON");
    }
  }
  if (!isObject(doc)) throw invalid("expected a JSON object");
  if (doc.version !== 3) throw invalid("version: expected 3");
  // geth writes "crypto"; some old tools wrote "Crypto".
  const c = doc.crypto ?? doc.Crypto;
  if (!isObject(c)) throw invalid("crypto: expected an object");
  if (c.cipher !== "aes-128-ctr") {
    throw new ProtocolError(V3KeystoreErrorCode.UNSUPPORTED, `crypto.cipher: ${JSON.stringify(c.cipher)}`);
  }
  if (!isObject(c.cipherparams)) throw invalid("crypto.cipherparams: expected an object");
  const iv = hexField(c.cipherparams.iv, "crypto.cipherparams.iv", 16);
  const ciphertext = hexField(c.ciphertext, "crypto.ciphertext", 32);
  const expectedMac = hexField(c.mac, "crypto.mac", 32);
  if (typeof c.kdf !== "string") throw invalid("crypto.kdf: expected a string");
  if (!isObject(c.kdfparams)) throw invalid("crypto.kdfparams: expected an object");
  const derived = await deriveKey(password, c.kdf, c.kdfparams);
  // [REJECT] the MAC must match before anything is decrypted
  if (!bytesEqual(mac(derived, ciphertext), expectedMac)) {
    throw new ProtocolError(
      V3KeystoreErrorCode.WRONG_PASSWORD,
      "MAC mismatch: wrong password or corrupted keystore",
    );
  }
  const decipher = createDecipheriv("aes-128-ctr", derived.subarray(0, 16), iv);
  const key = new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]));
  let address: Uint8Array;
  try {
    address = addressFromPrivateKey(key);
  } catch {
    throw new ProtocolError(V3KeystoreErrorCode.ADDRESS_MISMATCH, "decrypted key is not a secp256k1 key");
  }
  if (doc.address !== undefined && doc.address !== "") {
    const declared = hexField(doc.address, "address", 20);
    if (!bytesEqual(declared, address)) {
      throw new ProtocolError(
        V3KeystoreErrorCode.ADDRESS_MISMATCH,
        `key does not belong to 0x${hex(declared)}`,
      );
    }
  }
  return key;
}

/** The address a V3 keystore declares (0x-prefixed), without decrypting it. */
export function v3KeystoreAddress(json: unknown): `0x${string}` | undefined {
  if (!isObject(json) || json.version !== 3 || typeof json.address !== "string") return undefined;
  try {
    return toHex(hexField(json.address, "address", 20));
  } catch {
    return undefined;
  }
}
