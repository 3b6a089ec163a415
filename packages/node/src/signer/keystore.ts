// EIP-2335 keystores (@chainsafe/bls-keystore): decrypt into backend secret
// keys and create new ones. Secrets never enter an error message or a log line.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { IKeystore, Keystore } from "@chainsafe/bls-keystore";
import { type BlsBackend, type BlsSecretKey, bytesEqual, fromHex, ProtocolError, toHex } from "@ocp/protocol";
import { KeystoreErrorCode } from "./errors.js";

/**
 * A decrypted key. The secret sits in a #private field behind a getter, so
 * util.inspect, JSON.stringify and structured loggers never print it.
 */
export class DecryptedKey {
  readonly #secretKey: BlsSecretKey;

  constructor(
    readonly pubkey: Uint8Array,
    secretKey: BlsSecretKey,
    /** EIP-2334 path recorded in the keystore ("" if none). */
    readonly path: string,
  ) {
    this.#secretKey = secretKey;
  }

  get secretKey(): BlsSecretKey {
    return this.#secretKey;
  }

  toJSON(): { pubkey: string; path: string } {
    return { pubkey: toHex(this.pubkey), path: this.path };
  }
}

function keystoreError(code: KeystoreErrorCode, detail: string): ProtocolError<KeystoreErrorCode> {
  return new ProtocolError(code, detail);
}

// Loaded on first use: the library (and its crypto dependencies) costs ~11 MB
// of resident memory that a running node never needs once its keys are decrypted.
let lib: typeof import("@chainsafe/bls-keystore") | undefined;
async function keystoreLib(): Promise<typeof import("@chainsafe/bls-keystore")> {
  lib ??= await import("@chainsafe/bls-keystore");
  return lib;
}

/** Parses and schema-checks a keystore given as JSON text or an already-parsed object. */
export async function parseKeystore(json: unknown): Promise<Keystore> {
  const { Keystore } = await keystoreLib();
  try {
    return typeof json === "string" ? Keystore.parse(json) : Keystore.fromObject(json);
  } catch (e) {
    // The library's schema messages name fields, never secret material.
    throw keystoreError(KeystoreErrorCode.INVALID, e instanceof Error ? e.message : "not a keystore");
  }
}

/**
 * Decrypts a keystore and checks that the secret gives the keystore's pubkey.
 * Throws KEYSTORE_ERROR_WRONG_PASSWORD, _INVALID, _INVALID_SECRET or _PUBKEY_MISMATCH.
 */
export async function decryptKeystore(
  json: unknown,
  password: string,
  bls: BlsBackend,
): Promise<DecryptedKey> {
  const ks = await parseKeystore(json);
  // verifyPassword checks the checksum only, so a wrong password costs one KDF and no decryption.
  let ok: boolean;
  try {
    ok = await ks.verifyPassword(password);
  } catch (e) {
    throw keystoreError(KeystoreErrorCode.INVALID, e instanceof Error ? e.message : "cannot run the KDF");
  }
  if (!ok) throw keystoreError(KeystoreErrorCode.WRONG_PASSWORD, `keystore ${ks.uuid}`);
  const secret = await ks.decrypt(password);
  let secretKey: BlsSecretKey;
  try {
    secretKey = bls.secretKeyFromBytes(secret);
  } catch {
    throw keystoreError(KeystoreErrorCode.INVALID_SECRET, `keystore ${ks.uuid}`);
  } finally {
    secret.fill(0);
  }
  const pubkey = bls.publicKeyToBytes(bls.publicKey(secretKey));
  if (ks.pubkey !== "") {
    let declared: Uint8Array;
    try {
      declared = fromHex(`0x${ks.pubkey.replace(/^0x/, "")}`, 48);
    } catch {
      throw keystoreError(KeystoreErrorCode.INVALID, `keystore ${ks.uuid}: pubkey is not 48-byte hex`);
    }
    if (!bytesEqual(declared, pubkey)) {
      throw keystoreError(
        KeystoreErrorCode.PUBKEY_MISMATCH,
        `keystore ${ks.uuid} declares ${toHex(declared)}`,
      );
    }
  }
  return new DecryptedKey(pubkey, secretKey, ks.path);
}

export async function readKeystoreFile(
  file: string,
  password: string,
  bls: BlsBackend,
): Promise<DecryptedKey> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw keystoreError(
      KeystoreErrorCode.INVALID,
      `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
    );
  }
  return decryptKeystore(text, password, bls);
}

/** A password file's content without its trailing newline (as written by `echo`). */
export async function readPasswordFile(file: string): Promise<string> {
  return (await readFile(file, "utf8")).replace(/\r?\n$/, "");
}

/** Decrypts every `*.json` keystore in `dir` (sorted by name) with one password. */
export async function loadKeystoreDir(
  dir: string,
  password: string,
  bls: BlsBackend,
): Promise<DecryptedKey[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(".json")).sort();
  const out: DecryptedKey[] = [];
  for (const name of names) out.push(await readKeystoreFile(join(dir, name), password, bls));
  return out;
}

export interface CreateKeystoreOptions {
  /**
   * Key derivation function.
   * @default "scrypt" (EIP-2335's first test vector uses scrypt)
   */
  kdf?: "scrypt" | "pbkdf2";
  /** scrypt cost n. @default 262144 (EIP-2335) */
  scryptN?: number;
  /** pbkdf2 iterations c. @default 262144 (EIP-2335) */
  pbkdf2C?: number;
  /** EIP-2334 derivation path to record. @default "" */
  path?: string;
  description?: string;
}

/** Encrypts a 32-byte secret key into an EIP-2335 keystore object. */
export async function createKeystore(
  secret: Uint8Array,
  password: string,
  bls: BlsBackend,
  opts: CreateKeystoreOptions = {},
): Promise<IKeystore> {
  let pubkey: Uint8Array;
  try {
    pubkey = bls.publicKeyToBytes(bls.publicKey(bls.secretKeyFromBytes(secret)));
  } catch {
    throw keystoreError(KeystoreErrorCode.INVALID_SECRET, "secret key is not a valid BLS scalar");
  }
  const { create, defaultPbkdfModule, defaultScryptModule } = await keystoreLib();
  const kdf =
    opts.kdf === "pbkdf2"
      ? (() => {
          const m = defaultPbkdfModule();
          if (opts.pbkdf2C !== undefined) m.params.c = opts.pbkdf2C;
          return m;
        })()
      : (() => {
          const m = defaultScryptModule();
          if (opts.scryptN !== undefined) m.params.n = opts.scryptN;
          return m;
        })();
  return create(password, secret, pubkey, opts.path ?? "", opts.description ?? null, kdf);
}
