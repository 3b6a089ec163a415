import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { inspect } from "node:util";
import { blstBls, nobleBls, ProtocolError, toHex } from "@ocp/protocol";
import { describe, expect, it } from "vitest";
import { Database } from "../../../src/db/database.js";
import { KeystoreErrorCode } from "../../../src/signer/errors.js";
import {
  createKeystore,
  decryptKeystore,
  loadKeystoreDir,
  readPasswordFile,
} from "../../../src/signer/keystore.js";
import { SlashingProtection } from "../../../src/signer/slashingProtection.js";
import { ValidatorStore } from "../../../src/signer/validatorStore.js";
import type { Logger } from "../../../src/util/logger.js";
import { secret, tempDir } from "./helpers.js";

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
}

describe("EIP-2335 keystores", () => {
  it("round-trips with pbkdf2 and scrypt; the pubkey matches the independent backend", async () => {
    for (const opts of [
      { kdf: "pbkdf2" as const, pbkdf2C: 2 },
      { kdf: "scrypt" as const, scryptN: 16 },
    ]) {
      const sk = secret(3);
      const ks = await createKeystore(sk, "correct horse", blstBls, opts);
      expect(ks.crypto.kdf.function).toBe(opts.kdf);
      // The keystore never carries the secret in clear.
      expect(JSON.stringify(ks)).not.toContain(Buffer.from(sk).toString("hex"));
      const dk = await decryptKeystore(JSON.stringify(ks), "correct horse", blstBls);
      const expectedPk = nobleBls.publicKeyToBytes(nobleBls.publicKey(nobleBls.secretKeyFromBytes(sk)));
      expect(dk.pubkey).toEqual(expectedPk);
      expect(blstBls.secretKeyToBytes(dk.secretKey)).toEqual(sk);
    }
  });

  it("fails with KEYSTORE_ERROR_WRONG_PASSWORD on a wrong password", async () => {
    const ks = await createKeystore(secret(1), "right", blstBls, { kdf: "pbkdf2", pbkdf2C: 2 });
    expect(await codeOf(decryptKeystore(ks, "wrong", blstBls))).toBe(KeystoreErrorCode.WRONG_PASSWORD);
  });

  it("rejects non-keystores and keystores whose pubkey does not match the secret", async () => {
    expect(await codeOf(decryptKeystore("{", "x", blstBls))).toBe(KeystoreErrorCode.INVALID);
    expect(await codeOf(decryptKeystore({ version: 4 }, "x", blstBls))).toBe(KeystoreErrorCode.INVALID);
    const ks = await createKeystore(secret(1), "pw", blstBls, { kdf: "pbkdf2", pbkdf2C: 2 });
    const otherPk = blstBls.publicKeyToBytes(blstBls.publicKey(blstBls.secretKeyFromBytes(secret(2))));
    const forged = { ...ks, pubkey: toHex(otherPk).slice(2) };
    expect(await codeOf(decryptKeystore(forged, "pw", blstBls))).toBe(KeystoreErrorCode.PUBKEY_MISMATCH);
  });

  it("loads a directory of keystores into a store with several keys, logging no secret", async () => {
    const dir = await tempDir("ks");
    const dbDir = await tempDir("ksdb");
    const db = new Database({ path: dbDir.path });
    try {
      const secrets = [secret(4), secret(5), secret(6)];
      for (const [i, sk] of secrets.entries()) {
        const ks = await createKeystore(sk, "pw", blstBls, { kdf: "scrypt", scryptN: 16 });
        await writeFile(join(dir.path, `keystore-${i}.json`), JSON.stringify(ks));
      }
      await writeFile(join(dir.path, "password.txt"), "pw\n");
      const password = await readPasswordFile(join(dir.path, "password.txt"));
      const keys = await loadKeystoreDir(dir.path, password, blstBls);
      expect(keys.length).toBe(3);

      const lines: string[] = [];
      const capture = (obj: Record<string, unknown>, msg: string) => lines.push(JSON.stringify(obj) + msg);
      const logger: Logger = { debug: capture, info: capture, warn: capture, error: capture };
      await db.open();
      const store = new ValidatorStore(
        {},
        { bls: blstBls, slashingProtection: new SlashingProtection({ db }), logger },
      );
      for (const k of keys) store.addKey(k.secretKey);
      expect(store.size).toBe(3);
      const dumps = [
        ...lines,
        inspect(store, { depth: 5 }),
        inspect(keys, { depth: 5 }),
        JSON.stringify(keys),
      ];
      for (const sk of secrets) {
        const hex = Buffer.from(sk).toString("hex");
        for (const d of dumps) expect(d).not.toContain(hex);
      }
      expect(lines.length).toBe(3);
    } finally {
      if (db.isOpen) await db.close();
      await dir.cleanup();
      await dbDir.cleanup();
    }
  });
});
