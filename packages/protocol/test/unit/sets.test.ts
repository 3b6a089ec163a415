import {
  buildVerifierSet,
  governingSet,
  isProtocolError,
  MAX_VERIFIERS_PER_SET,
  nobleBls,
  quorumReached,
  SetErrorCode,
  toHex,
  type VerifierSetData,
  VerifierSetRegistry,
  verifierIndexOf,
} from "@ocp/protocol";
import fc from "fast-check";
import { concat, encodeAbiParameters, keccak256 } from "viem";
import { describe, expect, it } from "vitest";
import { nonSubgroupG1 } from "./bls/points.js";
import { setData, testVerifier, testVerifiers } from "./helpers/verifiers.js";

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isProtocolError(e) ? e.code : `untyped: ${String(e)}`;
  }
  return undefined;
}

const four = testVerifiers(4, 0, (i) => BigInt(i + 1));

describe("verifier set validation", () => {
  it("builds a valid set; setId and keysHash match viem's abi.encode", () => {
    const data = setData(four, {
      epoch: 7n,
      activationSlot: 1234n,
      quorum: { numerator: 3, denominator: 4 },
    });
    const set = buildVerifierSet(data);
    expect(set.size).toBe(4);
    expect(set.totalWeight).toBe(10n);
    const keysHash = keccak256(concat(four.map((v) => toHex(v.entry.pubkey))));
    expect(toHex(set.keysHash)).toBe(keysHash);
    const expected = keccak256(
      encodeAbiParameters(
        [
          { type: "uint64" },
          { type: "bytes32" },
          { type: "uint64[]" },
          { type: "uint64" },
          { type: "uint64" },
        ],
        [7n, keysHash, [1n, 2n, 3n, 4n], 3n, 4n],
      ),
    );
    expect(set.setIdHex).toBe(expected);
    expect(toHex(set.setId)).toBe(expected);
  });

  it("setId matches viem for random epochs, weights and quorums", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.array(fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), { minLength: 4, maxLength: 4 }),
        fc
          .integer({ min: 1, max: 1_000_000 })
          .chain((den) =>
            fc.tuple(fc.integer({ min: Math.ceil((2 * den) / 3), max: den }), fc.constant(den)),
          ),
        (epoch, weights, [num, den]) => {
          const vs = four.map((v, i) => ({ ...v, entry: { ...v.entry, weight: weights[i]! } }));
          const set = buildVerifierSet(setData(vs, { epoch, quorum: { numerator: num, denominator: den } }));
          const keysHash = keccak256(concat(four.map((v) => toHex(v.entry.pubkey))));
          const expected = keccak256(
            encodeAbiParameters(
              [
                { type: "uint64" },
                { type: "bytes32" },
                { type: "uint64[]" },
                { type: "uint64" },
                { type: "uint64" },
              ],
              [epoch, keysHash, weights, BigInt(num), BigInt(den)],
            ),
          );
          expect(set.setIdHex).toBe(expected);
          expect(set.totalWeight).toBe(weights.reduce((a, b) => a + b, 0n));
        },
      ),
      { numRuns: 30 },
    );
  });

  it("noble-built set has the same id and accepts the same PoPs", () => {
    const a = buildVerifierSet(setData(four.slice(0, 2)));
    const b = buildVerifierSet(setData(four.slice(0, 2)), { bls: nobleBls });
    expect(b.setIdHex).toBe(a.setIdHex);
    expect(b.bls.name).toBe("noble");
  });

  it("rejects a duplicate key and a key with its negation", () => {
    const dup = setData([...four, four[1]!]);
    expect(codeOf(() => buildVerifierSet(dup))).toBe(SetErrorCode.DUPLICATE_KEY);
    const negated = setData(four);
    const neg = four[2]!.entry.pubkey.slice();
    neg[0]! ^= 0x20;
    negated.verifiers.push({ pubkey: neg, weight: 1n, pop: four[2]!.entry.pop });
    expect(codeOf(() => buildVerifierSet(negated))).toBe(SetErrorCode.NEGATED_KEY);
  });

  it("rejects a bad PoP and names the verifier", () => {
    const data = setData(four);
    data.verifiers[2] = { ...data.verifiers[2]!, pop: four[3]!.entry.pop };
    try {
      buildVerifierSet(data);
      expect.unreachable();
    } catch (e) {
      expect(isProtocolError(e) && e.code).toBe(SetErrorCode.BAD_POP);
      expect(isProtocolError(e) && e.detail).toContain("verifiers[2]");
    }
  });

  it("rejects infinity and non-subgroup keys", () => {
    const inf = new Uint8Array(48);
    inf[0] = 0xc0;
    const data = setData(four);
    data.verifiers[0] = { ...data.verifiers[0]!, pubkey: inf };
    expect(codeOf(() => buildVerifierSet(data))).toBe(SetErrorCode.INFINITY_KEY);
    data.verifiers[0] = { ...data.verifiers[0]!, pubkey: nonSubgroupG1() };
    expect(codeOf(() => buildVerifierSet(data))).toBe(SetErrorCode.INVALID_KEY);
  });

  it("checks the quorum exactly: ≥ 2/3, 0 < den, num ≤ den", () => {
    const q = (numerator: number, denominator: number) =>
      codeOf(() => buildVerifierSet(setData(four, { quorum: { numerator, denominator } })));
    expect(q(2, 3)).toBeUndefined();
    expect(q(667, 1000)).toBeUndefined();
    expect(q(1, 1)).toBeUndefined();
    expect(q(666, 1000)).toBe(SetErrorCode.QUORUM_TOO_LOW);
    expect(q(1, 2)).toBe(SetErrorCode.QUORUM_TOO_LOW);
    expect(q(2 * 2 ** 50 - 1, 3 * 2 ** 50)).toBe(SetErrorCode.QUORUM_TOO_LOW);
    expect(q(0, 0)).toBe(SetErrorCode.BAD_QUORUM);
    expect(q(4, 3)).toBe(SetErrorCode.BAD_QUORUM);
    expect(q(2.5, 3)).toBe(SetErrorCode.BAD_QUORUM);
  });

  it("checks weights and counts", () => {
    const w = (weight: bigint) => {
      const d = setData(four);
      d.verifiers[1] = { ...d.verifiers[1]!, weight };
      return codeOf(() => buildVerifierSet(d));
    };
    expect(w(0n)).toBe(SetErrorCode.INVALID_WEIGHT);
    expect(w(-1n)).toBe(SetErrorCode.INVALID_WEIGHT);
    expect(w(1n << 64n)).toBe(SetErrorCode.INVALID_WEIGHT);
    expect(w((1n << 64n) - 1n)).toBeUndefined();
    expect(codeOf(() => buildVerifierSet(setData([])))).toBe(SetErrorCode.EMPTY);
    const many = setData([]);
    many.verifiers = Array.from({ length: MAX_VERIFIERS_PER_SET + 1 }, () => ({ ...four[0]!.entry }));
    expect(codeOf(() => buildVerifierSet(many))).toBe(SetErrorCode.TOO_MANY_VERIFIERS);
  });

  it("garbage input yields typed errors, never anything else", () => {
    const codes = new Set(Object.values(SetErrorCode) as string[]);
    fc.assert(
      fc.property(fc.anything(), (junk) => {
        const c = codeOf(() => buildVerifierSet(junk as VerifierSetData));
        expect(c !== undefined && codes.has(c)).toBe(true);
      }),
    );
    fc.assert(
      fc.property(
        fc.record({
          epoch: fc.anything(),
          activationSlot: fc.anything(),
          quorum: fc.anything(),
          verifiers: fc.anything(),
        }),
        (junk) => {
          const c = codeOf(() => buildVerifierSet(junk as VerifierSetData));
          expect(c !== undefined && codes.has(c)).toBe(true);
        },
      ),
    );
  });

  it("quorumReached is strict", () => {
    // total 10, 2/3: needs signed·3 > 20, i.e. ≥ 7
    const set = buildVerifierSet(setData(four));
    expect(quorumReached(set, 6n)).toBe(false);
    expect(quorumReached(set, 7n)).toBe(true);
    // 3/4 of 8: exactly 6 is not enough
    const even = buildVerifierSet(
      setData(
        testVerifiers(4, 0, () => 2n),
        { quorum: { numerator: 3, denominator: 4 } },
      ),
    );
    expect(quorumReached(even, 6n)).toBe(false);
    expect(quorumReached(even, 7n)).toBe(true);
  });
});

