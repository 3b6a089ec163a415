// Byte-level framing of req/resp: varint length prefixes and the
// code-byte header of response frames, plus the mapping of framing errors.
import { MAX_ERROR_MESSAGE_BYTES, ResponseCode } from "./types.js";

/** Unsigned LEB128 varint, as used by it-length-prefixed. */
export function encodeVarint(value: number): Uint8Array {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** Header of a response frame: length prefix (code byte + payload) and the code byte. */
export function responseFrameHeader(code: ResponseCode, payloadLength: number): Uint8Array {
  const prefix = encodeVarint(payloadLength + 1);
  const header = new Uint8Array(prefix.length + 1);
  header.set(prefix);
  header[prefix.length] = code;
  return header;
}

/** A complete error frame carrying a truncated UTF-8 message. */
export function errorFrame(code: ResponseCode, message: string): Uint8Array {
  const body = truncateUtf8(message, MAX_ERROR_MESSAGE_BYTES);
  const header = responseFrameHeader(code, body.length);
  const frame = new Uint8Array(header.length + body.length);
  frame.set(header);
  frame.set(body, header.length);
  return frame;
}

function truncateUtf8(message: string, maxBytes: number): Uint8Array {
  const bytes = new TextEncoder().encode(message);
  if (bytes.length <= maxBytes) return bytes;
  // Cut on a character boundary: drop UTF-8 continuation bytes at the cut.
  let end = maxBytes;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/** A remote error message made safe to log: decoded leniently, control characters removed. */
export function decodeErrorMessage(body: Uint8Array): string {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(body.subarray(0, MAX_ERROR_MESSAGE_BYTES));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  return text.replace(/[\u0000-\u001f\u007f]/g, " ");
}

export type FramingFault = "too_large" | "malformed" | "eof";

/** Classifies an it-length-prefixed decode error; undefined for anything else (stream errors). */
export function framingFault(e: unknown): FramingFault | undefined {
  const name = (e as { name?: unknown } | null)?.name;
  switch (name) {
    case "InvalidDataLengthError":
      return "too_large";
    case "InvalidDataLengthLengthError":
    case "InvalidMessageLengthError":
      return "malformed";
    case "UnexpectedEOFError":
      return "eof";
    default:
      return undefined;
  }
}

export function isResponseCode(code: number): code is ResponseCode {
  return code >= ResponseCode.SUCCESS && code <= ResponseCode.RATE_LIMITED;
}
