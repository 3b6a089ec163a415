import { bls12_381 } from "@noble/curves/bls12-381.js";
import {
  BLS_POP_DST,
  BLS_SIG_DST,
  type BlsBackend,
  BlsErrorCode,
  type BlsSignatureSet,
  blstBls,
  getBls,
  isProtocolError,
  nobleBls,
  toHex,
} from "@ocp/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { nonCanonicalG1, nonSubgroupG1, nonSubgroupG2, offCurveG1 } from "./points.js";

const backends: BlsBackend[] = [blstBls, nobleBls];

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isProtocolError(e) ? e.code : `untyped: ${String(e)}`;
  }
  return undefined;
}

function seeded(seed: number, n: number): Uint8Array {
  // xorshift32: reproducible bytes without a global RNG
  let x = Math.imul(seed + 1, 0x9e3779b1) >>> 0 || 1;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe("bls backends agree", () => {
  it("default backend is blst", () => {
    expect(getBls().name).toBe("blst");
  });

  it("keygen from IKM matches (EIP-2333 HKDF_mod_r), with and without key info", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 64 }),
        fc.uint8Array({ maxLength: 8 }),
        (ikm, info) => {
          const a = blstBls.secretKeyToBytes(blstBls.keygen(ikm, info));
          const b = nobleBls.secretKeyToBytes(nobleBls.keygen(ikm, info));
          expect(toHex(b)).toBe(toHex(a));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("rejects short IKM and out-of-range secret keys in both backends", () => {
    const r = bls12_381.fields.Fr.ORDER;
    const rBytes = seeded(1, 32);
    let v = r;
    for (let i = 31; i >= 0; i--) {
      rBytes[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    for (const bls of backends) {
      expect(codeOf(() => bls.keygen(new Uint8Array(31)))).toBe(BlsErrorCode.INVALID_SECRET_KEY);
      expect(codeOf(() => bls.secretKeyFromBytes(new Uint8Array(32)))).toBe(BlsErrorCode.INVALID_SECRET_KEY);
      expect(codeOf(() => bls.secretKeyFromBytes(rBytes))).toBe(BlsErrorCode.INVALID_SECRET_KEY);
      expect(codeOf(() => bls.secretKeyFromBytes(new Uint8Array(31).fill(1)))).toBe(
        BlsErrorCode.INVALID_SECRET_KEY,
      );
    }
  });

  it("same keys, signatures and PoPs byte for byte; each verifies the other's", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 64 }),
        (ikm, msg) => {
          const skB = blstBls.keygen(ikm);
          const skN = nobleBls.secretKeyFromBytes(blstBls.secretKeyToBytes(skB));
          const pkB = blstBls.publicKeyToBytes(blstBls.publicKey(skB));
          const pkN = nobleBls.publicKeyToBytes(nobleBls.publicKey(skN));
          expect(toHex(pkN)).toBe(toHex(pkB));
          const sigB = blstBls.sign(skB, msg);
          const sigN = nobleBls.sign(skN, msg);
          expect(toHex(sigN)).toBe(toHex(sigB));
          expect(
            nobleBls.verify(nobleBls.publicKeyFromBytes(pkB), msg, nobleBls.signatureFromBytes(sigB)),
          ).toBe(true);
          expect(blstBls.verify(blstBls.publicKeyFromBytes(pkN), msg, blstBls.signatureFromBytes(sigN))).toBe(
            true,
          );
          const popB = blstBls.popProve(skB);
          expect(toHex(nobleBls.popProve(skN))).toBe(toHex(popB));
          // Independent oracle: noble's own high-level verify with the POP DST.
          const H = bls12_381.longSignatures.hash(pkB, BLS_POP_DST);
          expect(bls12_381.longSignatures.verify(popB, H, pkB)).toBe(true);
          // And the signature ciphersuite is noble's verify with the SIG DST.
          expect(
            bls12_381.longSignatures.verify(sigB, bls12_381.longSignatures.hash(msg, BLS_SIG_DST), pkB),
          ).toBe(true);
        },
      ),
      { numRuns: 4 },
    );
  });

  it("aggregates are identical and verify across backends; a missing signer fails", () => {
    const msg = seeded(7, 32);
    const sks = [1, 2, 3, 4].map((i) => blstBls.keygen(seeded(100 + i, 32)));
    const sigs = sks.map((sk) => blstBls.sign(sk, msg));
    const pks = sks.map((sk) => blstBls.publicKeyToBytes(blstBls.publicKey(sk)));
    const aggs = backends.map((bls) =>
      bls.signatureToBytes(bls.aggregateSignatures(sigs.map((s) => bls.signatureFromBytes(s)))),
    );
    expect(toHex(aggs[1]!)).toBe(toHex(aggs[0]!));
    const aggPks = backends.map((bls) =>
      bls.publicKeyToBytes(bls.aggregatePublicKeys(pks.map((p) => bls.publicKeyFromBytes(p)))),
    );
    expect(toHex(aggPks[1]!)).toBe(toHex(aggPks[0]!));
    for (const bls of backends) {
      const keys = pks.map((p) => bls.publicKeyFromBytes(p));
      const agg = bls.signatureFromBytes(aggs[0]!);
      expect(bls.fastAggregateVerify(keys, msg, agg)).toBe(true);
      expect(bls.verify(bls.publicKeyFromBytes(aggPks[0]!), msg, agg)).toBe(true);
      expect(bls.fastAggregateVerify(keys.slice(1), msg, agg)).toBe(false);
      expect(bls.fastAggregateVerify(keys, seeded(8, 32), agg)).toBe(false);
      expect(bls.fastAggregateVerify([], msg, agg)).toBe(false);
    }
  });

  it("PoP: verifies in both backends; wrong key, wrong DST and batch with one bad proof fail", () => {
    const sks = [1, 2, 3].map((i) => blstBls.keygen(seeded(200 + i, 32)));
    const pks = sks.map((sk) => blstBls.publicKeyToBytes(blstBls.publicKey(sk)));
    const pops = sks.map((sk) => blstBls.popProve(sk));
    for (const bls of backends) {
      const keys = pks.map((p) => bls.publicKeyFromBytes(p));
      expect(bls.popVerify(keys[0]!, pops[0]!)).toBe(true);
      expect(bls.popVerify(keys[1]!, pops[0]!)).toBe(false);
      // A signature-ciphersuite signature over the pubkey is not a PoP.
      expect(bls.popVerify(keys[0]!, blstBls.sign(sks[0]!, pks[0]!))).toBe(false);
      expect(bls.popVerifyBatch(keys.map((k, i) => ({ pubkey: k, pop: pops[i]! })))).toBe(true);
      const swapped = [pops[0]!, pops[2]!, pops[1]!];
      expect(bls.popVerifyBatch(keys.map((k, i) => ({ pubkey: k, pop: swapped[i]! })))).toBe(false);
      expect(bls.popVerify(keys[0]!, new Uint8Array(96))).toBe(false);
    }
  });
});

