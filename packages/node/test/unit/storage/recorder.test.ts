// The recorder's count of this node's keys missing from a certificate
// (ocp_last_certificate_own_keys_missing): each key is looked up at its own
// index in the certificate's set, and a key outside the set is not counted.
import { buildVerifierSet, getBls } from "@ocp/protocol";
import { describe, expect, it } from "vitest";
import type { PooledCertificate } from "../../../src/chain/pools/certificatePool.js";
import type { RecorderMetrics } from "../../../src/metrics/metrics.js";
import { Recorder, type RecorderModules } from "../../../src/storage/recorder.js";
import { nullLogger } from "../../../src/util/logger.js";

const bls = getBls();
const keys = [21, 22, 23, 24, 25, 26].map((f) => bls.keygen(new Uint8Array(32).fill(f)));
const pubkeyOf = (k: (typeof keys)[number]) => bls.publicKeyToBytes(bls.publicKey(k));
/** Five members; keys[5] is in no set. */
const set = buildVerifierSet(
  {
    epoch: 0n,
    activationSlot: 0n,
    quorum: { numerator: 2, denominator: 3 },
    verifiers: keys.slice(0, 5).map((k) => ({ pubkey: pubkeyOf(k), weight: 1n, pop: bls.popProve(k) })),
  },
  { bls },
);

/** ownMissing reported for a certificate signed by `signers` (indices), the node holding `own`. */
async function ownMissing(own: number[], signers: number[]): Promise<number> {
  const reported: number[] = [];
  const bits = new Uint8Array(1);
  for (const i of signers) bits[i >> 3]! |= 1 << (i & 7);
  const recorder = new Recorder({
    validators: { pubkeys: own.map((i) => pubkeyOf(keys[i]!)) },
    duties: { ownRoot: () => undefined, decidedAtMs: () => undefined },
    db: {
      certificates: { getBestSync: () => undefined, putBest: async () => undefined },
    } as unknown as RecorderModules["db"],
    events: { emit: () => true },
    metrics: {
      certificates: { inc: () => undefined },
      health: { onCertificate: (_s: bigint, _w: bigint, _set: unknown, n: number) => void reported.push(n) },
    } as unknown as RecorderMetrics,
    logger: nullLogger,
  } as unknown as RecorderModules);
  await recorder.onCertificate(
    {
      certificate: { observation: { stream: new Uint8Array(32), slot: 7n }, setId: set.setId, signers: bits },
      set,
      signedWeight: BigInt(signers.length),
      slot: 7n,
    } as unknown as PooledCertificate,
    "gossip",
  );
  expect(reported).toHaveLength(1);
  return reported[0]!;
}

describe("recorder: own keys missing from a certificate", () => {
  it("counts each own key at its index in the set", async () => {
    expect(await ownMissing([1, 3], [0, 1, 2, 3])).toBe(0);
    expect(await ownMissing([1, 3], [0, 1, 2, 4])).toBe(1);
    expect(await ownMissing([1, 3], [0, 2, 4])).toBe(2);
    expect(await ownMissing([4], [0, 1, 2, 3])).toBe(1);
  });

  it("does not count a key outside the certificate's set", async () => {
    expect(await ownMissing([5], [0, 1, 2, 3])).toBe(0);
    expect(await ownMissing([5, 2], [0, 1, 3])).toBe(1);
  });
});
