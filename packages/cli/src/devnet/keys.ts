// Devnet key material: fresh BLS verifier keys written as EIP-2335 keystores
// (anchorer accounts use V3 keystores, ../keystoreV3.ts), with a cheap KDF —
// a devnet's keys are throwaway, and scrypt at full cost would add seconds per key.
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createKeystore } from "@ocp/node";
import type { BlsBackend, BlsSecretKey, VerifierSetData } from "@ocp/protocol";

/** pbkdf2 iterations for devnet keystores (EIP-2335 recommends 262144). */
export const DEVNET_KDF_ROUNDS = 16;

export interface DevnetKeys {
  /** keys[node][k] */
  keys: BlsSecretKey[][];
  set: VerifierSetData;
}

export function generateKeys(bls: BlsBackend, nodes: number, keysPerNode: number): DevnetKeys {
  const keys: BlsSecretKey[][] = [];
  const verifiers: VerifierSetData["verifiers"] = [];
  for (let i = 0; i < nodes; i++) {
    const mine: BlsSecretKey[] = [];
    for (let k = 0; k < keysPerNode; k++) {
      const sk = bls.keygen(randomBytes(32));
      mine.push(sk);
      verifiers.push({ pubkey: bls.publicKeyToBytes(bls.publicKey(sk)), weight: 1n, pop: bls.popProve(sk) });
    }
    keys.push(mine);
  }
  return {
    keys,
    set: { epoch: 0n, activationSlot: 0n, quorum: { numerator: 2, denominator: 3 }, verifiers },
  };
}

/** Writes one EIP-2335 keystore per key into `dir`, named so that they load in order. */
export async function writeBlsKeystores(
  dir: string,
  keys: BlsSecretKey[],
  password: string,
  bls: BlsBackend,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [k, sk] of keys.entries()) {
    const ks = await createKeystore(bls.secretKeyToBytes(sk), password, bls, {
      kdf: "pbkdf2",
      pbkdf2C: DEVNET_KDF_ROUNDS,
    });
    await writeFile(join(dir, `keystore-${String(k).padStart(4, "0")}.json`), JSON.stringify(ks));
  }
}
