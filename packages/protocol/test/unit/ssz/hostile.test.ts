// Hostile bytes: garbage, truncations, trailing bytes, oversize inputs and
// corrupted offsets must fail with a ProtocolError carrying an SszErrorCode
// (the specific one where the defect determines it), never anything else.
import type { Type } from "@chainsafe/ssz";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as S from "../../../src/ssz/index.js";
import type { Certificate } from "../../../src/types.js";
import * as A from "./arbitraries.js";
import { type Case, cases, expectCode, expectRejectedOrCanonical, outcome } from "./cases.js";

const E = S.SszErrorCode;
const byName = (n: string): Case<unknown> => cases.find((c) => c.name === n)!;
/** A few valid values per codec, fixed by seed, including the largest shapes. */
const samples = (c: Case<unknown>, n = 3): unknown[] => fc.sample(c.arb(), { numRuns: n, seed: 42 });

const sszTypeOf: Record<string, Type<unknown>> = {
  Domain: S.sszDomain,
  Observation: S.sszObservation,
  Commitment: S.sszCommitment,
  SignedCommitment: S.sszSignedCommitment,
  Attestation: S.sszAttestation,
  Certificate: S.sszCertificate,
  BuilderEquivocation: S.sszBuilderEquivocation,
  VerifierEquivocation: S.sszVerifierEquivocation,
  Evidence: S.sszEvidence,
  Status: S.sszStatus,
  TableByDigestRequest: S.sszTableByDigestRequest,
  CertificatesByRangeRequest: S.sszCertificatesByRangeRequest,
  CertificatesByRangeResponse: S.sszCertificatesByRangeResponse as unknown as Type<unknown>,
} as Record<string, Type<unknown>>;

/** Mutations of a valid encoding: byte flips, 4-byte overwrites (offsets), cuts and extensions. */
function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      valid,
      fc.array(
        fc.oneof(
          fc.record({ kind: fc.constant("byte" as const), at: fc.nat(), v: fc.nat(255) }),
          fc.record({
            kind: fc.constant("u32" as const),
            at: fc.nat(),
            v: fc.oneof(fc.nat(2000), fc.integer({ min: 0, max: 0xffff_ffff })),
          }),
          fc.record({ kind: fc.constant("cut" as const), at: fc.nat(), v: fc.nat() }),
          fc.record({ kind: fc.constant("grow" as const), at: fc.nat(), v: fc.nat(600) }),
        ),
        { minLength: 1, maxLength: 3 },
      ),
    )
    .map(([b, muts]) => {
      let out = b.slice();
      for (const m of muts) {
        if (m.kind === "grow") {
          const ext = new Uint8Array(out.length + m.v);
          ext.set(out);
          for (let i = out.length; i < ext.length; i++) ext[i] = (i * 131 + m.at) & 0xff;
          out = ext;
          continue;
        }
        if (out.length === 0) continue;
        const at = m.at % out.length;
        if (m.kind === "byte") out[at] = m.v;
        else if (m.kind === "cut") out = out.slice(0, at);
        else if (at + 4 <= out.length) new DataView(out.buffer).setUint32(at, m.v, true);
      }
      return out;
    });
}

