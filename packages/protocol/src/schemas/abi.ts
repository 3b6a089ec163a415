// Kept as one file: descriptor compiler, canonicalizer and encoder must agree byte for byte on one layout.
// A small Solidity ABI codec driven by type descriptors: canonical encoding
// (what `abi.encode` produces), and a strict, bounded decoder of untrusted bytes.
//
// The decoder here follows Solidity's ABI coder v2 *memory* decoder (what runs
// for a `memory` parameter or `abi.decode`): an offset or length must fit in
// 64 bits and every head, length word and tail must lie inside the input;
// tails may sit anywhere (reordered, overlapping, with gaps or odd alignment)
// and trailing bytes are ignored. Values of `uint<N>` (N < 256), `address` and
// `bool` with dirty high bits are rejected (TABLE_ERROR_MALFORMED). Padding
// bytes after `bytes` data are not checked and are zeroed in the re-encoding.
//
// EEZ takes its batch as a `calldata` parameter, which Solidity reads through
// lazy accessors with other rules (wrapping offsets, signed comparisons,
// nothing checked until read): those are implemented in `calldata.ts`, and
// every EEZ digest goes through them (docs/spec.md §4.1).
//
// Hashes must be taken over the canonical re-encoding, never over input slices:
// the same values admit many encodings.
import { ProtocolError } from "../errors.js";
import { OutputWriter } from "./writer.js";

export enum TableErrorCode {
  /** A head, length word or tail extends past the end of the input. */
  TRUNCATED = "TABLE_ERROR_TRUNCATED",
  /** An offset or length word does not fit the input (Solidity: > 2^64-1 or out of bounds). */
  BAD_OFFSET = "TABLE_ERROR_BAD_OFFSET",
  /** A value with dirty high bits (uint<N>, address, bool) or otherwise not decodable. */
  MALFORMED = "TABLE_ERROR_MALFORMED",
  /** The decoded value would exceed the work/size budget (aliased tails, absurd lengths). */
  TOO_LARGE = "TABLE_ERROR_TOO_LARGE",
  /** Solidity's calldata accessors would revert reading this: the call cannot have succeeded. */
  REVERTS = "TABLE_ERROR_REVERTS",
  /** Calldata does not start with the expected function selector. */
  WRONG_SELECTOR = "TABLE_ERROR_WRONG_SELECTOR",
  /** A value handed to the encoder does not fit its ABI type. */
  INVALID_VALUE = "TABLE_ERROR_INVALID_VALUE",
  /** rollupIdsWithProofSystems is not strictly increasing by rollupId. */
  ROLLUPS_NOT_SORTED = "TABLE_ERROR_ROLLUPS_NOT_SORTED",
  /** No verification key is known for a (rollup, proof system) pair. */
  MISSING_VK = "TABLE_ERROR_MISSING_VK",
  /** Schema name not known to this implementation. */
  UNKNOWN_SCHEMA = "TABLE_ERROR_UNKNOWN_SCHEMA",
  /** Merkle inclusion proof input out of range. */
  BAD_PROOF = "TABLE_ERROR_BAD_PROOF",
}

// ---------------------------------------------------------------------------
// Type descriptors

export type AbiType =
  | { readonly kind: "uint"; readonly bits: number }
  | { readonly kind: "int256" }
  | { readonly kind: "address" }
  | { readonly kind: "bool" }
  | { readonly kind: "bytes32" }
  | { readonly kind: "bytes" }
  | { readonly kind: "array"; readonly item: AbiType }
  | { readonly kind: "tuple"; readonly fields: readonly AbiField[] };

export interface AbiField {
  readonly name: string;
  readonly type: AbiType;
}

