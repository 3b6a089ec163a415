// Conversion between compressed BLS12-381 points (48-byte G1, 96-byte G2, ZCash
// flags) and the EIP-2537 precompile encodings (G1 128 B, G2 256 B): each Fp is
// 64 bytes, 16 zero bytes then 48 big-endian; an Fp2 is c0 then c1 (the reverse of
// the compressed form's c1-first order); infinity is all zeros.
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { ProtocolError } from "./errors.js";

export enum Eip2537ErrorCode {
  WRONG_LENGTH = "EIP2537_ERROR_WRONG_LENGTH",
  /** Padding not zero or a coordinate ≥ p. */
  NON_CANONICAL = "EIP2537_ERROR_NON_CANONICAL",
  /** Not on the curve, not in the prime-order subgroup, or an undecodable compressed point. */
  INVALID_POINT = "EIP2537_ERROR_INVALID_POINT",
}

export const EIP2537_G1_LENGTH = 128;
export const EIP2537_G2_LENGTH = 256;

const { G1, G2 } = bls12_381;
const P = bls12_381.fields.Fp.ORDER;
type G1Point = InstanceType<typeof G1.Point>;
type G2Point = InstanceType<typeof G2.Point>;

const fail = (code: Eip2537ErrorCode, detail?: string): ProtocolError<Eip2537ErrorCode> =>
  new ProtocolError(code, detail);

function putFp(out: Uint8Array, offset: number, v: bigint): void {
  for (let i = 63; i >= 16 && v > 0n; i--) {
    out[offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function getFp(bytes: Uint8Array, offset: number): bigint {
  for (let i = 0; i < 16; i++) {
    if (bytes[offset + i] !== 0) throw fail(Eip2537ErrorCode.NON_CANONICAL, `padding at byte ${offset + i}`);
  }
  let v = 0n;
  for (let i = 16; i < 64; i++) v = (v << 8n) | BigInt(bytes[offset + i]!);
  if (v >= P) throw fail(Eip2537ErrorCode.NON_CANONICAL, `coordinate at byte ${offset} is not below p`);
  return v;
}

function checkLength(bytes: unknown, n: number): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length !== n) {
    throw fail(Eip2537ErrorCode.WRONG_LENGTH, `expected ${n} bytes`);
  }
}

function decode<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw fail(Eip2537ErrorCode.INVALID_POINT, e instanceof Error ? e.message : String(e));
  }
}

export function g1PointToEip2537(p: G1Point): Uint8Array {
  const out = new Uint8Array(EIP2537_G1_LENGTH);
  if (p.is0()) return out;
  const { x, y } = p.toAffine();
  putFp(out, 0, x);
  putFp(out, 64, y);
  return out;
}

export function g2PointToEip2537(p: G2Point): Uint8Array {
  const out = new Uint8Array(EIP2537_G2_LENGTH);
  if (p.is0()) return out;
  const { x, y } = p.toAffine();
  putFp(out, 0, x.c0);
  putFp(out, 64, x.c1);
  putFp(out, 128, y.c0);
  putFp(out, 192, y.c1);
  return out;
}

/** 48-byte compressed G1 (e.g. a public key) → 128-byte EIP-2537 encoding. */
export function g1ToEip2537(compressed: Uint8Array): Uint8Array {
  checkLength(compressed, 48);
  return g1PointToEip2537(decode(() => G1.Point.fromBytes(compressed)));
}

/** 96-byte compressed G2 (e.g. a signature or PoP) → 256-byte EIP-2537 encoding. */
export function g2ToEip2537(compressed: Uint8Array): Uint8Array {
  checkLength(compressed, 96);
  return g2PointToEip2537(decode(() => G2.Point.fromBytes(compressed)));
}

/** Decodes a canonical 128-byte EIP-2537 G1 point, checking curve and subgroup. */
export function g1PointFromEip2537(enc: Uint8Array): G1Point {
  checkLength(enc, EIP2537_G1_LENGTH);
  const x = getFp(enc, 0);
  const y = getFp(enc, 64);
  if (x === 0n && y === 0n) return G1.Point.ZERO;
  return decode(() => {
    const p = G1.Point.fromAffine({ x, y });
    p.assertValidity();
    return p;
  });
}

/** Decodes a canonical 256-byte EIP-2537 G2 point, checking curve and subgroup. */
export function g2PointFromEip2537(enc: Uint8Array): G2Point {
  checkLength(enc, EIP2537_G2_LENGTH);
  const c = [0, 64, 128, 192].map((o) => getFp(enc, o));
  if (c.every((v) => v === 0n)) return G2.Point.ZERO;
  const Fp2 = bls12_381.fields.Fp2;
  return decode(() => {
    const p = G2.Point.fromAffine({
      x: Fp2.create({ c0: c[0]!, c1: c[1]! }),
      y: Fp2.create({ c0: c[2]!, c1: c[3]! }),
    });
    p.assertValidity();
    return p;
  });
}

/** 128-byte EIP-2537 G1 → 48-byte compressed. */
export function g1FromEip2537(enc: Uint8Array): Uint8Array {
  return g1PointFromEip2537(enc).toBytes(true);
}

/** 256-byte EIP-2537 G2 → 96-byte compressed. */
export function g2FromEip2537(enc: Uint8Array): Uint8Array {
  return g2PointFromEip2537(enc).toBytes(true);
}
