// Signer bitfields (docs/spec.md §3): exactly ceil(n/8) bytes, verifier i signed iff
// (b[i >> 3] >> (i & 7)) & 1, unused high bits zero. Same bytes everywhere.
import { ProtocolError, type Result } from "./errors.js";

export enum BitfieldErrorCode {
  BAD_LENGTH = "BITFIELD_ERROR_BAD_LENGTH",
  HIGH_BITS = "BITFIELD_ERROR_HIGH_BITS",
  INDEX_OUT_OF_RANGE = "BITFIELD_ERROR_INDEX_OUT_OF_RANGE",
}

export function bitfieldLength(n: number): number {
  return (n + 7) >>> 3;
}

/** An all-zero bitfield for `n` verifiers. */
export function createBitfield(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new ProtocolError(BitfieldErrorCode.BAD_LENGTH, `invalid verifier count ${n}`);
  }
  return new Uint8Array(bitfieldLength(n));
}

function checkIndex(bits: Uint8Array, i: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= bits.length * 8) {
    throw new ProtocolError(BitfieldErrorCode.INDEX_OUT_OF_RANGE, `index ${i}`);
  }
}

export function setBit(bits: Uint8Array, i: number, value = true): void {
  checkIndex(bits, i);
  if (value) bits[i >> 3]! |= 1 << (i & 7);
  else bits[i >> 3]! &= ~(1 << (i & 7));
}

export function getBit(bits: Uint8Array, i: number): boolean {
  checkIndex(bits, i);
  return ((bits[i >> 3]! >> (i & 7)) & 1) === 1;
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => {
  let c = 0;
  for (let x = b; x !== 0; x >>= 1) c += x & 1;
  return c;
});

export function countBits(bits: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < bits.length; i++) c += POPCOUNT[bits[i]!]!;
  return c;
}

/** Checks length and zero high bits for a set of `n` verifiers; never throws. */
export function validateBitfield(bits: unknown, n: number): Result<Uint8Array, BitfieldErrorCode> {
  if (!(bits instanceof Uint8Array) || bits.length !== bitfieldLength(n)) {
    return { ok: false, code: BitfieldErrorCode.BAD_LENGTH, detail: `expected ${bitfieldLength(n)} bytes` };
  }
  const rem = n & 7;
  // [REJECT] bits beyond n must be zero, so a bitfield has one encoding only
  if (rem !== 0 && bits[bits.length - 1]! >> rem !== 0) {
    return { ok: false, code: BitfieldErrorCode.HIGH_BITS, detail: `bits at or beyond ${n} set` };
  }
  return { ok: true, value: bits };
}

/** Indices of set bits, ascending. */
export function bitfieldIndices(bits: Uint8Array): number[] {
  const out: number[] = [];
  for (let byte = 0; byte < bits.length; byte++) {
    let b = bits[byte]!;
    while (b !== 0) {
      const low = b & -b;
      out.push(byte * 8 + 31 - Math.clz32(low));
      b ^= low;
    }
  }
  return out;
}

/** A bitfield for `n` verifiers with the given indices set. */
export function bitfieldFromIndices(n: number, indices: Iterable<number>): Uint8Array {
  const bits = createBitfield(n);
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new ProtocolError(BitfieldErrorCode.INDEX_OUT_OF_RANGE, `index ${i} for ${n} verifiers`);
    }
    setBit(bits, i);
  }
  return bits;
}
