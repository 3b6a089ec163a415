import { keccak_256 } from "@noble/hashes/sha3.js";
import fc from "fast-check";
import { keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import {
  MERKLE_EMPTY_ROOT,
  MERKLE_SCHEMA_NAME,
  merkleProof,
  merkleRoot,
  merkleTableDigest,
  SCHEMA_MERKLE_V1,
  verifyMerkleProof,
} from "../../../src/schemas/merkle.js";

const h = (...parts: Uint8Array[]): Uint8Array => keccak_256(new Uint8Array(parts.flatMap((p) => [...p])));
const entries = fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 40 });

describe("ocp.merkle.v1", () => {
  it("has schema id keccak256(utf8(name))", () => {
    expect(toHex(SCHEMA_MERKLE_V1)).toBe(keccak256(toHex(MERKLE_SCHEMA_NAME)));
  });

  it("builds the documented tree shapes (odd node promoted, empty = zero hash)", () => {
    const e = [1, 2, 3, 4, 5].map((i) => new Uint8Array([i]));
    const l = e.map((x) => keccak_256(x));
    expect(merkleRoot([])).toEqual(MERKLE_EMPTY_ROOT);
    expect(merkleRoot([e[0]!])).toEqual(l[0]);
    expect(merkleRoot(e.slice(0, 3))).toEqual(h(h(l[0]!, l[1]!), l[2]!));
    expect(merkleRoot(e)).toEqual(h(h(h(l[0]!, l[1]!), h(l[2]!, l[3]!)), l[4]!));
    expect(merkleTableDigest(e).entryCount).toBe(5);
  });

  it("proofs verify for every index and tampered proofs fail", () => {
    fc.assert(
      fc.property(entries, fc.nat(), fc.nat(), (es, a, b) => {
        const root = merkleRoot(es);
        const i = a % es.length;
        const p = merkleProof(es, i);
        expect(verifyMerkleProof(root, es.length, es[i]!, p)).toBe(true);
        // wrong entry, index, count, sibling, or extra/missing sibling
        expect(verifyMerkleProof(root, es.length, new Uint8Array([...es[i]!, 1]), p)).toBe(false);
        if (es.length > 1) {
          const j = (i + 1 + (b % (es.length - 1))) % es.length;
          const sameEntry = es[j]!.length === es[i]!.length && es[j]!.every((x, k) => x === es[i]![k]);
          if (!sameEntry) expect(verifyMerkleProof(root, es.length, es[i]!, { ...p, index: j })).toBe(false);
          const s = p.siblings.map((x) => x.slice());
          s[b % s.length]![b % 32]! ^= 1;
          expect(verifyMerkleProof(root, es.length, es[i]!, { index: i, siblings: s })).toBe(false);
          expect(
            verifyMerkleProof(root, es.length, es[i]!, { index: i, siblings: p.siblings.slice(1) }),
          ).toBe(false);
        }
        expect(
          verifyMerkleProof(root, es.length, es[i]!, {
            index: i,
            siblings: [...p.siblings, new Uint8Array(32)],
          }),
        ).toBe(false);
        expect(verifyMerkleProof(root, es.length, es[i]!, { index: -1, siblings: p.siblings })).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("rejects an inner node passed off as a leaf when the leaf count is known", () => {
    const es = [1, 2, 3, 4].map((i) => new Uint8Array([i]));
    const l = es.map((x) => keccak_256(x));
    const root = merkleRoot(es);
    const inner = new Uint8Array([...l[0]!, ...l[1]!]);
    // A 2-leaf shape would accept it; the attested count (4) does not.
    expect(verifyMerkleProof(root, 2, inner, { index: 0, siblings: [h(l[2]!, l[3]!)] })).toBe(true);
    expect(verifyMerkleProof(root, 4, inner, { index: 0, siblings: [h(l[2]!, l[3]!)] })).toBe(false);
  });

  it("never throws on malformed proofs", () => {
    const es = [new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3])];
    const root = merkleRoot(es);
    for (const bad of [
      { index: 0, siblings: [new Uint8Array(5)] },
      { index: 0.5, siblings: [] },
      { index: 0, siblings: null as never },
      { index: 7, siblings: [] },
    ]) {
      expect(verifyMerkleProof(root, 3, es[0]!, bad)).toBe(false);
    }
    expect(() => merkleProof(es, 3)).toThrow("TABLE_ERROR_BAD_PROOF");
  });
});
