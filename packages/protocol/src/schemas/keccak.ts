// keccak256 for the large buffers a table digest hashes (docs/spec.md §4.1):
// the EVM charges 6 gas per hashed word, so a hostile call can make a
// verifier hash far more bytes than it sent, and keccak speed bounds the
// digest's time per gas. A WebAssembly keccak (hash-wasm) runs an order of
// magnitude faster than the portable one, at every length (a few µs against
// tens for one block, which matters for the per-call cost of a digest); until
// it has loaded, the portable one answers. Both compute the same function (checked
// in test/unit/schemas/keccak.test.ts).
//
// hash-wasm's main entry is one bundle of all its ~30 algorithms, WebAssembly
// binaries included as text; its keccak-only build is loaded instead (same
// package and version, same function). A node process importing @ocp/node
// was 3.5 MiB smaller resident with it (87 against 90.5 MiB, after GC).
import { createRequire } from "node:module";
import { keccak_256 } from "@noble/hashes/sha3.js";
import type * as HashWasm from "hash-wasm";

const { createKeccak } = createRequire(import.meta.url)("hash-wasm/dist/keccak.umd.min.js") as Pick<
  typeof HashWasm,
  "createKeccak"
>;

let wasm: HashWasm.IHasher | undefined;

/** Resolves once the WebAssembly keccak is in use (never rejects: the portable one stays). */
export const keccakReady: Promise<void> = createKeccak(256).then(
  (h) => {
    wasm = h;
  },
  () => undefined,
);

/** keccak256 of `data`. */
export function keccak256Bulk(data: Uint8Array): Uint8Array {
  if (wasm === undefined) return keccak_256(data);
  return wasm.init().update(data).digest("binary");
}

/** Which keccak `keccak256Bulk` runs: "wasm" once the WebAssembly one has loaded. */
export function keccakBackend(): "wasm" | "portable" {
  return wasm === undefined ? "portable" : "wasm";
}