export const abiUint = (bits: number): AbiType => {
  if (!Number.isInteger(bits) || bits < 8 || bits > 256 || bits % 8 !== 0) {
    throw new ProtocolError(TableErrorCode.INVALID_VALUE, `uint${bits} is not an ABI type`);
  }
  return { kind: "uint", bits };
};
export const abiUint256: AbiType = { kind: "uint", bits: 256 };
export const abiUint64: AbiType = { kind: "uint", bits: 64 };
export const abiInt256: AbiType = { kind: "int256" };
export const abiAddress: AbiType = { kind: "address" };
export const abiBool: AbiType = { kind: "bool" };
export const abiBytes32: AbiType = { kind: "bytes32" };
export const abiBytes: AbiType = { kind: "bytes" };
export const abiArray = (item: AbiType): AbiType => ({ kind: "array", item });
export const abiTuple = (fields: Record<string, AbiType>): AbiType => ({
  kind: "tuple",
  fields: Object.entries(fields).map(([name, type]) => ({ name, type })),
});

/** Canonical type string as used in function signatures: `(uint256,bytes[])[]`. */
export function abiTypeString(t: AbiType): string {
  switch (t.kind) {
    case "uint":
      return `uint${t.bits}`;
    case "int256":
      return "int256";
    case "array":
      return `${abiTypeString(t.item)}[]`;
    case "tuple":
      return `(${t.fields.map((f) => abiTypeString(f.type)).join(",")})`;
    default:
      return t.kind;
  }
}

// ---------------------------------------------------------------------------
// Compiled form: numeric kinds and precomputed sizes, cached per descriptor.

const K_UINT256 = 0; // also bytes32 and int256: 32 bytes copied verbatim
const K_UINT = 1; // uint<N>, N < 256: high bytes must be zero
const K_ADDRESS = 2;
const K_BOOL = 3;
const K_BYTES = 4;
const K_ARRAY = 5;
const K_TUPLE = 6;

export interface AbiNode {
  readonly k: number;
  readonly t: AbiType;
  /** Dynamic types are referenced by an offset from the enclosing head. */
  readonly dyn: boolean;
  /** Encoded size in the head: static size, or 32 for dynamic types. */
  readonly size: number;
  /** Static and every byte pattern is valid: can be copied without checks. */
  readonly plain: boolean;
  /** For K_UINT: number of leading bytes that must be zero. */
  readonly zeroBytes: number;
  readonly item: AbiNode | null;
  readonly fields: readonly AbiNode[];
  readonly offsets: readonly number[];
}

const compiled = new WeakMap<AbiType, AbiNode>();

export function compileAbi(t: AbiType): AbiNode {
  let n = compiled.get(t);
  if (n) return n;
  switch (t.kind) {
    case "uint":
      n = t.bits === 256 ? leaf(K_UINT256, t, true, 0) : leaf(K_UINT, t, false, 32 - t.bits / 8);
      break;
    case "int256":
    case "bytes32":
      n = leaf(K_UINT256, t, true, 0);
      break;
    case "address":
      n = leaf(K_ADDRESS, t, false, 12);
      break;
    case "bool":
      n = leaf(K_BOOL, t, false, 31);
      break;
    case "bytes":
      n = {
        k: K_BYTES,
        t,
        dyn: true,
        size: 32,
        plain: false,
        zeroBytes: 0,
        item: null,
        fields: [],
        offsets: [],
      };
      break;
    case "array":
      n = {
        k: K_ARRAY,
        t,
        dyn: true,
        size: 32,
        plain: false,
        zeroBytes: 0,
        item: compileAbi(t.item),
        fields: [],
        offsets: [],
      };
      break;
    case "tuple": {
      const fields = t.fields.map((f) => compileAbi(f.type));
      const offsets: number[] = [];
      let size = 0;
      for (const f of fields) {
        offsets.push(size);
        size += f.size;
      }
      const dyn = fields.some((f) => f.dyn);
      n = {
        k: K_TUPLE,
        t,
        dyn,
        size: dyn ? 32 : size,
        plain: !dyn && fields.every((f) => f.plain),
        zeroBytes: size, // head size, reused for tuples
        item: null,
        fields,
        offsets,
      };
      break;
    }
  }
  compiled.set(t, n);
  return n;
}

function leaf(k: number, t: AbiType, plain: boolean, zeroBytes: number): AbiNode {
  return { k, t, dyn: false, size: 32, plain, zeroBytes, item: null, fields: [], offsets: [] };
}

/** Head size of a tuple (sum of its fields' head sizes). */
function headSize(n: AbiNode): number {
  return n.zeroBytes;
}

