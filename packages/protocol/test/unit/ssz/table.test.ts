// table_by_digest framing: ≤ 1 MiB frames, reassembly under the 16 MiB cap.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as S from "../../../src/ssz/index.js";
import { MAX_TABLE_BYTES, MAX_TABLE_FRAME_BYTES } from "../../../src/types.js";
import { expectCode, outcome } from "./cases.js";

const E = S.SszErrorCode;
const MiB = 1024 * 1024;

/** Large arrays are compared natively: a deep equality over 16 MiB would walk every index. */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >>> 9)) & 0xff;
  return out;
}

describe("ssz table frames", () => {
  it("limits are the docs/spec.md §5 numbers", () => {
    expect(MAX_TABLE_FRAME_BYTES).toBe(MiB);
    expect(MAX_TABLE_BYTES).toBe(16 * MiB);
    expect(S.sszTableChunk.maxSize).toBe(MiB);
  });

  it("split → reassemble round-trips at the frame boundaries and the cap", () => {
    for (const n of [0, 1, MiB - 1, MiB, MiB + 1, 2.5 * MiB, 16 * MiB]) {
      const table = pattern(n);
      const frames = S.splitTableFramesSsz(table);
      expect(frames.length).toBe(Math.ceil(n / MiB));
      for (const f of frames) {
        expect(f.length).toBeGreaterThan(0);
        expect(f.length).toBeLessThanOrEqual(MiB);
      }
      expect(same(S.reassembleTableFramesSsz(frames), table)).toBe(true);
    }
    expectCode(() => S.splitTableFramesSsz(new Uint8Array(16 * MiB + 1)), E.INVALID_VALUE);
  });

  it("any split of a table into non-empty frames reassembles it", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 4000 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (table, cuts) => {
          const points = [...new Set(cuts.map((c) => c % table.length))]
            .filter((p) => p > 0)
            .sort((a, b) => a - b);
          const frames: Uint8Array[] = [];
          let prev = 0;
          for (const p of [...points, table.length]) {
            frames.push(table.slice(prev, p));
            prev = p;
          }
          const r = new S.SszTableReassembler();
          for (const f of frames) r.push(f);
          expect(r.byteLength).toBe(table.length);
          expect(r.finish()).toEqual(table);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("rejects a frame over 1 MiB, an empty frame, more than 16 MiB, and frames after finish()", () => {
    expectCode(() => new S.SszTableReassembler().push(new Uint8Array(MiB + 1)), E.OVERSIZED);
    expectCode(() => new S.SszTableReassembler().push(new Uint8Array(0)), E.INVALID);
    expectCode(() => new S.SszTableReassembler().push("abc" as never), E.INVALID);
    const r = new S.SszTableReassembler();
    const frame = new Uint8Array(MiB);
    for (let i = 0; i < 16; i++) r.push(frame);
    expect(r.byteLength).toBe(16 * MiB);
    expectCode(() => r.push(Uint8Array.of(1)), E.OVERSIZED);
    expect(r.finish().length).toBe(16 * MiB);
    expectCode(() => r.push(Uint8Array.of(1)), E.INVALID);
    // A smaller caller cap.
    expectCode(() => S.reassembleTableFramesSsz([new Uint8Array(10), new Uint8Array(11)], 20), E.OVERSIZED);
    expectCode(() => new S.SszTableReassembler(-1), E.INVALID_VALUE);
  });

  it("an endless stream of frames stops at the cap instead of hanging", async () => {
    let sent = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      const f = new Uint8Array(MiB);
      for (;;) {
        sent++;
        yield f;
      }
    }
    const err = await S.reassembleTableFramesSszAsync(endless()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(
      outcome(() => {
        throw err;
      }),
    ).toEqual({ ok: false, code: E.OVERSIZED });
    expect(sent).toBe(17);
  });

  it("many tiny frames reassemble in linear time", () => {
    const n = 200_000;
    const table = pattern(n, 3);
    const t0 = performance.now();
    const r = new S.SszTableReassembler();
    for (let i = 0; i < n; i++) r.push(table.subarray(i, i + 1));
    expect(same(r.finish(), table)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it("table chunk codec: raw bytes, copied, ≤ 1 MiB", () => {
    const chunk = pattern(MiB, 5);
    const enc = S.encodeTableChunkSsz(chunk);
    expect(same(enc, chunk)).toBe(true);
    const dec = S.decodeTableChunkSsz(Buffer.from(enc));
    expect(dec.constructor).toBe(Uint8Array);
    expect(same(dec, chunk)).toBe(true);
    enc.fill(0);
    expect(same(dec, chunk)).toBe(true);
    expect(S.decodeTableChunkSsz(new Uint8Array(0))).toEqual(new Uint8Array(0));
    expectCode(() => S.decodeTableChunkSsz(new Uint8Array(MiB + 1)), E.OVERSIZED);
    expectCode(() => S.decodeTableChunkSsz(null as never), E.INVALID);
  });
});
