// Reads ABI values out of calldata exactly as Solidity's *calldata* accessors
// do for a `calldata` struct parameter (solc 0.8.30 IR; docs/spec.md §4.1),
// and writes what `abi.encode` of the value read produces.
//
// The accessors' rules, as compiled:
// - a tail offset `rel` read at `ptr` for a value of tail size `need`, relative
//   to `base`, is accepted iff `slt(rel, sub(sub(calldatasize, base), need - 1))`;
//   the tail is at `add(base, rel)` — 256-bit wrap-around, so an offset such as
//   2^256 - 32 points *before* its base;
// - a dynamic array or `bytes` reads its length at the tail, requires
//   `length <= 2^64 - 1`, its data at `tail + 32`, and rejects iff
//   `sgt(data, sub(calldatasize, mul(length, stride)))` (a signed comparison:
//   data "below zero" passes);
// - words are read with CALLDATALOAD (bytes past the end read as zero) at
//   wrapped positions; `bytes` contents are copied with CALLDATACOPY (zero past
//   the end, no wrap); `address`, `bool` and `uint<N>` values with dirty high
//   bits revert when read, other value types are taken as they are;
// - nothing is checked until it is read.
//
// Positions are numbers below 2^53 and bigints above (the "negative" side of
// the 256-bit space); all position arithmetic wraps modulo 2^256. Work is
// bounded by an output budget: every value read writes at least 32 bytes,
// and the EVM had to hold the same bytes in memory (docs/spec.md §9.7).
import { ProtocolError } from "../errors.js";
import type { AbiType } from "./abi.js";
import { type AbiNode, compileAbi, TableErrorCode } from "./abi.js";
import { OutputWriter } from "./writer.js";

export type Pos = number | bigint;

const TWO53 = 2 ** 53;
const TWO32 = 4294967296;
const M256 = (1n << 256n) - 1n;
const TWO255 = 1n << 255n;
const TWO256 = 1n << 256n;
const U64_MAX = (1n << 64n) - 1n;

/** A revert of the accessors: the call could not have succeeded. */
export function reverts(detail: string): ProtocolError {
  return new ProtocolError(TableErrorCode.REVERTS, detail);
}

function norm(p: bigint): Pos {
  const w = p & M256;
  return w < 9007199254740992n ? Number(w) : w;
}

/** `add(p, x)` modulo 2^256, for a small non-negative `x`. */
export function addPos(p: Pos, x: number): Pos {
  if (typeof p === "number") {
    const s = p + x;
    return s < TWO53 ? s : norm(BigInt(p) + BigInt(x));
  }
  return norm(p + BigInt(x));
}

function signed(v: bigint): bigint {
  return v >= TWO255 ? v - TWO256 : v;
}

function posBig(p: Pos): bigint {
  return typeof p === "number" ? BigInt(p) : p;
}

// Compiled per-type facts the accessors use.
function tailSize(n: AbiNode): number {
  // calldataEncodedTailSize: 32 for arrays and bytes, the head for structs.
  return n.k === 6 ? n.zeroBytes : 32;
}

/** The calldata of one call, read as the accessors read it. */
export class CalldataReader extends OutputWriter {
  readonly cd: Uint8Array;
  readonly size: number;
  private readonly dv: DataView;
  /** Output ranges of tails already encoded, per type and tail position. */
  private readonly encoded = new Map<AbiNode, Map<Pos, [number, number]>>();

  /** `scratch`, when given, is reused as the output buffer (its contents are overwritten). */
  constructor(cd: Uint8Array, budget: number, scratch?: Uint8Array) {
    super(budget, cd.length, scratch);
    this.cd = cd;
    this.size = cd.length;
    this.dv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  }

  protected overBudget(): Error {
    return new ProtocolError(TableErrorCode.TOO_LARGE, "more than the call's gas could have encoded");
  }