// ---------------------------------------------------------------------------
// Canonicalizer: validates untrusted input and writes the canonical encoding.

/** Upper bound on canonical bytes produced from one input, whatever its aliasing. */
export const MAX_CANONICAL_BYTES = 16 * 1024 * 1024;

/**
 * Work budget for an input of `inputLength` bytes: every visited value writes at
 * least 32 output bytes, so capping output caps work. Tails may alias (several
 * offsets to one tail), which Solidity accepts but which could otherwise expand
 * exponentially; 16× plus 64 KiB leaves room for any plausible batch, and
 * 16 MiB is beyond what a call can decode into EVM memory within a block's gas.
 */
export function defaultBudget(inputLength: number): number {
  return Math.min(MAX_CANONICAL_BYTES, 65_536 + 16 * inputLength);
}

const TWO32 = 4294967296;

export class Canonicalizer extends OutputWriter {
  src: Uint8Array;
  end: number;
  private dv: DataView;

  constructor(src: Uint8Array, budget = defaultBudget(src.length), initialOut?: Uint8Array) {
    super(budget, src.length, initialOut);
    this.src = src;
    this.end = src.length;
    this.dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  }

  protected overBudget(): Error {
    return new ProtocolError(TableErrorCode.TOO_LARGE, "canonical encoding exceeds the size budget");
  }

  /** Reads a word that must be < 2^48 (offsets, lengths); larger cannot fit any input. */
  readSmall(p: number): number {
    if (p + 32 > this.end) throw new ProtocolError(TableErrorCode.TRUNCATED, `word at ${p} past end`);
    const dv = this.dv;
    if (
      dv.getUint32(p) !== 0 ||
      dv.getUint32(p + 4) !== 0 ||
      dv.getUint32(p + 8) !== 0 ||
      dv.getUint32(p + 12) !== 0 ||
      dv.getUint32(p + 16) !== 0 ||
      dv.getUint32(p + 20) !== 0 ||
      dv.getUint16(p + 24) !== 0
    ) {
      throw new ProtocolError(TableErrorCode.BAD_OFFSET, `offset or length at ${p} too large`);
    }
    return dv.getUint16(p + 26) * TWO32 + dv.getUint32(p + 28);
  }

  private copy(from: number, dst: number, n: number): void {
    const src = this.src;
    const out = this.out;
    if (n <= 64) {
      for (let i = 0; i < n; i++) out[dst + i] = src[from + i]!;
    } else {
      out.set(src.subarray(from, from + n), dst);
    }
  }

  /** Checks a static value at `p` (in bounds already) for dirty bits. */
  private checkStatic(n: AbiNode, p: number): void {
    const src = this.src;
    switch (n.k) {
      case K_UINT256:
        return;
      case K_UINT:
      case K_ADDRESS:
        for (let i = 0; i < n.zeroBytes; i++) {
          if (src[p + i] !== 0) {
            throw new ProtocolError(TableErrorCode.MALFORMED, `dirty high bits in ${n.t.kind} at ${p}`);
          }
        }
        return;
      case K_BOOL:
        for (let i = 0; i < 31; i++) {
          if (src[p + i] !== 0) throw new ProtocolError(TableErrorCode.MALFORMED, `dirty bool at ${p}`);
        }
        if (src[p + 31]! > 1) throw new ProtocolError(TableErrorCode.MALFORMED, `dirty bool at ${p}`);
        return;
      case K_TUPLE:
        if (n.plain) return;
        for (let i = 0; i < n.fields.length; i++) this.checkStatic(n.fields[i]!, p + n.offsets[i]!);
        return;
      default:
        throw new ProtocolError(TableErrorCode.MALFORMED, "dynamic type in static position");
    }
  }

