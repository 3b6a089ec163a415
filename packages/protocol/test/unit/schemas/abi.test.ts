import fc from "fast-check";
import { encodeAbiParameters, hexToBytes } from "viem";
import { describe, expect, it } from "vitest";
import { ProtocolError } from "../../../src/errors.js";
import {
  type AbiType,
  type AbiValue,
  abiAddress,
  abiArray,
  abiBool,
  abiBytes,
  abiBytes32,
  abiCanonicalize,
  abiDecode,
  abiEncode,
  abiInt256,
  abiTuple,
  abiTypeString,
  abiUint,
  abiUint64,
  abiUint256,
  TableErrorCode,
} from "../../../src/schemas/abi.js";
import { encodeParamsScrambled, makeRng, toViemParam, toViemValue } from "./eezGen.js";

const leaf = fc.constantFrom<AbiType>(
  abiUint256,
  abiUint64,
  abiUint(8),
  abiUint(160),
  abiInt256,
  abiAddress,
  abiBool,
  abiBytes32,
  abiBytes,
);

const { type: typeArb } = fc.letrec<{ type: AbiType; array: AbiType; tuple: AbiType }>((tie) => ({
  type: fc.oneof({ maxDepth: 3, depthIdentifier: "abi" }, leaf, tie("array"), tie("tuple")),
  array: tie("type").map((item) => abiArray(item)),
  tuple: fc
    .array(tie("type"), { minLength: 1, maxLength: 4 })
    .map((ts) => abiTuple(Object.fromEntries(ts.map((t, i) => [`f${i}`, t])))),
}));

function valueArb(t: AbiType): fc.Arbitrary<AbiValue> {
  switch (t.kind) {
    case "uint": {
      const max = (1n << BigInt(t.bits)) - 1n;
      return fc.oneof(fc.constantFrom(0n, max), fc.bigInt({ min: 0n, max }));
    }
    case "int256":
      return fc.oneof(
        fc.constantFrom(-(1n << 255n), (1n << 255n) - 1n, -1n),
        fc.bigInt({ min: -(1n << 255n), max: (1n << 255n) - 1n }),
      );
    case "address":
      return fc.uint8Array({ minLength: 20, maxLength: 20 });
    case "bool":
      return fc.boolean();
    case "bytes32":
      return fc.uint8Array({ minLength: 32, maxLength: 32 });
    case "bytes":
      return fc.uint8Array({ maxLength: 70 });
    case "array":
      return fc.array(valueArb(t.item), { maxLength: 3 });
    case "tuple":
      return fc.record(Object.fromEntries(t.fields.map((f) => [f.name, valueArb(f.type)])));
  }
}

const typeAndValue = typeArb.chain((t) => valueArb(t).map((v) => ({ t, v })));

function expectTyped(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    expect(Object.values(TableErrorCode)).toContain((e as ProtocolError).code);
  }
}

