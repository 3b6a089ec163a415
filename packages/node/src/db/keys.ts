// Key encoding helpers. Integers are big-endian so LevelDB's bytewise order
// equals numeric order, which makes "slots a..b of one stream" one range scan.
import type { Bucket } from "./buckets.js";

export const UINT64_BYTES = 8;

export function uint64BE(value: bigint): Uint8Array {
  if (value < 0n || value > 0xffff_ffff_ffff_ffffn) throw new RangeError(`uint64 out of range: ${value}`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value);
  return out;
}

export function readUint64BE(bytes: Uint8Array, offset: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset);
}

export function uint32BE(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff)
    throw new RangeError(`uint32 out of range: ${value}`);
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

export function readUint32BE(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset);
}

/** Concatenates key parts, checking each part's fixed length where given. */
export function joinKey(parts: readonly (Uint8Array | [Uint8Array, number])[]): Uint8Array {
  let len = 0;
  for (const p of parts) {
    const bytes = Array.isArray(p) ? p[0] : p;
    if (Array.isArray(p) && bytes.length !== p[1]) {
      throw new RangeError(`key part must be ${p[1]} bytes, got ${bytes.length}`);
    }
    len += bytes.length;
  }
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    const bytes = Array.isArray(p) ? p[0] : p;
    out.set(bytes, o);
    o += bytes.length;
  }
  return out;
}

/** Prepends the one-byte bucket prefix. */
export function bucketKey(bucket: Bucket, suffix: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + suffix.length);
  out[0] = bucket;
  out.set(suffix, 1);
  return out;
}

/**
 * The smallest byte string greater than every string starting with `prefix`,
 * or undefined when there is none (prefix all 0xff).
 */
export function prefixUpperBound(prefix: Uint8Array): Uint8Array | undefined {
  const out = Uint8Array.from(prefix);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i]! < 0xff) {
      out[i]! += 1;
      return out.subarray(0, i + 1);
    }
  }
  return undefined;
}
