import {
  type Attestation,
  attestationSignatureSet,
  blstBls,
  buildCertificate,
  buildVerifierSet,
  type Certificate,
  CertificateErrorCode,
  certificateSignatureSet,
  type Domain,
  isProtocolError,
  nobleBls,
  type Observation,
  observationRoot,
  type VerifierSet,
  VerifierSetRegistry,
  verifyCertificate,
} from "@ocp/protocol";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { nonSubgroupG2 } from "./bls/points.js";
import { setData, type TestVerifier, testVerifiers } from "./helpers/verifiers.js";

const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);
const domain: Domain = { chainId: 31337, verifyingContract: bytes(20, 0xaa) };
const observation: Observation = {
  stream: bytes(32, 1),
  slot: 150n,
  l1BlockNumber: 150n,
  l1BlockHash: bytes(32, 2),
  schema: bytes(32, 3),
  tableDigest: bytes(32, 4),
  entryCount: 12,
};

const six = testVerifiers(6, 40);
// epoch 0 from slot 0, epoch 1 (different keys order) from slot 100
const set0 = buildVerifierSet(setData(six, { epoch: 0n, activationSlot: 0n }));
const set1 = buildVerifierSet(setData([...six].reverse(), { epoch: 1n, activationSlot: 100n }));
const registry = new VerifierSetRegistry([set0, set1]);

function attest(
  set: VerifierSet,
  signers: readonly TestVerifier[],
  d = domain,
  o = observation,
): Attestation[] {
  const root = observationRoot(d, o);
  return signers.map((v) => ({
    domain: d,
    observation: o,
    setId: set.setId,
    verifierIndex: set.verifiers.findIndex((e) => e.pubkey.every((b, i) => b === v.entry.pubkey[i])),
    signature: blstBls.sign(v.sk, root),
  }));
}

/** Certificate by the first `k` verifiers of set1 (the set governing slot 150). */
function cert(k: number): Certificate {
  return buildCertificate(attest(set1, six.slice(0, k)), set1);
}

const codeOf = (c: Certificate, sets: VerifierSetRegistry | readonly VerifierSet[] = registry) => {
  const r = verifyCertificate(c, sets);
  return r.ok ? "ok" : r.code;
};