describe("abi codec", () => {
  it("encodes like viem's encodeAbiParameters (a struct as ONE tuple)", () => {
    fc.assert(
      fc.property(typeAndValue, ({ t, v }) => {
        const ours = abiEncode(t, v);
        const theirs = hexToBytes(encodeAbiParameters([toViemParam(t)], [toViemValue(t, v)] as never));
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 300 },
    );
  });

  it("round-trips encode → decode → encode", () => {
    fc.assert(
      fc.property(typeAndValue, ({ t, v }) => {
        const enc = abiEncode(t, v);
        const dec = abiDecode(t, enc);
        expect(dec).toEqual(v);
        expect(abiEncode(t, dec)).toEqual(enc);
        expect(abiCanonicalize(t, enc)).toEqual(enc);
      }),
      { numRuns: 300 },
    );
  });

  it("decodes non-canonical encodings to the same values and re-encodes canonically", () => {
    fc.assert(
      fc.property(typeAndValue, fc.integer(), ({ t, v }, seed) => {
        const scrambled = encodeParamsScrambled([{ type: t, value: v }], makeRng(seed));
        expect(abiDecode(t, scrambled)).toEqual(v);
        expect(abiCanonicalize(t, scrambled)).toEqual(abiEncode(t, v));
      }),
      { numRuns: 300 },
    );
  });

  it("raises only typed errors on garbage, truncation and word mutations", () => {
    fc.assert(
      fc.property(typeAndValue, fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (tv, junk, a, b) => {
        const { t, v } = tv;
        expectTyped(() => abiDecode(t, junk));
        const enc = abiEncode(t, v);
        expectTyped(() => abiDecode(t, enc.subarray(0, a % (enc.length + 1))));
        const mutated = enc.slice();
        if (mutated.length >= 32) {
          const w = (a % (mutated.length / 32)) * 32;
          const patterns = [0xff, 0x80, 0x00];
          mutated.fill(patterns[b % 3]!, w, w + 1 + (b % 32));
        }
        expectTyped(() => abiDecode(t, mutated));
      }),
      { numRuns: 400 },
    );
  });

  it("rejects dirty high bits in uint64, address and bool as MALFORMED", () => {
    const cases: [AbiType, number][] = [
      [abiUint64, 23],
      [abiAddress, 11],
      [abiBool, 0],
      [abiUint(8), 30],
    ];
    for (const [t, byte] of cases) {
      const w = new Uint8Array(32);
      w[byte] = 1;
      expect(() => abiDecode(t, w)).toThrow(TableErrorCode.MALFORMED);
    }
    const dirtyBool = new Uint8Array(32);
    dirtyBool[31] = 2;
    expect(() => abiDecode(abiBool, dirtyBool)).toThrow(TableErrorCode.MALFORMED);
  });

  it("rejects offsets and lengths beyond 64 bits or past the end", () => {
    const enc = abiEncode(abiBytes, new Uint8Array(5));
    const bigOffset = enc.slice();
    bigOffset[0] = 1; // offset ≥ 2^248
    expect(() => abiDecode(abiBytes, bigOffset)).toThrow(TableErrorCode.BAD_OFFSET);
    const bigLen = enc.slice();
    bigLen.fill(0xff, 32 + 24, 64); // length 2^64-1: cannot fit any input
    expect(() => abiDecode(abiBytes, bigLen)).toThrow(TableErrorCode.BAD_OFFSET);
    const pastEnd = enc.slice();
    pastEnd[63] = 40; // 40 bytes claimed, 32 present
    expect(() => abiDecode(abiBytes, pastEnd)).toThrow(TableErrorCode.TRUNCATED);
    const hugeArray = abiEncode(abiArray(abiUint256), [1n]);
    hugeArray.fill(0xff, 32 + 26, 64); // length 2^48-1: must fail fast, not allocate
    expect(() => abiDecode(abiArray(abiUint256), hugeArray)).toThrow(TableErrorCode.TRUNCATED);
  });

  it("caps work when many offsets alias one tail (no exponential blow-up)", () => {
    // bytes[][][][]: each level holds N offsets all pointing at the same child.
    const N = 120;
    const t = abiArray(abiArray(abiArray(abiArray(abiBytes))));
    const word = (v: number): Uint8Array => {
      const w = new Uint8Array(32);
      new DataView(w.buffer).setUint32(28, v);
      return w;
    };
    let child = new Uint8Array(64); // empty bytes + spare word
    for (let level = 0; level < 4; level++) {
      const parts = [word(N), ...Array.from({ length: N }, () => word(32 * N))];
      const out = new Uint8Array(32 * (N + 1) + child.length);
      for (const [i, p] of parts.entries()) out.set(p, 32 * i);
      out.set(child, 32 * (N + 1));
      child = out;
    }
    const input = new Uint8Array(32 + child.length);
    input.set(word(32), 0);
    input.set(child, 32);
    const t0 = performance.now();
    expect(() => abiDecode(t, input)).toThrow(TableErrorCode.TOO_LARGE);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it("writes canonical type strings", () => {
    expect(
      abiTypeString(abiTuple({ a: abiArray(abiTuple({ x: abiUint64, y: abiBytes })), b: abiInt256 })),
    ).toBe("((uint64,bytes)[],int256)");
  });

  it("rejects out-of-range values in the encoder", () => {
    expect(() => abiEncode(abiUint64, 1n << 64n)).toThrow(TableErrorCode.INVALID_VALUE);
    expect(() => abiEncode(abiInt256, 1n << 255n)).toThrow(TableErrorCode.INVALID_VALUE);
    expect(() => abiEncode(abiAddress, new Uint8Array(19))).toThrow(TableErrorCode.INVALID_VALUE);
    expect(() => abiEncode(abiTuple({ a: abiBool }), {})).toThrow(TableErrorCode.INVALID_VALUE);
  });
});
