// Hex encoding, cross-checked with viem and Node's Buffer.
import fc from "fast-check";
import { bytesToHex } from "viem";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../src/hex.js";

describe("toHex", () => {
  it("matches viem and Buffer for any bytes, and round-trips through fromHex", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        const h = toHex(b);
        expect(h).toBe(bytesToHex(b));
        expect(h).toBe(`0x${Buffer.from(b).toString("hex")}`);
        expect(fromHex(h)).toEqual(b);
      }),
    );
  });

  it("encodes inputs longer than one chunk (and of exactly one chunk) whole", () => {
    for (const n of [4095, 4096, 4097, 8192, 100_000]) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 255);
      expect(toHex(b)).toBe(`0x${Buffer.from(b).toString("hex")}`);
    }
  });

  it("encodes a subarray view, not its whole buffer", () => {
    const all = Uint8Array.from([1, 2, 3, 4, 5]);
    expect(toHex(all.subarray(1, 3))).toBe("0x0203");
    expect(toHex(new Uint8Array(0))).toBe("0x");
  });
});
