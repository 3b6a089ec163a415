// Equivocation evidence: builder side (secp256k1) and verifier side (BLS).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { BlsBackend, BlsSecretKey } from "../../src/bls/index.js";
import { getBls, nobleBls } from "../../src/bls/index.js";
import { addressFromPrivateKey, signCommitment } from "../../src/builder.js";
import { observationRoot } from "../../src/eip712.js";
import {
  buildBuilderEquivocation,
  buildVerifierEquivocation,
  EvidenceErrorCode,
  evidenceKey,
  normalizeBuilderEquivocation,
  normalizeVerifierEquivocation,
  verifyBuilderEquivocation,
  verifyVerifierEquivocation,
} from "../../src/evidence.js";
import { toHex } from "../../src/hex.js";
import { buildVerifierSet, VerifierSetRegistry } from "../../src/index.js";
import {
  builderEquivocationToJson,
  parseBuilderEquivocationJson,
  parseJsonText,
  parseVerifierEquivocationJson,
  verifierEquivocationToJson,
} from "../../src/json.js";
import type { VerifierSet } from "../../src/sets.js";
import type { Attestation, Domain, Observation, SignedCommitment } from "../../src/types.js";
import { domain, observation } from "./messageArbitraries.js";

const key = (n: number): Uint8Array => {
  const k = new Uint8Array(32);
  k[31] = n;
  k[0] = 0x42;
  return k;
};
const K1 = key(1);
const K2 = key(2);

const lt = (a: Uint8Array, b: Uint8Array): boolean => toHex(a) < toHex(b);

function sign(k: Uint8Array, d: Domain, o: Observation): SignedCommitment {
  return signCommitment(d, { observation: o, builder: addressFromPrivateKey(k) }, k);
}

/** Two observations for the same (stream, slot) that differ in the table digest. */
const conflicting = (): fc.Arbitrary<[Observation, Observation]> =>
  fc
    .tuple(observation(), fc.uint8Array({ minLength: 32, maxLength: 32 }))
    .filter(([o, t]) => toHex(o.tableDigest) !== toHex(t))
    .map(([o, t]) => [o, { ...o, tableDigest: t }]);

