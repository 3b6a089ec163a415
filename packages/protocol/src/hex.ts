// Strict 0x-hex conversion: lowercase output, exact-length checks on input.
import { ProtocolError } from "./errors.js";

export enum HexErrorCode {
  INVALID_HEX = "HEX_ERROR_INVALID",
  WRONG_LENGTH = "HEX_ERROR_WRONG_LENGTH",
}

const DIGITS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
/** Char codes of each byte's two lowercase hex digits. */
const HI = Uint8Array.from(DIGITS, (d) => d.charCodeAt(0));
const LO = Uint8Array.from(DIGITS, (d) => d.charCodeAt(1));
/** Bytes per String.fromCharCode call (its arguments go on the stack). */
const HEX_CHUNK = 4096;
const codes: number[] = [];

/** Lowercase hex digits of bytes[from, to) (to − from ≤ HEX_CHUNK), after `prefix`. */
function digits(bytes: Uint8Array, from: number, to: number, prefix: boolean): string {
  const p = prefix ? 2 : 0;
  codes.length = p + 2 * (to - from);
  if (prefix) {
    codes[0] = 48; // "0"
    codes[1] = 120; // "x"
  }
  for (let i = from, j = p; i < to; i++, j += 2) {
    const b = bytes[i]!;
    codes[j] = HI[b]!;
    codes[j + 1] = LO[b]!;
  }
  return String.fromCharCode.apply(null, codes);
}

/**
 * 0x-prefixed lowercase hex. Built as one flat string: appending digit pairs
 * would leave a chain of V8 cons strings (~1 KiB for a 32-byte root) that
 * every Map lookup must flatten first, and such keys live in caches.
 */
export function toHex(bytes: Uint8Array): `0x${string}` {
  if (bytes.length <= HEX_CHUNK) return digits(bytes, 0, bytes.length, true) as `0x${string}`;
  const parts = ["0x"];
  for (let i = 0; i < bytes.length; i += HEX_CHUNK)
    parts.push(digits(bytes, i, Math.min(bytes.length, i + HEX_CHUNK), false));
  return parts.join("") as `0x${string}`;
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