  /**
   * Appends the canonical encoding of the value of type `n` whose encoding
   * starts at `p` (the tail for dynamic types). Returns the output start.
   */
  value(n: AbiNode, p: number): number {
    const end = this.end;
    if (!n.dyn) {
      if (p + n.size > end) throw new ProtocolError(TableErrorCode.TRUNCATED, `value at ${p} past end`);
      this.checkStatic(n, p);
      const dst = this.reserve(n.size);
      this.copy(p, dst, n.size);
      return dst;
    }
    switch (n.k) {
      case K_BYTES: {
        const len = this.readSmall(p);
        const data = p + 32;
        if (len > end - data) throw new ProtocolError(TableErrorCode.TRUNCATED, `bytes at ${p} past end`);
        const padded = len + ((32 - (len & 31)) & 31);
        const dst = this.reserve(32 + padded);
        this.putSmall(dst, len);
        this.copy(data, dst + 32, len);
        this.out.fill(0, dst + 32 + len, dst + 32 + padded);
        return dst;
      }
      case K_ARRAY: {
        const len = this.readSmall(p);
        const data = p + 32;
        const item = n.item!;
        // [REJECT] the array's heads (inline items or offsets) must fit the input
        if (len > (end - data) / item.size) {
          throw new ProtocolError(TableErrorCode.TRUNCATED, `array at ${p} past end`);
        }
        if (!item.dyn) {
          const bytes = len * item.size;
          const dst = this.reserve(32 + bytes);
          this.putSmall(dst, len);
          if (!item.plain) for (let i = 0; i < len; i++) this.checkStatic(item, data + i * item.size);
          this.copy(data, dst + 32, bytes);
          return dst;
        }
        const dst = this.reserve(32 + 32 * len);
        this.putSmall(dst, len);
        const heads = dst + 32;
        for (let i = 0; i < len; i++) {
          const off = this.readSmall(data + 32 * i);
          this.putSmall(heads + 32 * i, this.len - heads);
          this.value(item, data + off);
        }
        return dst;
      }
      default: {
        // dynamic tuple
        const hs = headSize(n);
        if (p + hs > end) throw new ProtocolError(TableErrorCode.TRUNCATED, `tuple at ${p} past end`);
        const dst = this.reserve(hs);
        const fields = n.fields;
        for (let i = 0; i < fields.length; i++) {
          const f = fields[i]!;
          const at = p + n.offsets[i]!;
          if (f.dyn) {
            const off = this.readSmall(at);
            this.putSmall(dst + n.offsets[i]!, this.len - dst);
            this.value(f, p + off);
          } else {
            this.checkStatic(f, at);
            this.copy(at, dst + n.offsets[i]!, f.size);
          }
        }
        return dst;
      }
    }
  }

  /** Follows the offset word at `headAt` (relative to `base`) and re-encodes the tail. */
  tail(n: AbiNode, base: number, headAt: number): number {
    return this.value(n, base + this.readSmall(headAt));
  }

  /** Validates without keeping the output (reuses the buffer). */
  validate(n: AbiNode, p: number): void {
    const mark = this.len;
    this.value(n, p);
    this.len = mark;
  }
}

// ---------------------------------------------------------------------------
// Values: bigint for integers, Uint8Array for bytes/bytes32/address, boolean,
// arrays, and plain objects keyed by field name for tuples.

export type AbiValue =
  | bigint
  | boolean
  | Uint8Array
  | readonly AbiValue[]
  | { readonly [k: string]: AbiValue };

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function wordToBigint(b: Uint8Array, p: number, from: number): bigint {
  let s = "0x";
  for (let i = from; i < 32; i++) s += HEX[b[p + i]!];
  return s.length === 2 ? 0n : BigInt(s);
}

const TWO255 = 1n << 255n;
const TWO256 = 1n << 256n;

/** Decodes a value of type `t` at `p` of a canonical encoding produced by Canonicalizer (no checks). */
export function abiReadCanonical(t: AbiType, b: Uint8Array, p: number): AbiValue {
  return readCanonical(compileAbi(t), b, p);
}

