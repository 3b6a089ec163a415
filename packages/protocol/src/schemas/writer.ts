// The growable output buffer both ABI re-encoders write into (the strict
// memory decoder in abi.ts and the calldata accessors in calldata.ts): one
// budget rule and one word writer, so the two cannot drift apart.

const TWO32 = 4294967296;

export abstract class OutputWriter {
  out: Uint8Array;
  len = 0;
  /** Output bytes still allowed: every value written costs at least 32, so this caps the work. */
  budget: number;

  /** `initial`, when given, is reused as the buffer (its contents are overwritten). */
  constructor(budget: number, sizeHint: number, initial?: Uint8Array) {
    this.budget = budget;
    this.out = initial ?? new Uint8Array(Math.min(Math.max(1024, sizeHint + 64), budget + 64));
  }

  /** Claims `n` output bytes; returns their start. */
  reserve(n: number): number {
    if (n > this.budget) throw this.overBudget();
    this.budget -= n;
    const start = this.len;
    const need = start + n;
    if (need > this.out.length) {
      const grown = new Uint8Array(Math.max(need, this.out.length * 2));
      grown.set(this.out.subarray(0, start));
      this.out = grown;
    }
    this.len = need;
    return start;
  }

  /** The error for a claim past the budget (a TOO_LARGE ProtocolError of the subclass). */
  protected abstract overBudget(): Error;

  /** Writes a non-negative integer below 2^48 as a 32-byte word at `dst`. */
  putSmall(dst: number, v: number): void {
    const out = this.out;
    out.fill(0, dst, dst + 26);
    const hi = Math.floor(v / TWO32);
    const lo = v >>> 0;
    out[dst + 26] = (hi >>> 8) & 0xff;
    out[dst + 27] = hi & 0xff;
    out[dst + 28] = lo >>> 24;
    out[dst + 29] = (lo >>> 16) & 0xff;
    out[dst + 30] = (lo >>> 8) & 0xff;
    out[dst + 31] = lo & 0xff;
  }
}
