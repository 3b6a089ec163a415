// Whole tables over `table_by_digest`: split into ≤ 1 MiB frames on the way out,
// reassembled under the 16 MiB cap on the way in (docs/spec.md §5).
import { MAX_TABLE_BYTES, MAX_TABLE_FRAME_BYTES } from "../types.js";
import { SszErrorCode, sszError } from "./errors.js";

/** Splits a table into frames of at most 1 MiB (views into `table`, no copy). An empty table has no frames. */
export function splitTableFramesSsz(table: Uint8Array): Uint8Array[] {
  if (!(table instanceof Uint8Array))
    throw sszError(SszErrorCode.INVALID_VALUE, "table: expected a Uint8Array");
  if (table.length > MAX_TABLE_BYTES)
    throw sszError(SszErrorCode.INVALID_VALUE, `table: ${table.length} bytes, limit ${MAX_TABLE_BYTES}`);
  const frames: Uint8Array[] = [];
  for (let o = 0; o < table.length; o += MAX_TABLE_FRAME_BYTES)
    frames.push(table.subarray(o, Math.min(o + MAX_TABLE_FRAME_BYTES, table.length)));
  return frames;
}

// Initial buffer: small tables need no regrowth, and hostile streams get nothing big up front.
const INITIAL_CAPACITY = 64 * 1024;

/**
 * Collects `table_by_digest` response frames. Rejects a frame over 1 MiB or an
 * empty frame (it carries nothing and would let a peer keep the stream busy for
 * free), and stops at `maxBytes` in total. Memory stays under twice the bytes
 * received, whatever the frame sizes.
 */
export class SszTableReassembler {
  private buf = new Uint8Array(0);
  private length = 0;
  private done = false;
  readonly maxBytes: number;

  /** @param maxBytes total cap; @default MAX_TABLE_BYTES (16 MiB) */
  constructor(maxBytes: number = MAX_TABLE_BYTES) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0)
      throw sszError(SszErrorCode.INVALID_VALUE, `table: bad cap ${maxBytes}`);
    this.maxBytes = maxBytes;
  }

  /** Bytes received so far. */
  get byteLength(): number {
    return this.length;
  }

  push(frame: Uint8Array): void {
    if (this.done) throw sszError(SszErrorCode.INVALID, "table: frame after finish()");
    if (!(frame instanceof Uint8Array))
      throw sszError(SszErrorCode.INVALID, "table: frame is not a Uint8Array");
    // [REJECT] frame over 1 MiB
    if (frame.length > MAX_TABLE_FRAME_BYTES)
      throw sszError(
        SszErrorCode.OVERSIZED,
        `table: frame of ${frame.length} bytes, limit ${MAX_TABLE_FRAME_BYTES}`,
      );
    if (frame.length === 0) throw sszError(SszErrorCode.INVALID, "table: empty frame");
    const need = this.length + frame.length;
    // [REJECT] table over the total cap
    if (need > this.maxBytes)
      throw sszError(SszErrorCode.OVERSIZED, `table: more than ${this.maxBytes} bytes`);
    if (need > this.buf.length) {
      const grown = new Uint8Array(
        Math.min(this.maxBytes, Math.max(need, 2 * this.buf.length, INITIAL_CAPACITY)),
      );
      grown.set(this.buf.subarray(0, this.length));
      this.buf = grown;
    }
    this.buf.set(frame, this.length);
    this.length = need;
  }

  /** The table received; the reassembler accepts no more frames afterwards. */
  finish(): Uint8Array {
    this.done = true;
    const out = this.length === this.buf.length ? this.buf : this.buf.slice(0, this.length);
    this.buf = new Uint8Array(0);
    return out;
  }
}

export function reassembleTableFramesSsz(frames: Iterable<Uint8Array>, maxBytes?: number): Uint8Array {
  const r = new SszTableReassembler(maxBytes);
  for (const f of frames) r.push(f);
  return r.finish();
}

/** Same over a stream of frames (e.g. a req/resp stream after length-prefix decoding). */
export async function reassembleTableFramesSszAsync(
  frames: AsyncIterable<Uint8Array>,
  maxBytes?: number,
): Promise<Uint8Array> {
  const r = new SszTableReassembler(maxBytes);
  for await (const f of frames) r.push(f);
  return r.finish();
}