describe("ssz hostile inputs", () => {
  for (const c of cases) {
    const type = sszTypeOf[c.name]!;

    it(`${c.name}: random garbage → SszErrorCode or canonical decode, agreeing with @chainsafe/ssz`, () => {
      const garbage = fc.oneof(
        fc.uint8Array({ maxLength: 1200 }),
        c.fixed !== undefined ? A.bytes(c.fixed) : fc.uint8Array({ minLength: 300, maxLength: 900 }),
        mutated(c.arb().map(c.encode)),
      );
      fc.assert(
        fc.property(garbage, (input) => {
          const r = expectRejectedOrCanonical(c, input);
          // Oracle: the library alone, plus the round-trip rule.
          let libCanonical = false;
          try {
            const again = type.serialize(type.deserialize(input));
            libCanonical = again.length === input.length && again.every((x, i) => x === input[i]);
          } catch {
            libCanonical = false;
          }
          if (r.ok) expect(libCanonical).toBe(true);
          else if (r.code !== E.OUT_OF_RANGE) expect(libCanonical).toBe(false);
          // The codec does not re-serialize to compare: the library's own decode
          // must already be canonical wherever the protocol's ranges hold.
          let libValue: unknown;
          try {
            libValue = type.deserialize(input);
          } catch {
            libValue = undefined;
          }
          if (libValue !== undefined && (r.ok || r.code !== E.OUT_OF_RANGE))
            expect(type.serialize(libValue)).toEqual(input);
        }),
        { numRuns: c.name === "CertificatesByRangeResponse" ? 60 : 120 },
      );
    });

    it(`${c.name}: every truncation of a valid encoding`, () => {
      for (const v of samples(c, 2)) {
        const full = c.encode(v);
        for (let len = 0; len < full.length; len++) {
          const cut = full.slice(0, len);
          if (c.fixed !== undefined || c.name === "Evidence") {
            expectCode(() => c.decode(cut), E.TRUNCATED);
            continue;
          }
          const r = expectRejectedOrCanonical(c, cut);
          if (c.name === "Certificate") {
            // The bitfield is the only variable field, and it is last: a cut inside it is a shorter bitfield.
            if (len < 308) expect(r).toEqual({ ok: false, code: E.TRUNCATED });
            else
              expect(r).toEqual({
                ok: true,
                value: { ...(v as Certificate), signers: full.slice(308, len) },
              });
          } else if (c.name === "Status") {
            if (len < 52 || (len - 52) % 32 !== 0) expect(r).toEqual({ ok: false, code: E.TRUNCATED });
            else expect(r.ok).toBe(true);
          } else {
            expect(r).toEqual(expectedResponseCut(v as Certificate[], len, full));
          }
        }
      }
    });

    it(`${c.name}: appended trailing bytes`, () => {
      for (const v of samples(c)) {
        const full = c.encode(v);
        for (const k of [1, 3, 4, 32, 96, 513, 5000]) {
          const input = A.cat(full, new Uint8Array(k).fill(0x5a));
          const r = expectRejectedOrCanonical(c, input);
          if (c.gossip && input.length > 4096) expect(r).toEqual({ ok: false, code: E.OVERSIZED });
          else if (c.fixed !== undefined || c.name === "Evidence")
            expect(r).toEqual({ ok: false, code: E.TRAILING_BYTES });
          else if (c.name === "Certificate") {
            const signers = A.cat((v as Certificate).signers, new Uint8Array(k).fill(0x5a));
            if (signers.length <= 512)
              expect(r).toEqual({ ok: true, value: { ...(v as Certificate), signers } });
            else expect(r).toEqual({ ok: false, code: E.OVERSIZED });
          } else if (c.name === "Status") {
            if (input.length > c.max!) expect(r).toEqual({ ok: false, code: E.OVERSIZED });
            else if (k % 32 !== 0) expect(r).toEqual({ ok: false, code: E.TRUNCATED });
            else expect(r.ok).toBe(true);
          } else {
            const certs = v as Certificate[];
            if (input.length > c.max!) expect(r).toEqual({ ok: false, code: E.OVERSIZED });
            else if (certs.length === 0) expect(r.ok).toBe(false);
            else if (certs[certs.length - 1]!.signers.length + k > 512)
              expect(r).toEqual({ ok: false, code: E.OVERSIZED });
            else expect(r.ok).toBe(true);
          }
        }
      }
    });

    it(`${c.name}: oversized inputs`, () => {
      const limit = c.fixed ?? c.max!;
      const over = new Uint8Array(limit + 1).fill(0x11);
      if (c.name === "Evidence") {
        // Each evidence kind has one exact length: too long is trailing bytes after the chosen container.
        over[0] = 1;
        expectCode(() => c.decode(over), E.TRAILING_BYTES);
      } else expectCode(() => c.decode(over), c.fixed !== undefined ? E.TRAILING_BYTES : E.OVERSIZED);
      if (c.gossip) expectCode(() => c.decode(new Uint8Array(4097)), E.OVERSIZED);
    });
  }

  it("Certificate: any signers offset other than 308 is BAD_OFFSET", () => {
    const c = byName("Certificate");
    fc.assert(
      fc.property(A.certificate(), fc.integer({ min: 0, max: 0xffff_ffff }), (v, off) => {
        fc.pre(off !== 308);
        const b = c.encode(v);
        new DataView(b.buffer).setUint32(208, off, true);
        expectCode(() => c.decode(b), E.BAD_OFFSET);
      }),
      { numRuns: 100 },
    );
  });

  it("Status: any setIds offset other than 52 is BAD_OFFSET", () => {
    const c = byName("Status");
    for (const v of samples(c))
      for (const off of [0, 4, 51, 53, 84, 0xffff_ffff]) {
        const b = c.encode(v);
        new DataView(b.buffer).setUint32(32, off, true);
        expectCode(() => c.decode(b), E.BAD_OFFSET);
      }
  });

  it("CertificatesByRangeResponse: corrupted offset tables", () => {
    const c = byName("CertificatesByRangeResponse");
    const certs = fc.sample(A.certificate(), { numRuns: 3, seed: 11 });
    const b = c.encode(certs);
    const offs = A.responseOffsets(certs);
    const put = (at: number, v: number): Uint8Array => {
      const x = b.slice();
      new DataView(x.buffer).setUint32(at, v, true);
      return x;
    };
    // First offset: zero, not a multiple of 4, past the end.
    for (const first of [0, 1, 13, b.length + 4, 0xffff_fffc])
      expectCode(() => c.decode(put(0, first)), E.BAD_OFFSET);
    // 65+ elements announced: rejected before reading the table.
    expectCode(() => c.decode(A.cat(put(0, 4 * 65), new Uint8Array(4 * 65))), E.OVERSIZED);
    // Later offsets: decreasing, past the end.
    expectCode(() => c.decode(put(4, offs[0]! - 1)), E.BAD_OFFSET);
    expectCode(() => c.decode(put(8, offs[1]! - 4)), E.BAD_OFFSET);
    expectCode(() => c.decode(put(8, b.length + 1)), E.BAD_OFFSET);
    // An element too short to be a certificate.
    expectCode(() => c.decode(put(8, offs[1]! + 10)), E.TRUNCATED);
    // Any first offset: never another exception, never a non-canonical decode.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (first) => {
        expectRejectedOrCanonical(c, put(0, first));
      }),
      { numRuns: 200 },
    );
  });

  it("nested union offsets/selector inside evidence", () => {
    const [ev] = fc.sample(A.evidence(), { numRuns: 1, seed: 12 });
    const b = S.encodeEvidenceSsz(ev!);
    for (const sel of [2, 127, 255]) {
      const x = b.slice();
      x[0] = sel;
      expectCode(() => S.decodeEvidenceSsz(x), E.BAD_SELECTOR);
    }
    expectCode(() => S.decodeEvidenceSsz(new Uint8Array(0)), E.TRUNCATED);
  });

  it("1 MiB of garbage is rejected quickly by every decoder", () => {
    const big = new Uint8Array(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    const t0 = performance.now();
    for (const c of cases) {
      const r = outcome(() => c.decode(big));
      expect(r.ok ? "decoded" : r.code).toBe(
        c.fixed !== undefined && !c.gossip ? E.TRAILING_BYTES : E.OVERSIZED,
      );
    }
    for (const t of ["commitment", "attestation", "certificate", "evidence"] as const)
      expectCode(() => S.decodeGossipSsz(t, big), E.OVERSIZED);
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it("the largest response decodes quickly, and hostile ones of the same size fail quickly", () => {
    const certs = fc
      .sample(A.certificate(), { numRuns: 64, seed: 13 })
      .map((x) => ({ ...x, signers: new Uint8Array(512).fill(7) }));
    const b = S.encodeCertificatesByRangeResponseSsz(certs);
    const hostile = b.slice();
    // 64 offsets all pointing at the table end: 63 empty elements.
    for (let i = 0; i < 64; i++) new DataView(hostile.buffer).setUint32(4 * i, 256, true);
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) {
      expect(S.decodeCertificatesByRangeResponseSsz(b)).toHaveLength(64);
      expectCode(() => S.decodeCertificatesByRangeResponseSsz(hostile), E.TRUNCATED);
    }
    expect((performance.now() - t0) / 5).toBeLessThan(100);
  });
});

/** Expected result of cutting an encoded certificate list to `len` bytes (len < full length). */
function expectedResponseCut(certs: Certificate[], len: number, full: Uint8Array): unknown {
  if (len === 0) return { ok: true, value: [] };
  if (len < 4) return { ok: false, code: E.TRUNCATED };
  const offs = A.responseOffsets(certs);
  if (offs.some((o) => o > len)) return { ok: false, code: E.BAD_OFFSET };
  const lastLen = len - offs[offs.length - 1]!;
  if (lastLen < 308) return { ok: false, code: E.TRUNCATED };
  const last = certs[certs.length - 1]!;
  const cutLast = { ...last, signers: full.slice(offs[offs.length - 1]! + 308, len) };
  return { ok: true, value: [...certs.slice(0, -1), cutLast] };
}