describe("verifierIndexOf", () => {
  it("finds each member by value, in order, and answers -1 for any other key", () => {
    const set = buildVerifierSet(setData(four));
    four.forEach((v, i) => {
      // a copy: the lookup is by the key's bytes, not by the array that holds them
      expect(verifierIndexOf(set, v.entry.pubkey.slice())).toBe(i);
    });
    const outsider = testVerifier(9);
    expect(verifierIndexOf(set, outsider.entry.pubkey)).toBe(-1);
    const mangled = four[2]!.entry.pubkey.slice();
    mangled[47]! ^= 1;
    expect(verifierIndexOf(set, mangled)).toBe(-1);
    expect(verifierIndexOf(set, new Uint8Array(0))).toBe(-1);
  });

  it("answers per set: the same key at another index in another set", () => {
    const a = buildVerifierSet(setData(four));
    const b = buildVerifierSet(setData([...four].reverse(), { epoch: 1n, activationSlot: 10n }));
    expect(verifierIndexOf(a, four[0]!.entry.pubkey)).toBe(0);
    expect(verifierIndexOf(b, four[0]!.entry.pubkey)).toBe(3);
    expect(verifierIndexOf(a, four[3]!.entry.pubkey)).toBe(3);
    expect(verifierIndexOf(b, four[3]!.entry.pubkey)).toBe(0);
  });
});