describe("builder equivocation", () => {
  it("builds in canonical order, verifies either way round, one key per offender and slot", () => {
    fc.assert(
      fc.property(domain(), conflicting(), (d, [o1, o2]) => {
        const s1 = sign(K1, d, o1);
        const s2 = sign(K1, d, o2);
        const ev = buildBuilderEquivocation(s1, s2);
        const ev2 = buildBuilderEquivocation(s2, s1);
        expect(ev.ok && ev2.ok).toBe(true);
        if (!ev.ok || !ev2.ok) return;
        expect(ev.value).toEqual(ev2.value);
        expect(
          lt(
            observationRoot(d, ev.value.a.commitment.observation),
            observationRoot(d, ev.value.b.commitment.observation),
          ),
        ).toBe(true);
        expect(normalizeBuilderEquivocation({ a: ev.value.b, b: ev.value.a })).toEqual(ev.value);

        const r = verifyBuilderEquivocation(ev.value);
        const rSwapped = verifyBuilderEquivocation({ a: ev.value.b, b: ev.value.a });
        expect(r.ok && rSwapped.ok).toBe(true);
        if (!r.ok || !rSwapped.ok) return;
        expect(toHex(r.value.builder)).toBe(toHex(addressFromPrivateKey(K1)));
        expect(r.value.slot).toBe(o1.slot);
        expect(toHex(r.value.stream)).toBe(toHex(o1.stream));
        expect(evidenceKey(r.value)).toBe(evidenceKey(rSwapped.value));

        // A third conflicting observation for the same slot: same offender, same key.
        const o3 = { ...o1, l1BlockHash: o1.l1BlockHash.map((x) => x ^ 0xff) };
        const r3 = verifyBuilderEquivocation({ a: s1, b: sign(K1, d, o3) });
        expect(r3.ok).toBe(true);
        if (r3.ok) expect(evidenceKey(r3.value)).toBe(evidenceKey(r.value));

        // Evidence survives its JSON form.
        const back = parseBuilderEquivocationJson(
          parseJsonText(JSON.stringify(builderEquivocationToJson(ev.value))),
        );
        expect(verifyBuilderEquivocation(back).ok).toBe(true);
      }),
      { numRuns: 15 },
    );
  });

  it("evidenceKey separates offender, slot, stream and domain", () => {
    const d: Domain = { chainId: 1, verifyingContract: new Uint8Array(20) };
    const base = {
      kind: "builder" as const,
      builder: new Uint8Array(20),
      domain: d,
      stream: new Uint8Array(32),
      slot: 5n,
    };
    const keys = new Set([
      evidenceKey(base),
      evidenceKey({ ...base, builder: new Uint8Array(20).fill(1) }),
      evidenceKey({ ...base, slot: 6n }),
      evidenceKey({ ...base, stream: new Uint8Array(32).fill(1) }),
      evidenceKey({ ...base, domain: { ...d, chainId: 2 } }),
      evidenceKey({ ...base, domain: { ...d, verifyingContract: new Uint8Array(20).fill(1) } }),
      evidenceKey({ kind: "verifier", pubkey: new Uint8Array(20), domain: d, stream: base.stream, slot: 5n }),
    ]);
    expect(keys.size).toBe(7);
  });

  it("rejects non-equivocations with the right code", () => {
    const d: Domain = { chainId: 31337, verifyingContract: new Uint8Array(20).fill(7) };
    const [o1, o2] = fc.sample(conflicting(), { numRuns: 1, seed: 3 })[0]!;
    const s1 = sign(K1, d, o1);
    const s2 = sign(K1, d, o2);
    const code = (a: SignedCommitment, b: SignedCommitment) => {
      const r = verifyBuilderEquivocation({ a, b });
      const built = buildBuilderEquivocation(a, b);
      expect(built.ok).toBe(r.ok);
      return r.ok ? "ok" : r.code;
    };
    expect(code(s1, s2)).toBe("ok");
    // Same observation twice (even re-signed) is not equivocation.
    expect(code(s1, s1)).toBe(EvidenceErrorCode.SAME_OBSERVATION);
    expect(code(s1, sign(K1, d, { ...o1 }))).toBe(EvidenceErrorCode.SAME_OBSERVATION);
    expect(code(s1, sign(K1, d, { ...o2, slot: o1.slot ^ 1n }))).toBe(EvidenceErrorCode.DIFFERENT_SLOT);
    expect(code(s1, sign(K1, d, { ...o2, stream: o1.stream.map((x) => x ^ 1) }))).toBe(
      EvidenceErrorCode.DIFFERENT_STREAM,
    );
    expect(code(s1, sign(K1, { ...d, chainId: 1 }, o2))).toBe(EvidenceErrorCode.DIFFERENT_DOMAIN);
    expect(code(s1, sign(K1, { ...d, verifyingContract: new Uint8Array(20) }, o2))).toBe(
      EvidenceErrorCode.DIFFERENT_DOMAIN,
    );
    expect(code(s1, sign(K2, d, o2))).toBe(EvidenceErrorCode.DIFFERENT_SIGNER);
    // K2 signs a commitment claiming K1's address: the signature does not recover to K1.
    const forged = signCommitment(d, { observation: o2, builder: addressFromPrivateKey(K1) }, K2);
    const r = verifyBuilderEquivocation({ a: s1, b: forged });
    expect(r).toMatchObject({
      ok: false,
      code: EvidenceErrorCode.BAD_SIGNATURE,
      detail: "b: BUILDER_SIG_ERROR_WRONG_BUILDER",
    });
    // Tampered signature bytes.
    const bad = { ...s2, signature: s2.signature.slice() };
    bad.signature[64] = 29;
    expect(verifyBuilderEquivocation({ a: bad, b: s1 })).toMatchObject({
      ok: false,
      code: EvidenceErrorCode.BAD_SIGNATURE,
      detail: "a: BUILDER_SIG_ERROR_BAD_V",
    });
  });

  it("never throws on malformed evidence", () => {
    const d: Domain = { chainId: 1, verifyingContract: new Uint8Array(20) };
    const [o1] = fc.sample(conflicting(), { numRuns: 1, seed: 5 })[0]!;
    const s1 = sign(K1, d, o1);
    for (const ev of [
      null,
      undefined,
      1,
      {},
      { a: s1 },
      { a: s1, b: null },
      { a: s1, b: { ...s1, domain: { chainId: -1 } } },
      { a: s1, b: { ...s1, signature: "x" } },
    ]) {
      expect(verifyBuilderEquivocation(ev as never)).toMatchObject({
        ok: false,
        code: EvidenceErrorCode.MALFORMED,
      });
      expect(normalizeBuilderEquivocation(ev as never)).toBe(ev);
    }
  });
});

// ---------------------------------------------------------------------------

const blst = getBls();
const blsKey = (n: number, bls: BlsBackend = blst): BlsSecretKey => bls.keygen(new Uint8Array(32).fill(n));
const SKS = [1, 2, 3, 4, 5].map((n) => blsKey(n));
const pubOf = (sk: BlsSecretKey): Uint8Array => blst.publicKeyToBytes(blst.publicKey(sk));

