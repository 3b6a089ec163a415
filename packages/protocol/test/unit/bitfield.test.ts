import {
  BitfieldErrorCode,
  bitfieldFromIndices,
  bitfieldIndices,
  bitfieldLength,
  countBits,
  createBitfield,
  getBit,
  isProtocolError,
  setBit,
  validateBitfield,
} from "@ocp/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("bitfield", () => {
  it("has length ceil(n/8)", () => {
    expect([0, 1, 7, 8, 9, 100, 4096].map(bitfieldLength)).toEqual([0, 1, 1, 1, 2, 13, 512]);
    expect(createBitfield(9).length).toBe(2);
  });

  it("places bit i at byte i>>3, position i&7 (LSB first)", () => {
    const b = createBitfield(16);
    setBit(b, 0);
    setBit(b, 9);
    setBit(b, 15);
    expect([...b]).toEqual([0b0000_0001, 0b1000_0010]);
    expect(getBit(b, 9)).toBe(true);
    expect(getBit(b, 8)).toBe(false);
    setBit(b, 9, false);
    expect([...b]).toEqual([0b0000_0001, 0b1000_0000]);
  });

  it("round-trips indices and counts them", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 600 })
          .chain((n) =>
            fc.tuple(fc.constant(n), fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: n })),
          ),
        ([n, idx]) => {
          const b = bitfieldFromIndices(n, idx);
          expect(b.length).toBe(bitfieldLength(n));
          expect(bitfieldIndices(b)).toEqual([...idx].sort((x, y) => x - y));
          expect(countBits(b)).toBe(idx.length);
          expect(validateBitfield(b, n).ok).toBe(true);
          for (const i of idx) expect((b[i >> 3]! >> (i & 7)) & 1).toBe(1);
        },
      ),
    );
  });

  it("validate rejects wrong length and set bits beyond n", () => {
    expect(validateBitfield(new Uint8Array(2), 9).ok).toBe(true);
    expect(validateBitfield(new Uint8Array(3), 9)).toMatchObject({
      ok: false,
      code: BitfieldErrorCode.BAD_LENGTH,
    });
    expect(validateBitfield(new Uint8Array(1), 9)).toMatchObject({
      ok: false,
      code: BitfieldErrorCode.BAD_LENGTH,
    });
    expect(validateBitfield(undefined, 9)).toMatchObject({ ok: false, code: BitfieldErrorCode.BAD_LENGTH });
    expect(validateBitfield(Uint8Array.of(0, 0b10), 9)).toMatchObject({
      ok: false,
      code: BitfieldErrorCode.HIGH_BITS,
    });
    expect(validateBitfield(Uint8Array.of(0, 0b1), 9).ok).toBe(true);
    expect(validateBitfield(Uint8Array.of(0xff), 8).ok).toBe(true);
    expect(validateBitfield(Uint8Array.of(0x80), 7)).toMatchObject({
      ok: false,
      code: BitfieldErrorCode.HIGH_BITS,
    });
  });

  it("out-of-range indices throw typed errors", () => {
    for (const f of [
      () => bitfieldFromIndices(9, [9]),
      () => setBit(createBitfield(8), 8),
      () => getBit(createBitfield(8), -1),
    ]) {
      try {
        f();
        expect.unreachable();
      } catch (e) {
        expect(isProtocolError(e) && e.code).toBe(BitfieldErrorCode.INDEX_OUT_OF_RANGE);
      }
    }
  });
});
