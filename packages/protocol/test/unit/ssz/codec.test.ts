// Round trips of every SSZ codec against a hand-written layout, value ranges,
// and encode-side validation.
import fc from "fast-check";
import { keccak256, stringToBytes } from "viem";
import { describe, expect, it } from "vitest";
import { toHex } from "../../../src/hex.js";
import * as S from "../../../src/ssz/index.js";
import { MAX_GOSSIP_MESSAGE_BYTES } from "../../../src/types.js";
import * as A from "./arbitraries.js";
import { cases, expectCode, outcome } from "./cases.js";

const E = S.SszErrorCode;

describe("ssz round trips", () => {
  for (const c of cases) {
    it(`${c.name}: encode matches the hand-written layout and decodes back exactly`, () => {
      fc.assert(
        fc.property(c.arb(), fc.nat(7), (v, pad) => {
          const bytes = c.encode(v);
          expect(bytes).toEqual(c.manual(v));
          if (c.fixed !== undefined) expect(bytes.length).toBe(c.fixed);
          else expect(bytes.length).toBeLessThanOrEqual(c.max!);
          expect(c.decode(bytes)).toEqual(v);
          // A view at a non-zero offset of a larger buffer decodes the same.
          const host = new Uint8Array(bytes.length + 2 * pad + 1).fill(0xee);
          host.set(bytes, pad);
          expect(c.decode(host.subarray(pad, pad + bytes.length))).toEqual(v);
        }),
        { numRuns: c.name === "CertificatesByRangeResponse" ? 25 : 60 },
      );
    });
  }

  it("uint64 extremes round-trip exactly (no number precision loss)", () => {
    for (const slot of [0n, (1n << 53n) + 1n, (1n << 64n) - 1n]) {
      const o = fc.sample(A.observation(), { numRuns: 1, seed: 7 })[0]!;
      const v = { ...o, slot, l1BlockNumber: slot - (slot > 0n ? 1n : 0n) };
      const bytes = S.encodeObservationSsz(v);
      expect(bytes.subarray(32, 40)).toEqual(A.le(slot, 8));
      const back = S.decodeObservationSsz(bytes);
      expect(back.slot).toBe(slot);
      expect(typeof back.slot).toBe("bigint");
      expect(back.l1BlockNumber).toBe(v.l1BlockNumber);
    }
  });

  it("max-length lists: 64 certificates with 512-byte bitfields, 16 set ids", () => {
    const certs = fc
      .sample(A.certificate(), { numRuns: 64, seed: 1 })
      .map((c) => ({ ...c, signers: new Uint8Array(512).fill(0xa5) }));
    const bytes = S.encodeCertificatesByRangeResponseSsz(certs);
    expect(bytes.length).toBe(64 * (4 + 820));
    expect(bytes).toEqual(A.manual.certificatesByRangeResponse(certs));
    expect(S.decodeCertificatesByRangeResponseSsz(bytes)).toEqual(certs);

    const st = { ...fc.sample(A.status(), { numRuns: 1, seed: 2 })[0]!, setIds: fc.sample(A.bytes(32), 16) };
    const sb = S.encodeStatusSsz(st);
    expect(sb.length).toBe(52 + 16 * 32);
    expect(S.decodeStatusSsz(sb)).toEqual(st);
  });

  it("empty lists", () => {
    expect(S.encodeCertificatesByRangeResponseSsz([]).length).toBe(0);
    expect(S.decodeCertificatesByRangeResponseSsz(new Uint8Array(0))).toEqual([]);
    const st = { network: new Uint8Array(32), setIds: [], latestCertifiedSlot: 0n, headSlot: 0n };
    expect(S.decodeStatusSsz(S.encodeStatusSsz(st))).toEqual(st);
  });

  it("evidence framing: one selector byte (0 builder, 1 verifier) then the container", () => {
    fc.assert(
      fc.property(A.evidence(), (e) => {
        const bytes = S.encodeEvidenceSsz(e);
        expect(bytes[0]).toBe(e.kind);
        const inner =
          e.kind === S.SszEvidenceKind.BuilderEquivocation
            ? S.encodeBuilderEquivocationSsz(e.evidence)
            : S.encodeVerifierEquivocationSsz(e.evidence);
        expect(bytes.subarray(1)).toEqual(inner);
      }),
      { numRuns: 30 },
    );
  });
});

