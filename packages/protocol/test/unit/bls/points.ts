// Test helpers: compressed encodings of points that are on the curve but
// outside the prime-order subgroup, built with noble's field arithmetic.
import { bls12_381 } from "@noble/curves/bls12-381.js";

const { Fp, Fp2 } = bls12_381.fields;

function fpBytes(x: bigint): Uint8Array {
  const out = new Uint8Array(48);
  for (let i = 47; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** A G1 curve point (y² = x³ + 4) not in G1, compressed with flag 0x80. */
export function nonSubgroupG1(): Uint8Array {
  for (let x = 1n; ; x++) {
    const y2 = Fp.add(Fp.pow(x, 3n), 4n);
    let y: bigint | undefined;
    try {
      y = Fp.sqrt(y2);
    } catch {
      continue;
    }
    if (y === undefined || !Fp.eql(Fp.sqr(y), y2)) continue;
    const p = bls12_381.G1.Point.fromAffine({ x, y });
    if (p.isTorsionFree()) continue;
    const out = fpBytes(x);
    out[0]! |= 0x80;
    return out;
  }
}

/** A G2 curve point (y² = x³ + 4(1+i)) not in G2, compressed (c1 ‖ c0) with flag 0x80. */
export function nonSubgroupG2(): Uint8Array {
  const b = Fp2.create({ c0: 4n, c1: 4n });
  for (let k = 1n; ; k++) {
    const x = Fp2.create({ c0: k, c1: 1n });
    const y2 = Fp2.add(Fp2.pow(x, 3n), b);
    let y: ReturnType<typeof Fp2.sqrt> | undefined;
    try {
      y = Fp2.sqrt(y2);
    } catch {
      continue;
    }
    if (y === undefined || !Fp2.eql(Fp2.sqr(y), y2)) continue;
    const p = bls12_381.G2.Point.fromAffine({ x, y });
    if (p.isTorsionFree()) continue;
    const out = new Uint8Array(96);
    out.set(fpBytes(x.c1), 0);
    out.set(fpBytes(x.c0), 48);
    out[0]! |= 0x80;
    return out;
  }
}

/** x = p − 1 ... is fine; x ≥ p is not a field element at all. */
export function nonCanonicalG1(): Uint8Array {
  const out = fpBytes(Fp.ORDER + 1n);
  out[0]! |= 0x80;
  return out;
}

/** An x for which x³ + 4 is not a square: no point has it. */
export function offCurveG1(): Uint8Array {
  for (let x = 1n; ; x++) {
    const y2 = Fp.add(Fp.pow(x, 3n), 4n);
    let ok = true;
    try {
      const y = Fp.sqrt(y2);
      ok = y !== undefined && Fp.eql(Fp.sqr(y), y2);
    } catch {
      ok = false;
    }
    if (ok) continue;
    const out = fpBytes(x);
    out[0]! |= 0x80;
    return out;
  }
}
