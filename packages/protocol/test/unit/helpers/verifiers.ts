// Test fixtures: deterministic verifier keys with proofs of possession.
import { type BlsSecretKey, blstBls, type VerifierEntry, type VerifierSetData } from "@ocp/protocol";

export interface TestVerifier {
  sk: BlsSecretKey;
  entry: VerifierEntry;
}

const cache = new Map<number, TestVerifier>();

/** Verifier number `i` (stable across calls and files). */
export function testVerifier(i: number, weight = 1n): TestVerifier {
  let v = cache.get(i);
  if (v === undefined) {
    const ikm = new Uint8Array(32);
    new DataView(ikm.buffer).setUint32(0, i + 1);
    ikm[31] = 0x5a;
    const sk = blstBls.keygen(ikm);
    v = {
      sk,
      entry: {
        pubkey: blstBls.publicKeyToBytes(blstBls.publicKey(sk)),
        weight: 1n,
        pop: blstBls.popProve(sk),
      },
    };
    cache.set(i, v);
  }
  return { sk: v.sk, entry: { ...v.entry, weight } };
}

export function testVerifiers(
  n: number,
  first = 0,
  weight: (i: number) => bigint = () => 1n,
): TestVerifier[] {
  return Array.from({ length: n }, (_, i) => testVerifier(first + i, weight(i)));
}

export function setData(
  verifiers: readonly TestVerifier[],
  over: Partial<Omit<VerifierSetData, "verifiers">> = {},
): VerifierSetData {
  return {
    epoch: 0n,
    activationSlot: 0n,
    quorum: { numerator: 2, denominator: 3 },
    ...over,
    verifiers: verifiers.map((v) => ({ ...v.entry })),
  };
}