  /** CALLDATALOAD as a bigint. */
  word(p: Pos): bigint {
    if (typeof p !== "number" || p >= this.size) return 0n;
    const cd = this.cd;
    let s = "0x";
    const end = Math.min(p + 32, this.size);
    for (let i = p; i < end; i++) s += HEX[cd[i]!];
    for (let i = end; i < p + 32; i++) s += "00";
    return BigInt(s);
  }

  /** CALLDATALOAD when it is below 2^48 (offsets and lengths of honest input), else -1. */
  smallAt(p: Pos): number {
    return this.small(p);
  }

  private small(p: Pos): number {
    if (typeof p !== "number" || p + 32 > this.size) return -1;
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
      return -1;
    }
    return dv.getUint16(p + 26) * TWO32 + dv.getUint32(p + 28);
  }

  /**
   * The tail of a dynamically encoded value whose offset word is at `ptr`,
   * relative to `base` (the accessor's offset check).
   */
  tail(base: Pos, ptr: Pos, need: number): Pos {
    const rel = this.small(ptr);
    if (rel >= 0 && typeof base === "number") {
      // Fast path: everything small, the signed comparison is a plain one.
      if (rel < this.size - base - (need - 1)) return base + rel;
      throw reverts(`tail offset at ${ptr} out of range`);
    }
    const relB = this.word(ptr);
    const limit = signed((BigInt(this.size) - posBig(base) - BigInt(need - 1)) & M256);
    if (!(signed(relB) < limit)) throw reverts(`tail offset at ${ptr} out of range`);
    return norm(posBig(base) + relB);
  }

  /** Length and data position of an array or `bytes` whose tail is at `at`. */
  lengthAt(at: Pos, stride: number): { data: Pos; length: number } {
    const data = addPos(at, 32);
    const length = this.small(at);
    if (length >= 0 && typeof data === "number") {
      // revert iff sgt(data, sub(calldatasize, mul(length, stride))), all small here
      if (data > this.size - length * stride) throw reverts(`array at ${at} past the end`);
      return { data, length };
    }
    const w = this.word(at);
    if (w > U64_MAX) throw reverts(`length at ${at} above 2^64-1`);
    if (signed(posBig(data)) > BigInt(this.size) - w * BigInt(stride)) {
      throw reverts(`array at ${at} past the end`);
    }
    // A length past 2^48 cannot be paid for by any call; the budget refuses it.
    return { data, length: w < 281474976710656n ? Number(w) : Number.MAX_SAFE_INTEGER };
  }

  /** Copies `n` calldata bytes from `p` (CALLDATACOPY: zero past the end, no wrap) to `dst`. */
  copyBytes(p: Pos, dst: number, n: number): void {
    const out = this.out;
    if (typeof p !== "number" || p >= this.size) {
      out.fill(0, dst, dst + n);
      return;
    }
    const avail = Math.min(n, this.size - p);
    if (avail <= 64) {
      const cd = this.cd;
      for (let i = 0; i < avail; i++) out[dst + i] = cd[p + i]!;
    } else {
      out.set(this.cd.subarray(p, p + avail), dst);
    }
    if (avail < n) out.fill(0, dst + avail, dst + n);
  }

  /** One word at `p` (CALLDATALOAD, wrapped position) to `dst`, checked for type `n`. */
  private valueWord(n: AbiNode, p: Pos, dst: number): void {
    this.copyBytes(p, dst, 32);
    const out = this.out;
    switch (n.k) {
      case 1: // uint<N>
      case 2: // address
        for (let i = 0; i < n.zeroBytes; i++) {
          if (out[dst + i] !== 0) throw reverts(`dirty ${n.t.kind} at ${p}`);
        }
        return;
      case 3: // bool
        for (let i = 0; i < 31; i++) if (out[dst + i] !== 0) throw reverts(`dirty bool at ${p}`);
        if (out[dst + 31]! > 1) throw reverts(`dirty bool at ${p}`);
        return;
      default:
        return;
    }
  }

  /** A static value (value type or static struct) at `p`, written at `dst`. */
  private staticAt(n: AbiNode, p: Pos, dst: number): void {
    if (n.k !== 6) {
      this.valueWord(n, p, dst);
      return;
    }
    if (n.plain && typeof p === "number" && p + n.size <= this.size) {
      this.copyBytes(p, dst, n.size);
      return;
    }
    for (let i = 0; i < n.fields.length; i++) {
      this.staticAt(n.fields[i]!, addPos(p, n.offsets[i]!), dst + n.offsets[i]!);
    }
  }

  /**
   * Appends `abi.encode`'s tail of the dynamically encoded value of type `n`
   * whose tail is at `at` (struct: its head; array/bytes: its length word).
   * Returns the output start.
   */
  encodeTail(n: AbiNode, at: Pos): number {
    // A tail read before (aliased offsets) encodes to the same bytes: copy
    // them instead of reading it again. The EVM re-reads it and pays for
    // that; we still charge the budget for every byte written.
    let seen = this.encoded.get(n);
    if (seen === undefined) {
      seen = new Map();
      this.encoded.set(n, seen);
    }
    const prev = seen.get(at);
    if (prev !== undefined) {
      const len = prev[1] - prev[0];
      const dst = this.reserve(len);
      this.out.copyWithin(dst, prev[0], prev[1]);
      return dst;
    }
    const dst = this.encodeFresh(n, at);
    seen.set(at, [dst, this.len]);
    return dst;
  }

  /** Forgets every output byte (and the tails encoded into them). */
  clearOutput(): void {
    this.len = 0;
    this.encoded.clear();
  }

  private encodeFresh(n: AbiNode, at: Pos): number {
    if (n.k === 4) {
      const { data, length } = this.lengthAt(at, 1);
      const padded = length + ((32 - (length & 31)) & 31);
      const dst = this.reserve(32 + padded);
      this.putSmall(dst, length);
      this.copyBytes(data, dst + 32, length);
      this.out.fill(0, dst + 32 + length, dst + 32 + padded);
      return dst;
    }
    if (n.k === 5) {
      const item = n.item!;
      const stride = item.dyn ? 32 : item.size;
      const { data, length } = this.lengthAt(at, stride);
      if (!item.dyn) {
        const dst = this.reserve(32 + length * stride);
        this.putSmall(dst, length);
        if (item.plain && typeof data === "number" && data + length * stride <= this.size) {
          this.copyBytes(data, dst + 32, length * stride);
        } else {
          for (let i = 0; i < length; i++)
            this.staticAt(item, addPos(data, i * stride), dst + 32 + i * stride);
        }
        return dst;
      }
      const dst = this.reserve(32 + 32 * length);
      this.putSmall(dst, length);
      const heads = dst + 32;
      const need = tailSize(item);
      for (let i = 0; i < length; i++) {
        const el = this.tail(data, addPos(data, 32 * i), need);
        this.putSmall(heads + 32 * i, this.len - heads);
        this.encodeTail(item, el);
      }
      return dst;
    }
    // dynamic struct at `at`
    const hs = n.zeroBytes;
    const dst = this.reserve(hs);
    const fields = n.fields;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const o = n.offsets[i]!;
      if (f.dyn) {
        const t = this.tail(at, addPos(at, o), tailSize(f));
        this.putSmall(dst + o, this.len - dst);
        this.encodeTail(f, t);
      } else {
        this.staticAt(f, addPos(at, o), dst + o);
      }
    }
    return dst;
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Tail size the accessors require for a dynamically encoded type. */
export function calldataTailSize(t: AbiType): number {
  return tailSize(compileAbi(t));
}

/** Bytes of EVM memory a call with `gas` could have paid for: 3w + w²/512 ≤ gas. */
export function memoryBytesForGas(gas: bigint | number): number {
  const g = Number(gas);
  if (!(g > 0)) return 0;
  // w = -768 + sqrt(768² + 512 g), in words
  const w = Math.floor(Math.sqrt(768 * 768 + 512 * g) - 768);
  return 32 * (w + 1);
}