describe("ssz gossip limits", () => {
  it("per-topic limits are the type maxima, all within 4 KiB", () => {
    expect(S.SSZ_GOSSIP_MAX_BYTES).toEqual({
      commitment: 28 + 168 + 65,
      attestation: 28 + 148 + 32 + 4 + 96,
      certificate: 308 + 512,
      evidence: 1 + 2 * 308,
    });
    for (const n of Object.values(S.SSZ_GOSSIP_MAX_BYTES))
      expect(n).toBeLessThanOrEqual(MAX_GOSSIP_MESSAGE_BYTES);
    expect(S.SSZ_GOSSIP_MIN_BYTES).toEqual({
      commitment: 261,
      attestation: 308,
      certificate: 308,
      evidence: 1 + 522,
    });
  });

  it("decodeGossipSsz dispatches by topic and round-trips", () => {
    const [sc] = fc.sample(A.signedCommitment(), { numRuns: 1, seed: 3 });
    const [at] = fc.sample(A.attestation(), { numRuns: 1, seed: 3 });
    const [ce] = fc.sample(A.certificate(), { numRuns: 1, seed: 3 });
    const [ev] = fc.sample(A.evidence(), { numRuns: 1, seed: 3 });
    const msgs: S.SszGossipMessage[] = [
      { topic: "commitment", value: sc! },
      { topic: "attestation", value: at! },
      { topic: "certificate", value: ce! },
      { topic: "evidence", value: ev! },
    ];
    for (const m of msgs) {
      const bytes = S.encodeGossipSsz(m);
      expect(bytes.length).toBeLessThanOrEqual(S.SSZ_GOSSIP_MAX_BYTES[m.topic]);
      expect(S.decodeGossipSsz(m.topic, bytes)).toEqual(m);
    }
    // An attestation (308 B) on the commitment topic (261 B) is rejected.
    expectCode(() => S.decodeGossipSsz("commitment", S.encodeAttestationSsz(at!)), E.TRAILING_BYTES);
    expectCode(() => S.decodeGossipSsz("bogus" as S.SszGossipTopic, new Uint8Array(10)), E.INVALID);
  });
});

describe("ssz value ranges on decode", () => {
  const [att] = fc.sample(A.attestation(), { numRuns: 1, seed: 5 });

  it("Domain.chainId above 2^53-1 is OUT_OF_RANGE (protocol holds it as a number)", () => {
    const ok = S.encodeAttestationSsz({
      ...att!,
      domain: { ...att!.domain, chainId: Number.MAX_SAFE_INTEGER },
    });
    expect(S.decodeAttestationSsz(ok).domain.chainId).toBe(Number.MAX_SAFE_INTEGER);
    for (const big of [1n << 53n, (1n << 64n) - 1n]) {
      const bad = ok.slice();
      bad.set(A.le(big, 8), 0);
      expectCode(() => S.decodeAttestationSsz(bad), E.OUT_OF_RANGE);
      expectCode(() => S.decodeDomainSsz(bad.subarray(0, 28)), E.OUT_OF_RANGE);
    }
  });

  it("CertificatesByRangeRequest.count above 64 is OUT_OF_RANGE", () => {
    const base = A.manual.certificatesByRangeRequest({
      stream: new Uint8Array(32),
      startSlot: 9n,
      count: 64,
    });
    expect(S.decodeCertificatesByRangeRequestSsz(base).count).toBe(64);
    for (const count of [65n, 1n << 32n, (1n << 64n) - 1n]) {
      const bad = base.slice();
      bad.set(A.le(count, 8), 40);
      expectCode(() => S.decodeCertificatesByRangeRequestSsz(bad), E.OUT_OF_RANGE);
    }
  });

  it("evidence selectors other than 0 and 1 are BAD_SELECTOR", () => {
    for (let sel = 2; sel < 256; sel += 17) {
      for (const len of [523, 617]) {
        const b = new Uint8Array(len);
        b[0] = sel;
        expectCode(() => S.decodeEvidenceSsz(b), E.BAD_SELECTOR);
      }
    }
    // A valid selector with the other option's length.
    expectCode(() => S.decodeEvidenceSsz(new Uint8Array(617)), E.TRAILING_BYTES);
    const v = new Uint8Array(523);
    v[0] = 1;
    expectCode(() => S.decodeEvidenceSsz(v), E.TRUNCATED);
  });

  it("non-Uint8Array input is INVALID; Buffer input works", () => {
    for (const x of [null, undefined, "00", [0, 1], 42, {}])
      expectCode(() => S.decodeObservationSsz(x as never), E.INVALID);
    const [o] = fc.sample(A.observation(), { numRuns: 1, seed: 6 });
    expect(S.decodeObservationSsz(Buffer.from(S.encodeObservationSsz(o!)))).toEqual(o);
  });

  it("decoded values do not alias the input buffer", () => {
    const [c] = fc.sample(A.certificate(), { numRuns: 1, seed: 8 });
    const bytes = S.encodeCertificateSsz(c!);
    const d = S.decodeCertificateSsz(bytes);
    bytes.fill(0);
    expect(d).toEqual(c);
  });
});

