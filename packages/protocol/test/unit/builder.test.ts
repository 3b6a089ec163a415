// Builder secp256k1 signatures, cross-checked with viem's typed-data signer.
import fc from "fast-check";
import { bytesToHex, hexToBytes, recoverTypedDataAddress } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { describe, expect, it } from "vitest";
import {
  addressFromPrivateKey,
  BuilderSigErrorCode,
  BuilderSignatureVerifier,
  recoverBuilder,
  signCommitment,
  verifySignedCommitment,
} from "../../src/builder.js";
import { ProtocolError } from "../../src/errors.js";
import { toHex } from "../../src/hex.js";
import type { Commitment, Domain, SignedCommitment } from "../../src/types.js";
import { bytes, commitment, domain } from "./messageArbitraries.js";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const types = {
  Observation: [
    { name: "stream", type: "bytes32" },
    { name: "slot", type: "uint64" },
    { name: "l1BlockNumber", type: "uint64" },
    { name: "l1BlockHash", type: "bytes32" },
    { name: "schema", type: "bytes32" },
    { name: "tableDigest", type: "bytes32" },
    { name: "entryCount", type: "uint32" },
  ],
  Commitment: [
    { name: "observation", type: "Observation" },
    { name: "builder", type: "address" },
  ],
} as const;

function typedData(d: Domain, c: Commitment) {
  const o = c.observation;
  return {
    domain: {
      name: "ocp",
      version: "1",
      chainId: d.chainId,
      verifyingContract: bytesToHex(d.verifyingContract),
    },
    types,
    primaryType: "Commitment" as const,
    message: {
      observation: {
        stream: bytesToHex(o.stream),
        slot: o.slot,
        l1BlockNumber: o.l1BlockNumber,
        l1BlockHash: bytesToHex(o.l1BlockHash),
        schema: bytesToHex(o.schema),
        tableDigest: bytesToHex(o.tableDigest),
        entryCount: o.entryCount,
      },
      builder: bytesToHex(c.builder),
    },
  };
}

// Valid secp256k1 scalars: reduce random 32 bytes into [1, n-1].
const privateKey = (): fc.Arbitrary<Uint8Array> =>
  fc.bigInt({ min: 1n, max: N - 1n }).map((k) => hexToBytes(`0x${k.toString(16).padStart(64, "0")}`));

const toBig = (b: Uint8Array): bigint => BigInt(bytesToHex(b));
const word = (n: bigint): Uint8Array => hexToBytes(`0x${n.toString(16).padStart(64, "0")}`);

/** A commitment whose builder is the key's own address, signed by us. */
function signedBy(key: Uint8Array, d: Domain, c: Commitment): SignedCommitment {
  return signCommitment(d, { ...c, builder: addressFromPrivateKey(key) }, key);
}

function withSig(s: SignedCommitment, sig: Uint8Array): SignedCommitment {
  return { ...s, signature: sig };
}

