// The WebAssembly keccak that table digests use for large buffers computes
// the same function as @noble/hashes and as viem.
import { keccak_256 } from "@noble/hashes/sha3.js";
import { keccak256 } from "viem";
import { describe, expect, it } from "vitest";
import { keccak256Bulk, keccakBackend, keccakReady } from "../../../src/schemas/keccak.js";
import { makeRng, randBytes } from "./eezGen.js";

describe("keccak256Bulk", () => {
  it("runs the WebAssembly keccak once it has loaded", async () => {
    await keccakReady;
    expect(keccakBackend()).toBe("wasm");
  });

  it("equals noble and viem at every length around the rate", async () => {
    await keccakReady;
    const rng = makeRng(9);
    const lengths = [0, 1, 31, 135, 136, 137, 271, 272, 511, 512, 513, 4096, 100_003, 1 << 20];
    for (const n of lengths) {
      const b = randBytes(rng, n);
      const ours = keccak256Bulk(b);
      expect(ours, `length ${n}`).toEqual(keccak_256(b));
      expect(Buffer.from(ours).toString("hex"), `length ${n}`).toBe(keccak256(b).slice(2));
      // A view into a larger buffer hashes only the view.
      const big = new Uint8Array(n + 64);
      big.set(b, 32);
      expect(keccak256Bulk(big.subarray(32, 32 + n)), `view of length ${n}`).toEqual(ours);
    }
  });
});