describe("governing set", () => {
  const vs = [...four, testVerifier(4)];
  const mk = (epoch: bigint, activationSlot: bigint, from = 0) =>
    buildVerifierSet(setData(vs.slice(from, from + 4), { epoch, activationSlot }));
  const e0 = mk(0n, 10n);
  const e1 = mk(1n, 100n, 1);
  const e2 = mk(2n, 200n);

  it("is the set with the greatest activation slot ≤ slot", () => {
    const reg = new VerifierSetRegistry([e2, e0, e1]);
    const cases: [bigint, unknown][] = [
      [0n, undefined],
      [9n, undefined],
      [10n, e0],
      [99n, e0],
      [100n, e1],
      [199n, e1],
      [200n, e2],
      [10n ** 12n, e2],
    ];
    for (const [slot, want] of cases) {
      expect(reg.governing(slot)).toBe(want);
      expect(governingSet([e1, e2, e0], slot)).toBe(want);
    }
    expect(reg.get(e1.setId)).toBe(e1);
    expect(reg.getByEpoch(2n)).toBe(e2);
    expect(reg.get(new Uint8Array(32))).toBeUndefined();
    expect(reg.values().map((s) => s.epoch)).toEqual([0n, 1n, 2n]);
  });

  it("rejects ties, duplicate epochs and out-of-order epochs; re-adding is a no-op", () => {
    const tie = mk(3n, 100n, 0);
    const reg = new VerifierSetRegistry([e0, e1]);
    expect(codeOf(() => reg.add(tie))).toBe(SetErrorCode.DUPLICATE_ACTIVATION_SLOT);
    expect(codeOf(() => governingSet([e0, e1, tie], 150n))).toBe(SetErrorCode.DUPLICATE_ACTIVATION_SLOT);
    expect(codeOf(() => reg.add(mk(1n, 300n)))).toBe(SetErrorCode.DUPLICATE_EPOCH);
    expect(codeOf(() => reg.add(mk(5n, 50n)))).toBe(SetErrorCode.EPOCH_ORDER);
    reg.add(e1);
    expect(reg.size).toBe(2);
  });
});
