// Strict 0x-hex conversion: lowercase output, exact-length checks on input.
import { ProtocolError } from "./errors.js";

export enum HexErrorCode {
  INVALID_HEX = "HEX_ERROR_INVALID",
  WRONG_LENGTH = "HEX_ERROR_WRONG_LENGTH",
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(bytes: Uint8Array): `0x${string}` {
  let out = "0x";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out as `0x${string}`;
}

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses 0x-prefixed hex (either case). `length` = expected byte length. */
export function fromHex(hex: unknown, length?: number): Uint8Array {
  if (typeof hex !== "string" || !hex.startsWith("0x") || hex.length % 2 !== 0) {
    throw new ProtocolError(
      HexErrorCode.INVALID_HEX,
      "expected 0x-prefixed hex with an even number of digits",
    );
  }
  const n = (hex.length - 2) / 2;
  if (length !== undefined && n !== length) {
    throw new ProtocolError(HexErrorCode.WRONG_LENGTH, `expected ${length} bytes, got ${n}`);
  }
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const hi = nibble(hex.charCodeAt(2 + 2 * i));
    const lo = nibble(hex.charCodeAt(3 + 2 * i));
    if (hi < 0 || lo < 0)
      throw new ProtocolError(HexErrorCode.INVALID_HEX, `invalid hex digit at ${2 + 2 * i}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