function makeSet(
  epoch: bigint,
  activationSlot: bigint,
  sks: BlsSecretKey[],
  bls: BlsBackend = blst,
): VerifierSet {
  return buildVerifierSet(
    {
      epoch,
      activationSlot,
      quorum: { numerator: 2, denominator: 3 },
      verifiers: sks.map((sk) => ({
        pubkey: bls.publicKeyToBytes(bls.publicKey(sk)),
        weight: 1n,
        pop: bls.popProve(sk),
      })),
    },
    { bls },
  );
}

// Epoch 0: keys 1,2,3,4; epoch 1: keys 3,5,1 (key 1 moves from index 0 to 2).
const SET0 = makeSet(0n, 0n, [SKS[0]!, SKS[1]!, SKS[2]!, SKS[3]!]);
const SET1 = makeSet(1n, 100n, [SKS[2]!, SKS[4]!, SKS[0]!]);
const SETS = [SET0, SET1];

const D: Domain = { chainId: 31337, verifyingContract: new Uint8Array(20).fill(0xaa) };

function attest(
  sk: BlsSecretKey,
  set: VerifierSet,
  index: number,
  o: Observation,
  d: Domain = D,
  bls: BlsBackend = blst,
): Attestation {
  return {
    domain: d,
    observation: o,
    setId: set.setId,
    verifierIndex: index,
    signature: bls.sign(sk, observationRoot(d, o)),
  };
}