describe("builder signatures", () => {
  it("addressFromPrivateKey equals viem's account address", () => {
    fc.assert(
      fc.property(privateKey(), (k) => {
        expect(toHex(addressFromPrivateKey(k))).toBe(
          privateKeyToAccount(bytesToHex(k)).address.toLowerCase(),
        );
      }),
      { numRuns: 30 },
    );
  });

  it("signCommitment gives viem signTypedData's bytes; both recover the same builder", async () => {
    await fc.assert(
      fc.asyncProperty(privateKey(), domain(), commitment(), async (k, d, c0) => {
        const account = privateKeyToAccount(bytesToHex(k));
        const c = { ...c0, builder: hexToBytes(account.address) };
        const ours = signCommitment(d, c, k);
        const theirs = await account.signTypedData(typedData(d, c));
        expect(toHex(ours.signature)).toBe(theirs);
        expect([27, 28]).toContain(ours.signature[64]);

        const rec = recoverBuilder(ours);
        expect(rec.ok).toBe(true);
        const viemAddr = await recoverTypedDataAddress({ ...typedData(d, c), signature: theirs });
        if (rec.ok) expect(toHex(rec.value)).toBe(viemAddr.toLowerCase());
        expect(verifySignedCommitment(ours)).toEqual({ ok: true, value: c.builder });
      }),
      { numRuns: 25 },
    );
  });

  it("a signature for another builder, domain or observation does not verify", () => {
    fc.assert(
      fc.property(privateKey(), domain(), domain(), commitment(), bytes(20), (k, d, d2, c, other) => {
        const s = signedBy(k, d, c);
        fc.pre(toHex(other) !== toHex(s.commitment.builder));
        // Claiming another builder: recovery still gives the key's address, so verify rejects.
        const claimed = { ...s, commitment: { ...s.commitment, builder: other } };
        const r1 = verifySignedCommitment(claimed);
        expect(r1.ok).toBe(false);
        if (!r1.ok)
          expect([BuilderSigErrorCode.WRONG_BUILDER, BuilderSigErrorCode.UNRECOVERABLE]).toContain(r1.code);
        fc.pre(d.chainId !== d2.chainId || toHex(d.verifyingContract) !== toHex(d2.verifyingContract));
        expect(verifySignedCommitment({ ...s, domain: d2 }).ok).toBe(false);
        const moved = {
          ...s,
          commitment: {
            ...s.commitment,
            observation: { ...s.commitment.observation, slot: s.commitment.observation.slot ^ 1n },
          },
        };
        expect(verifySignedCommitment(moved).ok).toBe(false);
      }),
      { numRuns: 20 },
    );
  });

  it("rejects the high-s twin (n - s, v flipped) that plain ECDSA would accept", async () => {
    await fc.assert(
      fc.asyncProperty(privateKey(), domain(), commitment(), async (k, d, c) => {
        const s = signedBy(k, d, c);
        const sig = s.signature;
        const high = new Uint8Array(65);
        high.set(sig.subarray(0, 32), 0);
        high.set(word(N - toBig(sig.subarray(32, 64))), 32);
        high[64] = sig[64] === 27 ? 28 : 27;
        // viem recovers the same address from the twin: it is a valid but non-canonical encoding.
        const viemAddr = await recoverTypedDataAddress({
          ...typedData(d, s.commitment),
          signature: bytesToHex(high),
        });
        expect(viemAddr.toLowerCase()).toBe(toHex(s.commitment.builder));
        expect(recoverBuilder(withSig(s, high))).toMatchObject({
          ok: false,
          code: BuilderSigErrorCode.HIGH_S,
        });
        expect(verifySignedCommitment(withSig(s, high))).toMatchObject({
          ok: false,
          code: BuilderSigErrorCode.HIGH_S,
        });
      }),
      { numRuns: 10 },
    );
  });

  it("rejects bad v, r or s out of range, and wrong lengths", () => {
    const key = word(0x1234n);
    const d: Domain = { chainId: 1, verifyingContract: new Uint8Array(20).fill(9) };
    const c = fc.sample(commitment(), { numRuns: 1, seed: 7 })[0]!;
    const s = signedBy(key, d, c);
    expect(verifySignedCommitment(s).ok).toBe(true);
    const sig = s.signature;
    const rBytes = sig.subarray(0, 32);
    const sBytes = sig.subarray(32, 64);
    const mk = (r: Uint8Array, ss: Uint8Array, v: number): Uint8Array => {
      const out = new Uint8Array(65);
      out.set(r, 0);
      out.set(ss, 32);
      out[64] = v;
      return out;
    };
    for (const v of [0, 1, 2, 26, 29, 35, 36, 255]) {
      expect(verifySignedCommitment(withSig(s, mk(rBytes, sBytes, v)))).toMatchObject({
        ok: false,
        code: BuilderSigErrorCode.BAD_V,
      });
    }
    for (const [r, ss] of [
      [word(0n), sBytes],
      [rBytes, word(0n)],
      [word(N), sBytes],
      [rBytes, word(N)],
      [word((1n << 256n) - 1n), sBytes],
      [rBytes, word(N + 1n)],
    ] as const) {
      expect(verifySignedCommitment(withSig(s, mk(r, ss, sig[64]!)))).toMatchObject({
        ok: false,
        code: BuilderSigErrorCode.OUT_OF_RANGE,
      });
    }
    // s exactly (n-1)/2 is the largest low s; (n+1)/2 the smallest high s.
    expect(recoverBuilder(withSig(s, mk(rBytes, word((N + 1n) / 2n), 27)))).toMatchObject({
      ok: false,
      code: BuilderSigErrorCode.HIGH_S,
    });
    expect(
      (recoverBuilder(withSig(s, mk(rBytes, word((N - 1n) / 2n), 27))) as { code?: string }).code,
    ).not.toBe(BuilderSigErrorCode.HIGH_S);
    for (const len of [0, 64, 66, 130]) {
      expect(verifySignedCommitment(withSig(s, new Uint8Array(len)))).toMatchObject({
        ok: false,
        code: BuilderSigErrorCode.WRONG_LENGTH,
      });
    }
    // An r that is not the x of any curve point cannot recover (x = 5 has no y on secp256k1).
    const noPoint = recoverBuilder(withSig(s, mk(word(5n), sBytes, 27)));
    expect(noPoint).toMatchObject({ ok: false, code: BuilderSigErrorCode.UNRECOVERABLE });
  });

  it("never throws on malformed input", () => {
    const junk: unknown[] = [
      null,
      undefined,
      {},
      { domain: null, commitment: null, signature: null },
      {
        domain: { chainId: 1, verifyingContract: new Uint8Array(19) },
        commitment: {},
        signature: new Uint8Array(65),
      },
      {
        domain: { chainId: 1, verifyingContract: new Uint8Array(20) },
        commitment: { observation: {}, builder: new Uint8Array(20) },
        signature: new Uint8Array(65),
      },
      {
        domain: { chainId: 1, verifyingContract: new Uint8Array(20) },
        commitment: { observation: { stream: "0x" }, builder: "x" },
        signature: "0x",
      },
    ];
    for (const j of junk) {
      const r = recoverBuilder(j as SignedCommitment);
      expect(r).toMatchObject({ ok: false, code: BuilderSigErrorCode.MALFORMED });
      expect(verifySignedCommitment(j as SignedCommitment).ok).toBe(false);
    }
    fc.assert(
      fc.property(domain(), commitment(), bytes(65), (d, c, sig) => {
        const r = verifySignedCommitment({ domain: d, commitment: c, signature: sig });
        // Random bytes: v is almost never 27/28, and when it is, the builder almost never matches.
        expect(r.ok).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it("BuilderSignatureVerifier answers like verifySignedCommitment once it knows the builder's key", async () => {
    const verifier = new BuilderSignatureVerifier(4);
    const outcome = (r: { ok: boolean; code?: string }) => (r.ok ? "ok" : r.code);
    await fc.assert(
      fc.asyncProperty(
        privateKey(),
        privateKey(),
        domain(),
        commitment(),
        commitment(),
        fc.nat(64),
        fc.bigInt({ min: 1n, max: N - 1n }),
        async (k, other, d, c1, c2, byte, rand) => {
          fc.pre(toHex(k) !== toHex(other));
          const first = signedBy(k, d, c1);
          expect(verifier.verify(first).ok).toBe(true); // learns k's key
          const s = signedBy(k, d, c2);
          // Valid: the fast path agrees with viem's recovery.
          const fast = verifier.verify(s);
          expect(fast).toEqual({ ok: true, value: s.commitment.builder });
          const viemAddr = await recoverTypedDataAddress({
            ...typedData(d, s.commitment),
            signature: bytesToHex(s.signature),
          });
          expect(viemAddr.toLowerCase()).toBe(toHex(s.commitment.builder));
          const sig = s.signature;
          const flippedV = Uint8Array.from(sig);
          flippedV[64] = sig[64] === 27 ? 28 : 27;
          const highS = Uint8Array.from(sig);
          highS.set(word(N - toBig(sig.subarray(32, 64))), 32);
          highS[64] = flippedV[64]!;
          const bitFlip = Uint8Array.from(sig);
          bitFlip[byte] = bitFlip[byte]! ^ 1;
          const randomS = Uint8Array.from(sig);
          randomS.set(word(rand > N >> 1n ? N - rand : rand), 32);
          const cases: SignedCommitment[] = [
            withSig(s, flippedV),
            withSig(s, highS),
            withSig(s, bitFlip),
            withSig(s, randomS),
            // Another key's valid signature claiming k's builder address.
            { ...signedBy(other, d, c2), commitment: s.commitment },
            {
              ...s,
              commitment: {
                ...s.commitment,
                observation: { ...s.commitment.observation, slot: s.commitment.observation.slot ^ 1n },
              },
            },
          ];
          for (const x of cases) expect(outcome(verifier.verify(x))).toBe(outcome(verifySignedCommitment(x)));
        },
      ),
      { numRuns: 25 },
    );
  });

  it("signCommitment and addressFromPrivateKey reject invalid private keys with a ProtocolError", () => {
    const d: Domain = { chainId: 1, verifyingContract: new Uint8Array(20) };
    const c = fc.sample(commitment(), { numRuns: 1, seed: 1 })[0]!;
    for (const k of [new Uint8Array(32), word(N), word(N + 5n), new Uint8Array(31).fill(1)]) {
      expect(() => signCommitment(d, c, k)).toThrow(ProtocolError);
      expect(() => addressFromPrivateKey(k)).toThrow(ProtocolError);
    }
  });
});
