// Hostile encoder for postAndVerifyBatch calldata: the same values laid out
// the way an attacker might, all of which Solidity's calldata accessors
// accept — tails written before their heads (offsets that wrap below their
// base), tails shared by several offsets (aliasing), empty values pointed far
// "below zero" (they read as zero), junk gaps, odd alignment, dirty padding,
// trailing bytes — plus optional raw word mutations that may or may not revert.
import { type AbiNode, type AbiValue, compileAbi } from "../../../src/schemas/abi.js";
import { BATCH_ABI, POST_AND_VERIFY_BATCH_SELECTOR } from "../../../src/schemas/eez.js";
import { type Rng, randBytes } from "./eezGen.js";

const M256 = (1n << 256n) - 1n;

export interface HostileOptions {
  /** Probability that a dynamic value's children are written before its head. */
  tailsFirst?: number;
  /** Probability that an identical earlier tail is reused. */
  alias?: number;
  /** Raw word mutations applied after encoding. */
  mutations?: number;
  /**
   * Element offsets of dynamic structs rewritten so the struct's head sits
   * just below 2^256: its first fields read as zero (past the end) and the
   * rest wrap around to the start of the calldata.
   */
  straddles?: number;
}

class Buf {
  b = new Uint8Array(4096);
  n = 0;
  ensure(n: number): void {
    if (n <= this.b.length) return;
    const g = new Uint8Array(Math.max(n, this.b.length * 2));
    g.set(this.b.subarray(0, this.n));
    this.b = g;
  }
  append(bytes: Uint8Array): number {
    const at = this.n;
    this.ensure(at + bytes.length);
    this.b.set(bytes, at);
    this.n += bytes.length;
    return at;
  }
  zeros(k: number): number {
    return this.append(new Uint8Array(k));
  }
  word(at: number, v: bigint): void {
    let x = v & M256;
    for (let i = 31; i >= 0; i--) {
      this.b[at + i] = Number(x & 0xffn);
      x >>= 8n;
    }
  }
}