describe("bls decoding rejects bad points with typed errors", () => {
  const sk = blstBls.keygen(seeded(300, 32));
  const pk = blstBls.publicKeyToBytes(blstBls.publicKey(sk));
  const sig = blstBls.sign(sk, seeded(301, 32));
  const inf48 = new Uint8Array(48);
  inf48[0] = 0xc0;
  const inf96 = new Uint8Array(96);
  inf96[0] = 0xc0;
  const flip = (b: Uint8Array, mask: number, on: boolean): Uint8Array => {
    const c = b.slice();
    c[0] = on ? c[0]! | mask : c[0]! & ~mask;
    return c;
  };

  for (const bls of backends) {
    it(`${bls.name}: public keys`, () => {
      expect(toHex(bls.publicKeyToBytes(bls.publicKeyFromBytes(pk)))).toBe(toHex(pk));
      expect(codeOf(() => bls.publicKeyFromBytes(inf48))).toBe(BlsErrorCode.INFINITY);
      expect(codeOf(() => bls.publicKeyFromBytes(nonSubgroupG1()))).toBe(BlsErrorCode.NOT_IN_SUBGROUP);
      expect(codeOf(() => bls.publicKeyFromBytes(offCurveG1()))).toBe(BlsErrorCode.INVALID_ENCODING);
      expect(codeOf(() => bls.publicKeyFromBytes(nonCanonicalG1()))).toBe(BlsErrorCode.INVALID_ENCODING);
      // valid point, compression flag cleared / infinity flag added
      expect(codeOf(() => bls.publicKeyFromBytes(flip(pk, 0x80, false)))).toBe(BlsErrorCode.INVALID_ENCODING);
      expect(codeOf(() => bls.publicKeyFromBytes(flip(pk, 0x40, true)))).toBe(BlsErrorCode.INVALID_ENCODING);
      expect(codeOf(() => bls.publicKeyFromBytes(pk.subarray(0, 47)))).toBe(BlsErrorCode.INVALID_LENGTH);
      expect(codeOf(() => bls.publicKeyFromBytes(new Uint8Array(96)))).toBe(BlsErrorCode.INVALID_LENGTH);
      // the sign flag selects −P: a different, valid key
      const neg = bls.publicKeyToBytes(bls.publicKeyFromBytes(flip(pk, 0x20, !(pk[0]! & 0x20))));
      expect(toHex(neg)).not.toBe(toHex(pk));
    });

    it(`${bls.name}: signatures`, () => {
      expect(toHex(bls.signatureToBytes(bls.signatureFromBytes(sig)))).toBe(toHex(sig));
      expect(codeOf(() => bls.signatureFromBytes(inf96))).toBe(BlsErrorCode.INFINITY);
      expect(codeOf(() => bls.signatureFromBytes(nonSubgroupG2()))).toBe(BlsErrorCode.NOT_IN_SUBGROUP);
      expect(codeOf(() => bls.signatureFromBytes(flip(sig, 0x80, false)))).toBe(
        BlsErrorCode.INVALID_ENCODING,
      );
      expect(codeOf(() => bls.signatureFromBytes(flip(sig, 0x40, true)))).toBe(BlsErrorCode.INVALID_ENCODING);
      expect(codeOf(() => bls.signatureFromBytes(sig.subarray(1)))).toBe(BlsErrorCode.INVALID_LENGTH);
      expect(codeOf(() => bls.signatureFromBytes(undefined as unknown as Uint8Array))).toBe(
        BlsErrorCode.INVALID_LENGTH,
      );
    });
  }

  it("handles from one backend are refused by the other", () => {
    const nPk = nobleBls.publicKeyFromBytes(pk);
    expect(codeOf(() => blstBls.publicKeyToBytes(nPk))).toBe(BlsErrorCode.WRONG_BACKEND);
    expect(blstBls.verify(nPk, seeded(301, 32), blstBls.signatureFromBytes(sig))).toBe(false);
    expect(codeOf(() => nobleBls.aggregatePublicKeys([blstBls.publicKeyFromBytes(pk)]))).toBe(
      BlsErrorCode.WRONG_BACKEND,
    );
    expect(codeOf(() => blstBls.aggregateSignatures([]))).toBe(BlsErrorCode.EMPTY_INPUT);
  });
});