function readCanonical(n: AbiNode, b: Uint8Array, p: number): AbiValue {
  switch (n.k) {
    case K_UINT256: {
      if (n.t.kind === "bytes32") return b.slice(p, p + 32);
      const v = wordToBigint(b, p, 0);
      return n.t.kind === "int256" && v >= TWO255 ? v - TWO256 : v;
    }
    case K_UINT:
      return wordToBigint(b, p, n.zeroBytes);
    case K_ADDRESS:
      return b.slice(p + 12, p + 32);
    case K_BOOL:
      return b[p + 31] === 1;
    case K_BYTES: {
      const len = smallAt(b, p);
      return b.slice(p + 32, p + 32 + len);
    }
    case K_ARRAY: {
      const len = smallAt(b, p);
      const item = n.item!;
      const data = p + 32;
      const out: AbiValue[] = new Array(len);
      for (let i = 0; i < len; i++) {
        out[i] = item.dyn
          ? readCanonical(item, b, data + smallAt(b, data + 32 * i))
          : readCanonical(item, b, data + i * item.size);
      }
      return out;
    }
    default: {
      const obj: Record<string, AbiValue> = {};
      const tf = (n.t as { fields: readonly AbiField[] }).fields;
      for (let i = 0; i < n.fields.length; i++) {
        const f = n.fields[i]!;
        const at = p + n.offsets[i]!;
        obj[tf[i]!.name] = f.dyn ? readCanonical(f, b, p + smallAt(b, at)) : readCanonical(f, b, at);
      }
      return obj;
    }
  }
}

function smallAt(b: Uint8Array, p: number): number {
  return (
    ((b[p + 26]! * 256 + b[p + 27]!) * TWO32 +
      ((b[p + 28]! << 24) | (b[p + 29]! << 16) | (b[p + 30]! << 8) | b[p + 31]!)) >>>
    0
  );
}

/**
 * Strictly decodes one value of type `t` from an ABI parameter list starting at
 * `start` (i.e. `abi.decode(data[start:], (T))`). Throws only ProtocolError.
 */
export function abiDecode(t: AbiType, data: Uint8Array, start = 0, budget?: number): AbiValue {
  const n = compileAbi(t);
  const c = new Canonicalizer(data, budget);
  if (start + 32 > data.length) throw new ProtocolError(TableErrorCode.TRUNCATED, "empty input");
  const at = n.dyn ? c.tail(n, start, start) : c.value(n, start);
  return readCanonical(n, c.out, at);
}

/**
 * Canonical `abi.encode(value)` of a single value of type `t` re-encoded from
 * untrusted input: for dynamic `t` the result starts with the 0x20 offset word.
 */
export function abiCanonicalize(t: AbiType, data: Uint8Array, start = 0, budget?: number): Uint8Array {
  const n = compileAbi(t);
  const c = new Canonicalizer(data, budget);
  if (n.dyn) {
    c.putSmall(c.reserve(32), 32);
    c.tail(n, start, start);
  } else {
    c.value(n, start);
  }
  return c.out.slice(0, c.len);
}

// ---------------------------------------------------------------------------
// Encoder: values → canonical bytes (`abi.encode` of one value).

function invalid(detail: string): ProtocolError {
  return new ProtocolError(TableErrorCode.INVALID_VALUE, detail);
}

function encodedSize(n: AbiNode, v: AbiValue): number {
  if (!n.dyn) return n.size;
  if (n.k === K_BYTES) {
    if (!(v instanceof Uint8Array)) throw invalid("bytes value must be a Uint8Array");
    return 32 + Math.ceil(v.length / 32) * 32;
  }
  if (n.k === K_ARRAY) {
    if (!Array.isArray(v)) throw invalid("array value must be an array");
    const item = n.item!;
    if (!item.dyn) return 32 + v.length * item.size;
    let s = 32 + 32 * v.length;
    for (const x of v as AbiValue[]) s += encodedSize(item, x);
    return s;
  }
  const obj = tupleObj(v);
  const tf = (n.t as { fields: readonly AbiField[] }).fields;
  let s = headSize(n);
  for (let i = 0; i < n.fields.length; i++) {
    const f = n.fields[i]!;
    if (f.dyn) s += encodedSize(f, field(obj, tf[i]!.name));
  }
  return s;
}

function tupleObj(v: AbiValue): { readonly [k: string]: AbiValue } {
  if (v === null || typeof v !== "object" || v instanceof Uint8Array || Array.isArray(v)) {
    throw invalid("tuple value must be an object");
  }
  return v as { readonly [k: string]: AbiValue };
}