function wordOf(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let x = v & M256;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function staticWords(n: AbiNode, v: AbiValue): Uint8Array {
  switch (n.k) {
    case 0:
      if (v instanceof Uint8Array) return v.slice();
      return wordOf(v as bigint);
    case 1:
      return wordOf(v as bigint);
    case 2: {
      const w = new Uint8Array(32);
      w.set(v as Uint8Array, 12);
      return w;
    }
    case 3:
      return wordOf(v ? 1n : 0n);
    default: {
      const obj = v as Record<string, AbiValue>;
      const tf = (n.t as { fields: readonly { name: string }[] }).fields;
      const out = new Uint8Array(n.size);
      n.fields.forEach((f, i) => {
        out.set(staticWords(f, obj[tf[i]!.name]!), n.offsets[i]!);
      });
      return out;
    }
  }
}

function isEmpty(n: AbiNode, v: AbiValue): boolean {
  return (n.k === 4 || n.k === 5) && (v as { length: number }).length === 0;
}

class Hostile {
  readonly buf = new Buf();
  private readonly memo = new Map<string, number>();
  /** Offset slots of dynamic struct elements: where the word is, and its base. */
  readonly structSlots: { ptr: number; base: number; head: number }[] = [];
  constructor(
    private readonly rng: Rng,
    private readonly o: Required<HostileOptions>,
  ) {}

  gap(): void {
    if (this.rng() < 0.3) this.buf.append(randBytes(this.rng, Math.floor(this.rng() * 40)));
  }

  /** Where the offset word at `ptr` (relative to `base`) should point for the value; writes it. */
  private link(base: number, ptr: number, n: AbiNode, v: AbiValue, later: (() => void)[]): void {
    if (isEmpty(n, v) && this.rng() < 0.15) {
      // An empty value read from far "below zero": its length reads as zero.
      const far = (1n << 256n) - (1n << BigInt(64 + Math.floor(this.rng() * 180))) - BigInt(base);
      this.buf.word(ptr, far);
      return;
    }
    const key = `${n.t.kind}:${JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x instanceof Uint8Array ? Array.from(x) : x))}`;
    const seen = this.memo.get(key);
    if (seen !== undefined && this.rng() < this.o.alias) {
      this.buf.word(ptr, BigInt(seen - base));
      return;
    }
    later.push(() => {
      const at = this.write(n, v);
      this.memo.set(key, at);
      this.buf.word(ptr, BigInt(at - base));
    });
  }

  /** Writes a dynamically encoded value; returns its tail position. */
  write(n: AbiNode, v: AbiValue): number {
    this.gap();
    if (n.k === 4) {
      const b = v as Uint8Array;
      const at = this.buf.append(wordOf(BigInt(b.length)));
      this.buf.append(b);
      const pad = (32 - (b.length % 32)) % 32;
      // Padding is never read: dirty it.
      this.buf.append(this.rng() < 0.5 ? randBytes(this.rng, pad) : new Uint8Array(pad));
      return at;
    }
    const tailsFirst = this.rng() < this.o.tailsFirst;
    if (n.k === 5) {
      const arr = v as AbiValue[];
      const item = n.item!;
      if (!item.dyn) {
        const at = this.buf.append(wordOf(BigInt(arr.length)));
        for (const x of arr) this.buf.append(staticWords(item, x));
        return at;
      }
      const pending: (() => void)[] = [];
      if (tailsFirst) {
        // Children first: their offsets from the later data start are negative.
        const pos: number[] = arr.map((x) => this.write(item, x));
        this.gap();
        const at = this.buf.append(wordOf(BigInt(arr.length)));
        const data = this.buf.zeros(32 * arr.length);
        pos.forEach((p, i) => {
          this.buf.word(data + 32 * i, BigInt(p - data));
          if (item.k === 6) this.structSlots.push({ ptr: data + 32 * i, base: data, head: item.zeroBytes });
        });
        return at;
      }
      const at = this.buf.append(wordOf(BigInt(arr.length)));
      const data = this.buf.zeros(32 * arr.length);
      arr.forEach((x, i) => {
        this.link(data, data + 32 * i, item, x, pending);
        if (item.k === 6) this.structSlots.push({ ptr: data + 32 * i, base: data, head: item.zeroBytes });
      });
      for (const f of pending) f();
      return at;
    }
    // dynamic struct
    const obj = v as Record<string, AbiValue>;
    const tf = (n.t as { fields: readonly { name: string }[] }).fields;
    if (tailsFirst) {
      const pos = n.fields.map((f, i) => (f.dyn ? this.write(f, obj[tf[i]!.name]!) : -1));
      this.gap();
      const head = this.buf.zeros(n.zeroBytes);
      n.fields.forEach((f, i) => {
        const o = n.offsets[i]!;
        if (f.dyn) this.buf.word(head + o, BigInt(pos[i]! - head));
        else this.buf.b.set(staticWords(f, obj[tf[i]!.name]!), head + o);
      });
      return head;
    }
    const head = this.buf.zeros(n.zeroBytes);
    const pending: (() => void)[] = [];
    n.fields.forEach((f, i) => {
      const o = n.offsets[i]!;
      const x = obj[tf[i]!.name]!;
      if (f.dyn) this.link(head, head + o, f, x, pending);
      else this.buf.b.set(staticWords(f, x), head + o);
    });
    for (const f of pending) f();
    return head;
  }
}

const INTERESTING = [
  0n,
  32n,
  (1n << 256n) - 32n,
  (1n << 256n) - 1n,
  (1n << 255n) - 1n,
  1n << 255n,
  (1n << 64n) - 1n,
  1n << 64n,
];

/** postAndVerifyBatch calldata for `batch`, laid out adversarially. */
export function hostileCalldata(
  batch: AbiValue,
  rng: Rng,
  opts: HostileOptions = {},
): { calldata: Uint8Array; mutated: boolean } {
  const o = { tailsFirst: 0.4, alias: 0.5, mutations: 0, straddles: 0, ...opts };
  const h = new Hostile(rng, o);
  h.buf.append(POST_AND_VERIFY_BATCH_SELECTOR);
  h.buf.zeros(32);
  const node = compileAbi(BATCH_ABI);
  const at = h.write(node, batch);
  h.buf.word(4, BigInt(at - 4));
  if (rng() < 0.5) h.buf.append(randBytes(rng, Math.floor(rng() * 64)));
  const cd = h.buf.b.slice(0, h.buf.n);
  for (let m = 0; m < o.straddles && h.structSlots.length > 0; m++) {
    const slot = h.structSlots[Math.floor(rng() * h.structSlots.length)]!;
    // Head at 2^256 - 32k: fields k.. read calldata words 0.. (selector first).
    const k = 1 + Math.floor(rng() * (slot.head / 32));
    cd.set(wordOf(-BigInt(slot.base) - 32n * BigInt(k)), slot.ptr);
  }
  for (let m = 0; m < o.mutations; m++) {
    const p = 4 + Math.floor(rng() * Math.max(1, cd.length - 36));
    const r = rng();
    const cur = BigInt(
      `0x${Buffer.from(cd.subarray(p, p + 32))
        .toString("hex")
        .padEnd(64, "0")}`,
    );
    let v: bigint;
    if (r < 0.4) v = INTERESTING[Math.floor(rng() * INTERESTING.length)]!;
    else if (r < 0.7) v = cur + BigInt(Math.floor(rng() * 9) - 4) * 32n;
    else if (r < 0.85) v = cur - BigInt(cd.length) - (1n << 256n);
    else v = BigInt(Math.floor(rng() * cd.length));
    const w = wordOf(v);
    cd.set(w.subarray(0, Math.min(32, cd.length - p)), p);
  }
  return { calldata: cd, mutated: o.mutations > 0 || o.straddles > 0 };
}