describe("verifyCertificate", () => {
  it("accepts a certificate above quorum, with list or registry, with either backend's set", () => {
    const c = cert(5);
    const r = verifyCertificate(c, registry);
    expect(r.ok && r.value.signedWeight).toBe(5n);
    expect(r.ok && r.value.set).toBe(set1);
    expect(codeOf(c, [set0, set1])).toBe("ok");
    const nobleSet1 = buildVerifierSet(setData([...six].reverse(), { epoch: 1n, activationSlot: 100n }), {
      bls: nobleBls,
    });
    expect(codeOf(c, [set0, nobleSet1])).toBe("ok");
  });

  it("signed weight exactly at the threshold fails; one above passes", () => {
    // 6 × weight 1, quorum 2/3: 4·3 = 6·2 is not strictly greater
    expect(codeOf(cert(4))).toBe(CertificateErrorCode.BELOW_QUORUM);
    expect(codeOf(cert(5))).toBe("ok");
    expect(codeOf(cert(6))).toBe("ok");
  });

  it("a flipped bitfield bit breaks the signature", () => {
    const c = cert(6);
    const off = c.signers.slice();
    off[0]! ^= 0b1;
    expect(codeOf({ ...c, signers: off })).toBe(CertificateErrorCode.BAD_SIGNATURE);
    const five = cert(5);
    const missing = set1.verifiers.findIndex((e) => e.pubkey.every((b, i) => b === six[5]!.entry.pubkey[i]));
    const on = five.signers.slice();
    on[missing >> 3]! |= 1 << (missing & 7);
    expect(codeOf({ ...five, signers: on })).toBe(CertificateErrorCode.BAD_SIGNATURE);
  });

  it("rejects bad bitfields", () => {
    const c = cert(5);
    const beyond = c.signers.slice();
    beyond[0]! |= 1 << 6; // n = 6: bit 6 is past the end
    expect(codeOf({ ...c, signers: beyond })).toBe(CertificateErrorCode.BAD_BITFIELD_HIGH_BITS);
    const longer = new Uint8Array(c.signers.length + 1);
    longer.set(c.signers);
    expect(codeOf({ ...c, signers: longer })).toBe(CertificateErrorCode.BAD_BITFIELD_LENGTH);
    expect(codeOf({ ...c, signers: new Uint8Array(0) })).toBe(CertificateErrorCode.BAD_BITFIELD_LENGTH);
    expect(codeOf({ ...c, signers: new Uint8Array(1) })).toBe(CertificateErrorCode.NO_SIGNERS);
  });

  it("rejects a signature over another root", () => {
    const variants: [Domain, Observation][] = [
      [domain, { ...observation, slot: 151n }],
      [domain, { ...observation, l1BlockHash: bytes(32, 9) }],
      [domain, { ...observation, entryCount: 13 }],
      [{ ...domain, chainId: 1 }, observation],
      [{ ...domain, verifyingContract: bytes(20, 0xbb) }, observation],
    ];
    for (const [d, o] of variants) {
      const other = buildCertificate(attest(set1, six.slice(0, 5), d, o), set1);
      expect(codeOf(other)).toBe("ok");
      expect(codeOf({ ...other, domain, observation })).toBe(CertificateErrorCode.BAD_SIGNATURE);
    }
  });

  it("rejects the wrong epoch's set for the slot and unknown sets", () => {
    // valid under epoch 0's keys, but slot 150 is governed by epoch 1
    const old = buildCertificate(attest(set0, six.slice(0, 5)), set0);
    expect(codeOf(old)).toBe(CertificateErrorCode.WRONG_SET_FOR_SLOT);
    expect(codeOf(old, [set0])).toBe("ok");
    const early = { ...observation, slot: 50n, l1BlockNumber: 50n };
    const future = buildCertificate(attest(set1, six.slice(0, 5), domain, early), set1);
    expect(codeOf(future)).toBe(CertificateErrorCode.WRONG_SET_FOR_SLOT);
    expect(codeOf(cert(5), [set0])).toBe(CertificateErrorCode.UNKNOWN_SET);
    expect(codeOf(cert(5), [])).toBe(CertificateErrorCode.UNKNOWN_SET);
  });

  it("rejects infinity, non-subgroup and wrong-length signatures as encoding errors", () => {
    const c = cert(5);
    const inf = new Uint8Array(96);
    inf[0] = 0xc0;
    for (const s of [inf, nonSubgroupG2(), c.aggregateSignature.subarray(1), new Uint8Array(96)]) {
      expect(codeOf({ ...c, aggregateSignature: s })).toBe(CertificateErrorCode.INVALID_SIGNATURE_ENCODING);
    }
  });

  it("never throws on garbage: every result is a typed error", () => {
    const codes = new Set(Object.values(CertificateErrorCode) as string[]);
    const valid = cert(5);
    const check = (junk: unknown) => {
      const r = verifyCertificate(junk as Certificate, registry);
      expect(r.ok).toBe(false);
      expect(!r.ok && codes.has(r.code)).toBe(true);
    };
    fc.assert(fc.property(fc.anything(), check), { numRuns: 300 });
    const fields = ["domain", "observation", "setId", "signers", "aggregateSignature"] as const;
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.anything(), (field, value) => {
        check({ ...valid, [field]: value });
      }),
      { numRuns: 300 },
    );
    const obsFields = Object.keys(observation) as (keyof Observation)[];
    fc.assert(
      fc.property(fc.constantFrom(...obsFields), fc.anything(), (field, value) => {
        fc.pre(typeof value !== "bigint" && typeof value !== "number");
        check({ ...valid, observation: { ...observation, [field]: value } });
      }),
      { numRuns: 200 },
    );
    check({ ...valid, domain: { chainId: 1.5, verifyingContract: bytes(20, 0) } });
    check({ ...valid, observation: { ...observation, slot: -1n } });
    check({ ...valid, observation: { ...observation, slot: 1n << 64n } });
    check(Object.create(null));
  });
});