function field(obj: { readonly [k: string]: AbiValue }, name: string): AbiValue {
  const v = obj[name];
  if (v === undefined) throw invalid(`missing field ${name}`);
  return v;
}

function putBigint(out: Uint8Array, dst: number, v: bigint): void {
  for (let i = 31; i >= 0 && v !== 0n; i--) {
    out[dst + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

function putWordSmall(out: Uint8Array, dst: number, v: number): void {
  putBigint(out, dst, BigInt(v));
}

function writeValue(n: AbiNode, v: AbiValue, out: Uint8Array, dst: number): number {
  // Returns the number of bytes written at dst (tail size for dynamic types).
  switch (n.k) {
    case K_UINT256:
    case K_UINT: {
      if (n.t.kind === "bytes32") {
        if (!(v instanceof Uint8Array) || v.length !== 32) throw invalid("bytes32 must be 32 bytes");
        out.set(v, dst);
        return 32;
      }
      if (typeof v !== "bigint") throw invalid(`${abiTypeString(n.t)} value must be a bigint`);
      if (n.t.kind === "int256") {
        if (v < -TWO255 || v >= TWO255) throw invalid("int256 out of range");
        putBigint(out, dst, v < 0n ? v + TWO256 : v);
        return 32;
      }
      const bits = n.t.kind === "uint" ? n.t.bits : 256;
      if (v < 0n || v >= 1n << BigInt(bits)) throw invalid(`uint${bits} out of range`);
      putBigint(out, dst, v);
      return 32;
    }
    case K_ADDRESS:
      if (!(v instanceof Uint8Array) || v.length !== 20) throw invalid("address must be 20 bytes");
      out.set(v, dst + 12);
      return 32;
    case K_BOOL:
      if (typeof v !== "boolean") throw invalid("bool value must be a boolean");
      out[dst + 31] = v ? 1 : 0;
      return 32;
    case K_BYTES: {
      const b = v as Uint8Array;
      putWordSmall(out, dst, b.length);
      out.set(b, dst + 32);
      return 32 + Math.ceil(b.length / 32) * 32;
    }
    case K_ARRAY: {
      const arr = v as readonly AbiValue[];
      const item = n.item!;
      putWordSmall(out, dst, arr.length);
      const data = dst + 32;
      if (!item.dyn) {
        for (let i = 0; i < arr.length; i++) writeValue(item, arr[i]!, out, data + i * item.size);
        return 32 + arr.length * item.size;
      }
      let tail = 32 * arr.length;
      for (let i = 0; i < arr.length; i++) {
        putWordSmall(out, data + 32 * i, tail);
        tail += writeValue(item, arr[i]!, out, data + tail);
      }
      return 32 + tail;
    }
    default: {
      const obj = tupleObj(v);
      const tf = (n.t as { fields: readonly AbiField[] }).fields;
      let tail = headSize(n);
      for (let i = 0; i < n.fields.length; i++) {
        const f = n.fields[i]!;
        const x = field(obj, tf[i]!.name);
        const at = dst + n.offsets[i]!;
        if (f.dyn) {
          putWordSmall(out, at, tail);
          tail += writeValue(f, x, out, dst + tail);
        } else {
          writeValue(f, x, out, at);
        }
      }
      return n.dyn ? tail : n.size;
    }
  }
}

/**
 * `abi.encode(value)` for one value of type `t` (a struct is ONE tuple: a
 * dynamic struct is preceded by the 0x20 offset word). `prefix` bytes (e.g. a
 * function selector) are placed first. Throws ProtocolError(INVALID_VALUE).
 */
export function abiEncode(t: AbiType, value: AbiValue, prefix?: Uint8Array): Uint8Array {
  const n = compileAbi(t);
  const pre = prefix?.length ?? 0;
  const head = n.dyn ? 32 : 0;
  const out = new Uint8Array(pre + head + encodedSize(n, value));
  if (prefix) out.set(prefix, 0);
  if (n.dyn) putWordSmall(out, pre, 32);
  writeValue(n, value, out, pre + head);
  return out;
}