describe("verifier equivocation", () => {
  const [o1, o2] = fc.sample(conflicting(), { numRuns: 1, seed: 11 })[0]!;
  const a1 = attest(SKS[1]!, SET0, 1, o1);
  const a2 = attest(SKS[1]!, SET0, 1, o2);

  it("builds in canonical order and verifies either way round, with a registry or a list", () => {
    const ev = buildVerifierEquivocation(a2, a1, SETS);
    expect(ev.ok).toBe(true);
    if (!ev.ok) return;
    expect(lt(observationRoot(D, ev.value.a.observation), observationRoot(D, ev.value.b.observation))).toBe(
      true,
    );
    expect(buildVerifierEquivocation(a1, a2, SETS)).toEqual(ev);
    expect(normalizeVerifierEquivocation({ a: ev.value.b, b: ev.value.a })).toEqual(ev.value);

    const registry = new VerifierSetRegistry(SETS);
    for (const sets of [SETS, registry]) {
      for (const pair of [ev.value, { a: ev.value.b, b: ev.value.a }]) {
        const r = verifyVerifierEquivocation(pair, sets);
        expect(r.ok).toBe(true);
        if (!r.ok) continue;
        expect(toHex(r.value.pubkey)).toBe(toHex(pubOf(SKS[1]!)));
        expect(r.value.slot).toBe(o1.slot);
        expect(toHex(r.value.stream)).toBe(toHex(o1.stream));
      }
    }
    const back = parseVerifierEquivocationJson(
      parseJsonText(JSON.stringify(verifierEquivocationToJson(ev.value))),
    );
    expect(verifyVerifierEquivocation(back, registry).ok).toBe(true);
  });

  it("one key in two sets at different indices is one offender", () => {
    const x = attest(SKS[0]!, SET0, 0, o1);
    const y = attest(SKS[0]!, SET1, 2, o2);
    const r = verifyVerifierEquivocation({ a: x, b: y }, SETS);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(toHex(r.value.pubkey)).toBe(toHex(pubOf(SKS[0]!)));
    // Same offender and slot as an equivocation inside one set: same dedup key.
    const o3 = { ...o1, entryCount: o1.entryCount === 0 ? 1 : o1.entryCount - 1 };
    const r2 = verifyVerifierEquivocation({ a: x, b: attest(SKS[0]!, SET0, 0, o3) }, SETS);
    expect(r2.ok).toBe(true);
    if (r2.ok) expect(evidenceKey(r2.value)).toBe(evidenceKey(r.value));
    const other = verifyVerifierEquivocation({ a: a1, b: a2 }, SETS);
    if (other.ok) expect(evidenceKey(other.value)).not.toBe(evidenceKey(r.value));
  });

  it("signatures from the noble backend verify against blst-built sets (independent implementations)", () => {
    const sk = blsKey(2, nobleBls);
    const x = attest(sk, SET0, 1, o1, D, nobleBls);
    const y = attest(sk, SET0, 1, o2, D, nobleBls);
    expect(toHex(x.signature)).toBe(toHex(a1.signature));
    expect(verifyVerifierEquivocation({ a: x, b: y }, SETS).ok).toBe(true);
    // And a noble-built copy of SET0 (same keys, so same setId) checks blst signatures.
    const nobleSet = makeSet(
      0n,
      0n,
      [1, 2, 3, 4].map((n) => blsKey(n, nobleBls)),
      nobleBls,
    );
    expect(toHex(nobleSet.setId)).toBe(toHex(SET0.setId));
    expect(verifyVerifierEquivocation({ a: a1, b: a2 }, [nobleSet]).ok).toBe(true);
    expect(
      verifyVerifierEquivocation({ a: a1, b: { ...a2, signature: a1.signature } }, [nobleSet]),
    ).toMatchObject({
      ok: false,
      code: EvidenceErrorCode.BAD_SIGNATURE,
    });
  });

  it("rejects non-equivocations with the right code", () => {
    const code = (a: Attestation, b: Attestation, sets: readonly VerifierSet[] = SETS): string => {
      const r = verifyVerifierEquivocation({ a, b }, sets);
      expect(buildVerifierEquivocation(a, b, sets).ok).toBe(r.ok);
      return r.ok ? "ok" : r.code;
    };
    expect(code(a1, a2)).toBe("ok");
    expect(code(a1, a1)).toBe(EvidenceErrorCode.SAME_OBSERVATION);
    // Same observation under two sets is still the same vote.
    expect(code(attest(SKS[0]!, SET0, 0, o1), attest(SKS[0]!, SET1, 2, o1))).toBe(
      EvidenceErrorCode.SAME_OBSERVATION,
    );
    expect(code(a1, attest(SKS[1]!, SET0, 1, { ...o2, slot: o1.slot ^ 1n }))).toBe(
      EvidenceErrorCode.DIFFERENT_SLOT,
    );
    expect(code(a1, attest(SKS[1]!, SET0, 1, { ...o2, stream: o2.stream.map((x) => x ^ 1) }))).toBe(
      EvidenceErrorCode.DIFFERENT_STREAM,
    );
    expect(code(a1, attest(SKS[1]!, SET0, 1, o2, { ...D, chainId: 1 }))).toBe(
      EvidenceErrorCode.DIFFERENT_DOMAIN,
    );
    // Two different verifiers, each signing honestly, are no equivocation.
    expect(code(a1, attest(SKS[2]!, SET0, 2, o2))).toBe(EvidenceErrorCode.DIFFERENT_SIGNER);
    // Claiming index 1 while the signature is key 3's: the claimed key did not sign.
    const forged = { ...attest(SKS[2]!, SET0, 2, o2), verifierIndex: 1 };
    expect(code(a1, forged)).toBe(EvidenceErrorCode.BAD_SIGNATURE);
    // Key 1's a1 signature moved onto o2.
    expect(code(a1, { ...a2, signature: a1.signature })).toBe(EvidenceErrorCode.BAD_SIGNATURE);
    const infinity = new Uint8Array(96);
    infinity[0] = 0xc0;
    for (const sig of [new Uint8Array(96), infinity, new Uint8Array(95), new Uint8Array(96).fill(0xff)]) {
      const r = verifyVerifierEquivocation({ a: a1, b: { ...a2, signature: sig } }, SETS);
      expect(r.ok ? "ok" : r.code).toBe(EvidenceErrorCode.BAD_SIGNATURE);
    }
    expect(code(a1, a2, [SET1])).toBe(EvidenceErrorCode.UNKNOWN_SET);
    expect(code(a1, { ...a2, setId: new Uint8Array(32) })).toBe(EvidenceErrorCode.UNKNOWN_SET);
    expect(code(a1, { ...a2, verifierIndex: 4 })).toBe(EvidenceErrorCode.INDEX_OUT_OF_RANGE);
    expect(code({ ...a1, setId: SET1.setId, verifierIndex: 3 }, a2)).toBe(
      EvidenceErrorCode.INDEX_OUT_OF_RANGE,
    );
  });

  it("never throws on malformed evidence or lookups", () => {
    for (const ev of [
      null,
      1,
      {},
      { a: a1 },
      { a: a1, b: { ...a2, verifierIndex: -1 } },
      { a: a1, b: { ...a2, setId: new Uint8Array(31) } },
      { a: a1, b: { ...a2, signature: "0x" } },
    ]) {
      expect(verifyVerifierEquivocation(ev as never, SETS)).toMatchObject({
        ok: false,
        code: EvidenceErrorCode.MALFORMED,
      });
      expect(normalizeVerifierEquivocation(ev as never)).toBe(ev);
    }
    const throwing = {
      get: () => {
        throw new Error("lookup failed");
      },
    };
    expect(verifyVerifierEquivocation({ a: a1, b: a2 }, throwing as never)).toMatchObject({
      ok: false,
      code: EvidenceErrorCode.MALFORMED,
    });
  });
});
