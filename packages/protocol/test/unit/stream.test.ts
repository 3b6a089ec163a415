import fc from "fast-check";
import { encodeAbiParameters, keccak256 } from "viem";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../src/hex.js";
import { streamId } from "../../src/stream.js";

describe("streamId", () => {
  it("equals keccak256(abi.encode(uint256, address)) computed by viem", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        (id, addr) => {
          const expected = keccak256(
            encodeAbiParameters([{ type: "uint256" }, { type: "address" }], [id, toHex(addr)]),
          );
          expect(toHex(streamId(id, addr))).toBe(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
  it("rejects a malformed address", () => {
    expect(() => streamId(1, fromHex("0x1234"))).toThrow(/STREAM_ERROR_INVALID_ADDRESS/);
  });
});