describe("randomized batch verification", () => {
  function makeSets(n: number, bls: BlsBackend): BlsSignatureSet[] {
    const sets: BlsSignatureSet[] = [];
    for (let i = 0; i < n; i++) {
      const sks = [0, 1].slice(0, 1 + (i % 2)).map((j) => blstBls.keygen(seeded(1000 + 10 * i + j, 32)));
      // half the sets share one message, half have their own
      const message = i % 3 === 0 ? seeded(5, 32) : seeded(2000 + i, 32);
      const sig = blstBls.signatureToBytes(
        blstBls.aggregateSignatures(sks.map((sk) => blstBls.signatureFromBytes(blstBls.sign(sk, message)))),
      );
      sets.push({
        pubkeys: sks.map((sk) => bls.publicKeyFromBytes(blstBls.publicKeyToBytes(blstBls.publicKey(sk)))),
        message,
        signature: sig,
      });
    }
    return sets;
  }

  for (const [bls, n] of [
    [blstBls, 48],
    [nobleBls, 4],
  ] as const) {
    it(`${bls.name}: ${n} valid sets pass; any one bad signature fails the batch`, () => {
      const sets = makeSets(n, bls);
      expect(bls.verifyBatch(sets)).toBe(true);
      for (const bad of [0, n - 1, n >> 1]) {
        const other = sets[(bad + 1) % n]!;
        // A valid signature, but by other keys over (possibly) another message.
        const broken = sets.map((s, i) => (i === bad ? { ...s, signature: other.signature } : s));
        expect(bls.verifyBatch(broken)).toBe(false);
      }
      // Swapping two signatures keeps the sum of signatures but must still fail.
      const swapped = sets.map((s, i) =>
        i === 1
          ? { ...s, signature: sets[2]!.signature }
          : i === 2
            ? { ...s, signature: sets[1]!.signature }
            : s,
      );
      expect(bls.verifyBatch(swapped)).toBe(false);
      const inf = new Uint8Array(96);
      inf[0] = 0xc0;
      expect(bls.verifyBatch(sets.map((s, i) => (i === 0 ? { ...s, signature: inf } : s)))).toBe(false);
      expect(bls.verifyBatch([])).toBe(false);
    });
  }
});
