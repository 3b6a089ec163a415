import { addressFromPrivateKey, toHex } from "@ocp/protocol";
import { privateKeyToAddress } from "viem/accounts";
import { describe, expect, it } from "vitest";
import { createV3Keystore, decryptV3Keystore, V3KeystoreErrorCode } from "../src/keystoreV3.js";

// The Web3 Secret Storage definition's PBKDF2 test vector.
const vector = {
  crypto: {
    cipher: "aes-128-ctr",
    cipherparams: { iv: "6087dab2f9fdbbfaddc31a909735c1e6" },
    ciphertext: "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
    kdf: "pbkdf2",
    kdfparams: {
      c: 262144,
      dklen: 32,
      prf: "hmac-sha256",
      salt: "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd",
    },
    mac: "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2",
  },
  id: "3198bc9c-6672-5ab3-d995-4942343ae5b6",
  version: 3,
};

const code = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => "resolved",
    (e: unknown) => (e as { code?: string }).code ?? e,
  );

describe("V3 keystores", () => {
  it("decrypts the definition's test vector", async () => {
    const key = await decryptV3Keystore(JSON.stringify(vector), "testpassword");
    expect(toHex(key)).toBe("0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d");
    expect(toHex(addressFromPrivateKey(key))).toBe("0x008aeeda4d805471df9b2a5b0f38a0c3bcba786b");
  });

  it("round-trips with scrypt and pbkdf2; the address matches viem's", async () => {
    const key = new Uint8Array(32).fill(0x42);
    for (const kdf of ["scrypt", "pbkdf2"] as const) {
      const ks = await createV3Keystore(key, "pw", { kdf, scryptN: 1024, pbkdf2C: 1000 });
      expect(ks.crypto.kdf).toBe(kdf);
      expect(`0x${ks.address}`).toBe(privateKeyToAddress(toHex(key)).toLowerCase());
      expect(toHex(await decryptV3Keystore(JSON.parse(JSON.stringify(ks)), "pw"))).toBe(toHex(key));
      expect(await code(decryptV3Keystore(ks, "wrong"))).toBe(V3KeystoreErrorCode.WRONG_PASSWORD);
    }
  });

  it("rejects malformed files and a wrong declared address without hanging", async () => {
    const ks = await createV3Keystore(new Uint8Array(32).fill(7), "pw", { kdf: "pbkdf2", pbkdf2C: 10 });
    expect(await code(decryptV3Keystore("not json", "pw"))).toBe(V3KeystoreErrorCode.INVALID);
    expect(await code(decryptV3Keystore({ ...ks, version: 4 }, "pw"))).toBe(V3KeystoreErrorCode.INVALID);
    expect(await code(decryptV3Keystore({ ...ks, address: "11".repeat(20) }, "pw"))).toBe(
      V3KeystoreErrorCode.ADDRESS_MISMATCH,
    );
    const huge = { ...ks, crypto: { ...ks.crypto, kdfparams: { ...ks.crypto.kdfparams, c: 1e12 } } };
    expect(await code(decryptV3Keystore(huge, "pw"))).toBe(V3KeystoreErrorCode.UNSUPPORTED);
    const cbc = { ...ks, crypto: { ...ks.crypto, cipher: "aes-128-cbc" } };
    expect(await code(decryptV3Keystore(cbc, "pw"))).toBe(V3KeystoreErrorCode.UNSUPPORTED);
  });
});
