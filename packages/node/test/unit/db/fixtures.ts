// Sample protocol objects and temp-dir helpers for the database tests.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Attestation, Certificate, Domain, Observation, SignedCommitment } from "@ocp/protocol";

export async function tempDir(prefix: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `ocp-${prefix}-`));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

export const DOMAIN: Domain = { chainId: 31337, verifyingContract: new Uint8Array(20).fill(0xaa) };

export function stream(n: number): Uint8Array {
  return new Uint8Array(32).fill(n);
}

export function obs(s: Uint8Array, slot: bigint, digestByte = 1): Observation {
  return {
    stream: s,
    slot,
    l1BlockNumber: slot,
    l1BlockHash: new Uint8Array(32).fill(0x22),
    schema: new Uint8Array(32).fill(0x33),
    tableDigest: new Uint8Array(32).fill(digestByte),
    entryCount: 2,
  };
}

export function attestation(s: Uint8Array, slot: bigint, verifierIndex: number, digestByte = 1): Attestation {
  return {
    domain: DOMAIN,
    observation: obs(s, slot, digestByte),
    setId: new Uint8Array(32).fill(0x44),
    verifierIndex,
    signature: new Uint8Array(96).fill(verifierIndex & 0xff),
  };
}

export function certificate(s: Uint8Array, slot: bigint): Certificate {
  return {
    domain: DOMAIN,
    observation: obs(s, slot),
    setId: new Uint8Array(32).fill(0x44),
    signers: Uint8Array.of(0x07),
    aggregateSignature: new Uint8Array(96).fill(0x55),
  };
}

export function signedCommitment(
  s: Uint8Array,
  slot: bigint,
  builderByte: number,
  digestByte = 1,
): SignedCommitment {
  return {
    domain: DOMAIN,
    commitment: { observation: obs(s, slot, digestByte), builder: new Uint8Array(20).fill(builderByte) },
    signature: new Uint8Array(65).fill(0x66),
  };
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