describe("ssz encode validation", () => {
  const [att] = fc.sample(A.attestation(), { numRuns: 1, seed: 9 });
  const [cert] = fc.sample(A.certificate(), { numRuns: 1, seed: 9 });
  const [st] = fc.sample(A.status(), { numRuns: 1, seed: 9 });
  const a = att!;
  const bad: [string, () => unknown][] = [
    [
      "short stream",
      () => S.encodeAttestationSsz({ ...a, observation: { ...a.observation, stream: new Uint8Array(31) } }),
    ],
    ["negative slot", () => S.encodeAttestationSsz({ ...a, observation: { ...a.observation, slot: -1n } })],
    ["slot 2^64", () => S.encodeAttestationSsz({ ...a, observation: { ...a.observation, slot: 1n << 64n } })],
    [
      "slot as number",
      () => S.encodeAttestationSsz({ ...a, observation: { ...a.observation, slot: 5 as never } }),
    ],
    [
      "entryCount 2^32",
      () => S.encodeAttestationSsz({ ...a, observation: { ...a.observation, entryCount: 2 ** 32 } }),
    ],
    [
      "entryCount 1.5",
      () => S.encodeAttestationSsz({ ...a, observation: { ...a.observation, entryCount: 1.5 } }),
    ],
    ["chainId 2^53", () => S.encodeAttestationSsz({ ...a, domain: { ...a.domain, chainId: 2 ** 53 } })],
    ["chainId -1", () => S.encodeAttestationSsz({ ...a, domain: { ...a.domain, chainId: -1 } })],
    ["verifierIndex -1", () => S.encodeAttestationSsz({ ...a, verifierIndex: -1 })],
    ["signature 95 B", () => S.encodeAttestationSsz({ ...a, signature: new Uint8Array(95) })],
    ["signers 513 B", () => S.encodeCertificateSsz({ ...cert!, signers: new Uint8Array(513) })],
    ["signers not bytes", () => S.encodeCertificateSsz({ ...cert!, signers: [1, 2] as never })],
    [
      "17 set ids",
      () => S.encodeStatusSsz({ ...st!, setIds: Array.from({ length: 17 }, () => new Uint8Array(32)) }),
    ],
    [
      "count 65",
      () => S.encodeCertificatesByRangeRequestSsz({ stream: new Uint8Array(32), startSlot: 0n, count: 65 }),
    ],
    [
      "65 certificates",
      () => S.encodeCertificatesByRangeResponseSsz(Array.from({ length: 65 }, () => cert!)),
    ],
    ["evidence kind 2", () => S.encodeEvidenceSsz({ kind: 2, evidence: {} } as never)],
    ["null", () => S.encodeSignedCommitmentSsz(null as never)],
    ["missing nested", () => S.encodeSignedCommitmentSsz({ domain: a.domain } as never)],
    ["table chunk 1 MiB + 1", () => S.encodeTableChunkSsz(new Uint8Array(1024 * 1024 + 1))],
  ];
  for (const [name, f] of bad) it(`rejects ${name} with INVALID_VALUE`, () => expectCode(f, E.INVALID_VALUE));

  it("encode output does not alias the input", () => {
    const chunk = new Uint8Array([1, 2, 3]);
    const out = S.encodeTableChunkSsz(chunk);
    chunk[0] = 9;
    expect(out).toEqual(new Uint8Array([1, 2, 3]));
    expect(outcome(() => S.encodeTableChunkSsz(new Uint8Array(1024 * 1024))).ok).toBe(true);
  });
});

describe("ssz network id", () => {
  it("is keccak256(utf8(name)), checked against viem", () => {
    for (const name of ["ocp-devnet", "mainnet", "ünïcode"])
      expect(toHex(S.sszNetworkId(name))).toBe(keccak256(stringToBytes(name)));
  });
});