describe("buildCertificate", () => {
  it("merges identical repeats; rejects mixed, foreign and conflicting attestations", () => {
    const atts = attest(set1, six.slice(0, 5));
    const again = buildCertificate([...atts, atts[0]!], set1);
    expect(again.aggregateSignature).toEqual(cert(5).aggregateSignature);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isProtocolError(e) ? e.code : "untyped";
      }
      return "none";
    };
    expect(code(() => buildCertificate([], set1))).toBe(CertificateErrorCode.NO_ATTESTATIONS);
    const otherObs = attest(set1, six.slice(5, 6), domain, { ...observation, slot: 151n });
    expect(code(() => buildCertificate([...atts, ...otherObs], set1))).toBe(
      CertificateErrorCode.MIXED_ATTESTATIONS,
    );
    expect(code(() => buildCertificate(atts, set0))).toBe(CertificateErrorCode.SET_MISMATCH);
    expect(code(() => buildCertificate([{ ...atts[0]!, verifierIndex: 6 }], set1))).toBe(
      CertificateErrorCode.INDEX_OUT_OF_RANGE,
    );
    expect(
      code(() => buildCertificate([atts[0]!, { ...atts[0]!, signature: atts[1]!.signature }], set1)),
    ).toBe(CertificateErrorCode.DUPLICATE_SIGNER);
  });

  it("any differing domain or observation field makes the attestations mixed", () => {
    const atts = attest(set1, six.slice(0, 3));
    const variants: [Domain, Observation][] = [
      [{ ...domain, chainId: 1 }, observation],
      [{ ...domain, verifyingContract: bytes(20, 0xab) }, observation],
      [domain, { ...observation, stream: bytes(32, 0x51) }],
      [domain, { ...observation, l1BlockNumber: observation.l1BlockNumber + 1n }],
      [domain, { ...observation, l1BlockHash: bytes(32, 0x52) }],
      [domain, { ...observation, schema: bytes(32, 0x53) }],
      [domain, { ...observation, tableDigest: bytes(32, 0x54) }],
      [domain, { ...observation, entryCount: observation.entryCount + 1 }],
    ];
    for (const [k, [d, o]] of variants.entries()) {
      const odd = attest(set1, six.slice(3, 4), d, o);
      expect(() => buildCertificate([...atts, ...odd], set1), `variant ${k}`).toThrow(
        CertificateErrorCode.MIXED_ATTESTATIONS,
      );
    }
    // Equal fields in fresh objects are the same observation.
    const copy = attest(
      set1,
      six.slice(3, 4),
      { ...domain },
      { ...observation, tableDigest: observation.tableDigest.slice() },
    );
    expect(buildCertificate([...atts, ...copy], set1).aggregateSignature).toEqual(
      buildCertificate(attest(set1, six.slice(0, 4)), set1).aggregateSignature,
    );
  });

  it("signaturesVerified: same bytes as the checked path on both backends; a bad point still fails", () => {
    const atts = attest(set1, six.slice(0, 5));
    const fast = buildCertificate(atts, set1, { signaturesVerified: true });
    expect(fast).toEqual(cert(5));
    const nobleSet1 = buildVerifierSet(setData([...six].reverse(), { epoch: 1n, activationSlot: 100n }), {
      bls: nobleBls,
    });
    expect(buildCertificate(atts, nobleSet1, { signaturesVerified: true }).aggregateSignature).toEqual(
      fast.aggregateSignature,
    );
    expect(codeOf(fast)).toBe("ok");
    // A non-subgroup signature makes the sum leave the subgroup: caught by the one check on the sum.
    const bad = [...atts.slice(0, 4), { ...atts[4]!, signature: nonSubgroupG2() }];
    expect(() => buildCertificate(bad, set1, { signaturesVerified: true })).toThrow(
      CertificateErrorCode.INVALID_SIGNATURE_ENCODING,
    );
    expect(() => blstBls.aggregateVerifiedSignatureBytes([])).toThrow();
    expect(() => blstBls.aggregateVerifiedSignatureBytes([new Uint8Array(95)])).toThrow();
  });

  it("signaturesVerified: a vote's point is decompressed once, and a changed byte array is decoded afresh", () => {
    const atts = attest(set1, six.slice(0, 5));
    const first = buildCertificate(atts, set1, { signaturesVerified: true });
    expect(buildCertificate(atts, set1, { signaturesVerified: true })).toEqual(first);
    // The same array now holds another vote's signature: the sum must follow the bytes.
    const other = attest(set1, six.slice(5, 6))[0]!;
    const reused = atts[4]!.signature;
    reused.set(other.signature);
    const moved = [...atts.slice(0, 4), { ...other, signature: reused }];
    const fresh = [...atts.slice(0, 4).map((a) => ({ ...a, signature: a.signature.slice() })), other];
    expect(buildCertificate(moved, set1, { signaturesVerified: true }).aggregateSignature).toEqual(
      buildCertificate(fresh, set1).aggregateSignature,
    );
    // And to a point outside the subgroup: the check on the sum still sees it.
    reused.set(nonSubgroupG2());
    expect(() => buildCertificate(moved, set1, { signaturesVerified: true })).toThrow(
      CertificateErrorCode.INVALID_SIGNATURE_ENCODING,
    );
  });

  it("verifiedAggregate: equal to the certificate's sum skips the pairing; anything else is checked in full", () => {
    const c = cert(5);
    const pairing = vi.spyOn(set1.bls, "fastAggregateVerify");
    try {
      const seen: number[][] = [];
      const same = verifyCertificate(c, registry, {
        verifiedAggregate: (set, signers) => {
          expect(set).toBe(set1);
          seen.push([...signers]);
          return c.aggregateSignature.slice();
        },
      });
      expect(same.ok && same.value.signedWeight).toBe(5n);
      expect(seen).toEqual([[0, 1, 2, 3, 4].map((i) => set1.size - 1 - i).sort((a, b) => a - b)]);
      expect(pairing).not.toHaveBeenCalled();
      // A sum the caller holds that differs: the certificate's own signature decides.
      const tampered = { ...c, aggregateSignature: cert(4).aggregateSignature };
      const r = verifyCertificate(tampered, registry, { verifiedAggregate: () => c.aggregateSignature });
      expect(r.ok ? "ok" : r.code).toBe(CertificateErrorCode.BAD_SIGNATURE);
      expect(pairing).toHaveBeenCalledTimes(1);
      const other = verifyCertificate(c, registry, { verifiedAggregate: () => cert(4).aggregateSignature });
      expect(other.ok).toBe(true);
      expect(verifyCertificate(c, registry, { verifiedAggregate: () => undefined }).ok).toBe(true);
      expect(pairing).toHaveBeenCalledTimes(3);
    } finally {
      pairing.mockRestore();
    }
  });

  it("signature sets are plain data that batch-verify (and fail when tampered)", () => {
    const atts = attest(set1, six.slice(0, 3));
    const c = cert(5);
    const sets = [...atts.map((a) => attestationSignatureSet(a, set1)), certificateSignatureSet(c, set1)];
    expect(blstBls.verifyBatch(sets)).toBe(true);
    const tampered = [...sets];
    tampered[1] = { ...tampered[1]!, signature: atts[2]!.signature };
    expect(blstBls.verifyBatch(tampered)).toBe(false);
  });
});
