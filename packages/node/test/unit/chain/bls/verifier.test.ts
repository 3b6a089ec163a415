import { bls12_381 } from "@noble/curves/bls12-381.js";
import { type BlsSignatureSet, blstBls, nobleBls, toHex } from "@ocp/protocol";
import { describe, expect, it, vi } from "vitest";
import { FAKED_TIMERS, settledAfter } from "../../../../../../test/utils/wait.js";
import { nonSubgroupG2 } from "../../../../../protocol/test/unit/bls/points.js";
import {
  BatchingBlsVerifier,
  BlsVerifierStats,
  SAME_MESSAGE_MSM_SETS,
  VerifiedSameMessageSets,
  verifySameMessage,
} from "../../../../src/chain/index.js";
import { testKeys } from "../fixtures.js";

const keys = testKeys(32);
const pks = keys.map((k) => blstBls.publicKeyFromBytes(k.pubkey));
const msg = new Uint8Array(32).fill(9);
const sigs = keys.map((k) => blstBls.sign(k.sk, msg));

function sets(message = msg, signatures = sigs): BlsSignatureSet[] {
  return keys.map((_, i) => ({ pubkeys: [pks[i]!], message, signature: signatures[i]! }));
}

describe("BatchingBlsVerifier", () => {
  it("one bad signature among 31 good: only it fails, with fewer checks than 32 single verifies", async () => {
    const stats = new BlsVerifierStats();
    const v = new BatchingBlsVerifier({ maxBufferedSets: 32, maxBufferWaitMs: 50 }, { metrics: stats });
    const bad = 13;
    // Right length and a valid point, but key 14's signature: a forged vote.
    const forged = sigs.slice();
    forged[bad] = sigs[14]!;
    const all = sets(msg, forged);
    const results = await Promise.all(all.map((s) => v.verifySignatureSets([s], { batchable: true })));
    // Cross-check each verdict with noble, one by one.
    const noble = all.map((s, i) =>
      nobleBls.verify(
        nobleBls.publicKeyFromBytes(keys[i]!.pubkey),
        s.message,
        nobleBls.signatureFromBytes(s.signature),
      ),
    );
    expect(results).toEqual(noble);
    expect(results.filter((r) => !r)).toHaveLength(1);
    expect(results[bad]).toBe(false);
    expect(stats.batches).toBe(1);
    expect(stats.maxBatchSets).toBe(32);
    expect(stats.bisections).toBeGreaterThan(0);
    expect(stats.verifyCalls).toBeLessThan(32);
    expect(stats.verifyCallsByKind.multi_set).toBe(0);
  });

  it("all good: one same-message call for the whole batch", async () => {
    const stats = new BlsVerifierStats();
    const v = new BatchingBlsVerifier({ maxBufferedSets: 32 }, { metrics: stats });
    const results = await Promise.all(sets().map((s) => v.verifySignatureSets([s], { batchable: true })));
    expect(results.every(Boolean)).toBe(true);
    expect(stats.verifyCalls).toBe(1);
    expect(stats.verifyCallsByKind.same_message).toBe(1);
  });

  it("flushes on the timer when fewer sets than the threshold wait", async () => {
    const stats = new BlsVerifierStats();
    const v = new BatchingBlsVerifier({ maxBufferedSets: 32, maxBufferWaitMs: 2 }, { metrics: stats });
    const results = await Promise.all(
      sets()
        .slice(0, 5)
        .map((s) => v.verifySignatureSets([s], { batchable: true })),
    );
    expect(results).toEqual([true, true, true, true, true]);
    expect(stats.batches).toBe(1);
    expect(stats.batchedSets).toBe(5);
  });

  it("a small batch waits up to maxBufferWaitMs, a big one only bigBatchWaitMs; urgent sets flush at once", async () => {
    vi.useFakeTimers({ toFake: [...FAKED_TIMERS] });
    try {
      const stats = new BlsVerifierStats();
      const v = new BatchingBlsVerifier(
        { maxBufferedSets: 128, maxBufferWaitMs: 60_000, bigBatchSets: 4, bigBatchWaitMs: 1 },
        { metrics: stats },
      );
      const all = sets();
      const small = all.slice(0, 3).map((s) => v.verifySignatureSets([s], { batchable: true }));
      expect(await settledAfter(small, 20)).toBe(0);
      const fourth = v.verifySignatureSets([all[3]!], { batchable: true });
      expect(await settledAfter([...small, fourth], 0)).toBe(0);
      expect(await settledAfter([...small, fourth], 1)).toBe(4);
      const lone = v.verifySignatureSets([all[4]!], { batchable: true });
      expect(await settledAfter([lone], 59_999)).toBe(0);
      expect(await v.verifySignatureSets([all[5]!], { batchable: true, urgent: true })).toBe(true);
      expect(await lone).toBe(true);
      expect(stats.batches).toBe(2);
      expect(stats.batchedSets).toBe(6);
    } finally {
      vi.useRealTimers();
    }
  });

  it("distinct messages go through the multi-set batch, also bisected", async () => {
    const stats = new BlsVerifierStats();
    const v = new BatchingBlsVerifier({ maxBufferedSets: 8, maxBufferWaitMs: 50 }, { metrics: stats });
    const items = keys.slice(0, 8).map((k, i) => {
      const m = new Uint8Array(32).fill(i + 1);
      return { pubkeys: [pks[i]!], message: m, signature: blstBls.sign(k.sk, m) };
    });
    items[5] = { ...items[5]!, signature: items[4]!.signature };
    const results = await Promise.all(items.map((s) => v.verifySignatureSets([s], { batchable: true })));
    expect(results).toEqual([true, true, true, true, true, false, true, true]);
    expect(stats.verifyCallsByKind.multi_set).toBeGreaterThan(0);
    expect(stats.verifyCallsByKind.same_message).toBe(0);
  });

  it("undecodable and non-subgroup signatures fail alone", async () => {
    const v = new BatchingBlsVerifier({ maxBufferedSets: 32, maxBufferWaitMs: 50 });
    const bad = sigs.slice();
    bad[0] = nonSubgroupG2();
    bad[31] = new Uint8Array(96).fill(0xff);
    const results = await Promise.all(
      sets(msg, bad).map((s) => v.verifySignatureSets([s], { batchable: true })),
    );
    expect(results.map((r, i) => (r ? -1 : i)).filter((i) => i >= 0)).toEqual([0, 31]);
  });

  it("verifySameMessage: subgroup and infinity checks hold on the decompressed path, and the memo follows the bytes", () => {
    const ns = nonSubgroupG2();
    const inf = new Uint8Array(96);
    inf[0] = 0xc0;
    for (const bad of [ns, inf]) {
      expect(verifySameMessage(blstBls, msg, pks.slice(0, 1), [bad])).toBe(false);
      expect(verifySameMessage(blstBls, msg, pks.slice(0, 2), [sigs[0]!, bad])).toBe(false);
      // 32 sets: blst's multi-scalar path.
      expect(verifySameMessage(blstBls, msg, pks, [...sigs.slice(0, 31), bad])).toBe(false);
    }
    expect(verifySameMessage(blstBls, msg, pks, sigs)).toBe(true);
    // An array checked once, then overwritten with another signature: judged on its new bytes.
    const reused = sigs[2]!.slice();
    expect(verifySameMessage(blstBls, msg, [pks[2]!], [reused])).toBe(true);
    reused.set(sigs[3]!);
    expect(verifySameMessage(blstBls, msg, [pks[2]!], [reused])).toBe(false);
    expect(verifySameMessage(blstBls, msg, [pks[3]!], [reused])).toBe(true);
    reused.set(ns);
    expect(verifySameMessage(blstBls, msg, pks.slice(0, 2), [sigs[0]!, reused])).toBe(false);
  });

  it("non-batchable sets are verified at once; empty input is false", async () => {
    const stats = new BlsVerifierStats();
    const v = new BatchingBlsVerifier({}, { metrics: stats });
    expect(await v.verifySignatureSets(sets().slice(0, 3))).toBe(true);
    expect(await v.verifySignatureSets([])).toBe(false);
    expect(stats.batches).toBe(0);
    const wrong = { pubkeys: [pks[0]!], message: msg, signature: sigs[1]! };
    expect(await v.verifySignatureSets([wrong])).toBe(false);
  });

  it("verifySameMessage agrees with the noble backend's batch on good and bad input", () => {
    const good = verifySameMessage(blstBls, msg, pks.slice(0, 4), sigs.slice(0, 4));
    const nPks = keys.slice(0, 4).map((k) => nobleBls.publicKeyFromBytes(k.pubkey));
    expect(good).toBe(true);
    expect(verifySameMessage(nobleBls, msg, nPks, sigs.slice(0, 4))).toBe(true);
    const swapped = [sigs[1]!, sigs[0]!, sigs[2]!, sigs[3]!];
    expect(verifySameMessage(blstBls, msg, pks.slice(0, 4), swapped)).toBe(false);
    expect(verifySameMessage(nobleBls, msg, nPks, swapped)).toBe(false);
    // Handles of the other backend never verify.
    expect(verifySameMessage(blstBls, msg, nPks, sigs.slice(0, 4))).toBe(false);
  });

  it("a peer whose votes all fail costs a bounded number of checks; its later sets are dropped unverified", async () => {
    const stats = new BlsVerifierStats();
    const v = new BatchingBlsVerifier(
      { maxBufferedSets: 1000, maxBufferWaitMs: 1, singleChecksPerFailedPeer: 4, maxFailuresPerPeer: 2 },
      { metrics: stats },
    );
    // Every signature is another key's: all 32 forged, sent by one peer.
    const forged = sets(
      msg,
      sigs.map((_, i) => sigs[(i + 1) % sigs.length]!),
    );
    const verdicts = await Promise.all(
      forged.map((s) => v.judgeSignatureSets([s], { batchable: true, peer: "attacker" })),
    );
    // Bisection would need 32 + 16·5 = 112 checks; here: the batch, then 4 singles.
    expect(stats.verifyCalls).toBe(5);
    expect(verdicts.slice(0, 4)).toEqual(["invalid", "invalid", "invalid", "invalid"]);
    expect(verdicts.slice(4).every((x) => x === "dropped")).toBe(true);
    expect(stats.droppedSets).toBe(28);
    // A second failing batch spends the budget; a third is not verified at all.
    await Promise.all(forged.map((s) => v.judgeSignatureSets([s], { batchable: true, peer: "attacker" })));
    const calls = stats.verifyCalls;
    expect(await v.judgeSignatureSets([sets()[0]!], { batchable: true, peer: "attacker" })).toBe("dropped");
    expect(stats.verifyCalls).toBe(calls);
    // Another peer is untouched by it.
    expect(await v.judgeSignatureSets([sets()[0]!], { batchable: true, peer: "honest" })).toBe("valid");
  });

  it("an honest peer's votes in a batch with a forger's come out valid", async () => {
    const stats = new BlsVerifierStats();
    const v = new BatchingBlsVerifier({ maxBufferedSets: 1000, maxBufferWaitMs: 1 }, { metrics: stats });
    const good = sets().slice(0, 16);
    const forged = sets(
      msg,
      sigs.map((_, i) => sigs[(i + 1) % sigs.length]!),
    ).slice(16);
    const [honest, attacker] = await Promise.all([
      Promise.all(good.map((s) => v.judgeSignatureSets([s], { batchable: true, peer: "honest" }))),
      Promise.all(forged.map((s) => v.judgeSignatureSets([s], { batchable: true, peer: "attacker" }))),
    ]);
    expect(honest.every((x) => x === "valid")).toBe(true);
    expect(attacker.filter((x) => x === "invalid")).toHaveLength(4);
    expect(attacker.filter((x) => x === "dropped")).toHaveLength(12);
    // the whole batch, then each peer's share, then the forger's 4 singles
    expect(stats.verifyCalls).toBeLessThanOrEqual(1 + 2 + 4);
  });

  it("lets I/O callbacks run between the checks of a failing batch", async () => {
    const stats = new BlsVerifierStats();
    const v = new BatchingBlsVerifier({ maxBufferedSets: 1000, maxBufferWaitMs: 1 }, { metrics: stats });
    const forged = sigs.slice();
    forged[3] = sigs[4]!;
    const pending = sets(msg, forged).map((s) => v.judgeSignatureSets([s], { batchable: true }));
    v.flush();
    // Scheduled after the flush: without a yield between checks, every
    // bisection step would run (as microtasks) before this callback.
    const seen = await new Promise<number>((resolve) => setImmediate(() => resolve(stats.verifyCalls)));
    await Promise.all(pending);
    expect(stats.verifyCalls).toBeGreaterThan(2);
    expect(seen).toBeLessThan(stats.verifyCalls);
  });

  it("batches flushed together verify in separate turns of the event loop, one library call per turn", async () => {
    const stats = new BlsVerifierStats();
    const v = new BatchingBlsVerifier({ maxBufferedSets: 1000, maxBufferWaitMs: 60_000 }, { metrics: stats });
    // Three flushes before any I/O turn: each one's check used to wait for the
    // same turn, so all three ran back to back in it.
    const pending: Promise<boolean>[] = [];
    for (let f = 0; f < 3; f++) {
      pending.push(...sets().map((s) => v.verifySignatureSets([s], { batchable: true })));
      v.flush();
    }
    const seen: number[] = [];
    const probe = (): Promise<void> =>
      new Promise((resolve) =>
        setImmediate(() => {
          seen.push(stats.verifyCalls);
          resolve();
        }),
      );
    for (let i = 0; i < 4; i++) await probe();
    expect((await Promise.all(pending)).every(Boolean)).toBe(true);
    expect(stats.verifyCalls).toBe(3);
    expect(seen).toEqual([0, 1, 2, 3]);
  });

  it("splits distinct-message sets into calls of at most maxMultiSetSets", async () => {
    const stats = new BlsVerifierStats();
    const v = new BatchingBlsVerifier(
      { maxBufferedSets: 1000, maxBufferWaitMs: 60_000, maxMultiSetSets: 8 },
      { metrics: stats },
    );
    const items = keys.slice(0, 20).map((k, i) => {
      const m = new Uint8Array(32).fill(i + 1);
      return { pubkeys: [pks[i]!], message: m, signature: blstBls.sign(k.sk, m) };
    });
    const pending = items.map((s) => v.verifySignatureSets([s], { batchable: true }));
    v.flush();
    expect((await Promise.all(pending)).every(Boolean)).toBe(true);
    expect(stats.batches).toBe(1);
    expect(stats.verifyCallsByKind.multi_set).toBe(3);
    expect(() => new BatchingBlsVerifier({ maxMultiSetSets: 0 })).toThrow(RangeError);
  });

  it("a peer's batches queued behind its failures are dropped at their turn, unverified", async () => {
    const stats = new BlsVerifierStats();
    const v = new BatchingBlsVerifier(
      {
        maxBufferedSets: 1000,
        maxBufferWaitMs: 60_000,
        maxMultiSetSets: 4,
        singleChecksPerFailedPeer: 1,
        maxFailuresPerPeer: 2,
      },
      { metrics: stats },
    );
    // 24 forged votes over distinct messages in one flush: 6 calls' worth.
    const forged = keys.slice(0, 24).map((_, i) => {
      const m = new Uint8Array(32).fill(i + 1);
      return { pubkeys: [pks[i]!], message: m, signature: blstBls.sign(keys[(i + 1) % 32]!.sk, m) };
    });
    const verdicts = forged.map((s) => v.judgeSignatureSets([s], { batchable: true, peer: "attacker" }));
    v.flush();
    const out = await Promise.all(verdicts);
    // Two failing calls, one single check each; the four calls behind them never run.
    expect(stats.verifyCalls).toBe(4);
    expect(out.filter((x) => x === "invalid")).toHaveLength(2);
    expect(out.filter((x) => x === "dropped")).toHaveLength(22);
  });

  it("a same-message batch of 17–31 sets is padded to 32 with sets that already passed, and still fails on any bad set", () => {
    const verified = new VerifiedSameMessageSets();
    const key = toHex(msg);
    // A batch that fails leaves nothing to pad with.
    const forged = sigs.slice(0, 20);
    forged[7] = sigs[8]!;
    expect(verifySameMessage(blstBls, msg, pks.slice(0, 20), forged, verified)).toBe(false);
    expect(verified.heldFor(key)).toBe(0);
    // One that passes is remembered, up to 32 sets per message.
    expect(verifySameMessage(blstBls, msg, pks, sigs, verified)).toBe(true);
    expect(verified.heldFor(key)).toBe(SAME_MESSAGE_MSM_SETS);
    // 16 sets: cheaper alone than padded, so not padded.
    expect(verifySameMessage(blstBls, msg, pks.slice(0, 16), sigs.slice(0, 16), verified)).toBe(true);
    expect(verified.padded).toBe(0);
    // 20 sets: padded with 12.
    expect(verifySameMessage(blstBls, msg, pks.slice(12), sigs.slice(12), verified)).toBe(true);
    expect(verified.padded).toBe(12);
    // Padding with valid sets cannot carry a bad one: a swapped signature…
    expect(verifySameMessage(blstBls, msg, pks.slice(0, 20), forged, verified)).toBe(false);
    // …nor two that cancel out in a plain sum (σa + X, σb − X): the random scalars catch it.
    const G2 = bls12_381.G2.Point;
    const x = G2.fromHex(toHex(sigs[31]!).slice(2));
    const plus = G2.fromHex(toHex(sigs[3]!).slice(2)).add(x).toBytes(true);
    const minus = G2.fromHex(toHex(sigs[4]!).slice(2)).subtract(x).toBytes(true);
    const cancelling = sigs.slice(0, 20);
    cancelling[3] = plus;
    cancelling[4] = minus;
    const sum = (xs: Uint8Array[]) => xs.map((b) => G2.fromHex(toHex(b).slice(2))).reduce((a, b) => a.add(b));
    expect(sum(cancelling).equals(sum(sigs.slice(0, 20)))).toBe(true);
    expect(verifySameMessage(blstBls, msg, pks.slice(0, 20), cancelling, verified)).toBe(false);
    expect(verified.padded).toBe(36);
    // Another message is not padded with this one's sets.
    const other = new Uint8Array(32).fill(10);
    const otherSigs = keys.slice(0, 20).map((k) => blstBls.sign(k.sk, other));
    expect(verifySameMessage(blstBls, other, pks.slice(0, 20), otherSigs, verified)).toBe(true);
    expect(verified.padded).toBe(36);
    expect(verified.heldFor(toHex(other))).toBe(20);
  });

  it("remembers verified sets for a bounded number of messages, the oldest forgotten first", () => {
    const verified = new VerifiedSameMessageSets(2);
    const messages = [1, 2, 3].map((b) => new Uint8Array(32).fill(b));
    for (const m of messages) {
      const s = keys.slice(0, 2).map((k) => blstBls.sign(k.sk, m));
      expect(verifySameMessage(blstBls, m, pks.slice(0, 2), s, verified)).toBe(true);
    }
    expect(messages.map((m) => verified.heldFor(toHex(m)))).toEqual([0, 2, 2]);
  });

  it("the batching verifier pads a later batch over a message it verified before and counts it", async () => {
    const stats = new BlsVerifierStats();
    const v = new BatchingBlsVerifier({ maxBufferedSets: 32, maxBufferWaitMs: 1 }, { metrics: stats });
    expect(
      (await Promise.all(sets().map((s) => v.verifySignatureSets([s], { batchable: true })))).every(Boolean),
    ).toBe(true);
    expect(stats.paddedSets).toBe(0);
    const later = sets().slice(0, 21);
    expect(
      (await Promise.all(later.map((s) => v.verifySignatureSets([s], { batchable: true })))).every(Boolean),
    ).toBe(true);
    expect(stats.paddedSets).toBe(11);
    expect(stats.verifyCalls).toBe(2);
  });
});
