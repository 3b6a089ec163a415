// Retention: tables, attestations and commitments older than a window are
// pruned; certificates, observations, evidence and slashing protection are kept.
import type { Bucket } from "./buckets.js";
import { bucketRange, type Database, type DbOp } from "./database.js";
import { bucketKey, prefixUpperBound } from "./keys.js";
import { STREAM_BYTES } from "./streamSlot.js";

export interface RetentionOptions {
  /**
   * Keep tables of the last this many slots.
   * @default 7200 (one day of 12-second Ethereum slots)
   */
  tableRetentionSlots: number;
  /**
   * Keep attestations and commitments of the last this many slots; a slot
   * that old is certified or abandoned, its certificate is kept.
   * @default 7200
   */
  attestationRetentionSlots: number;
}

export const defaultRetentionOptions: RetentionOptions = {
  tableRetentionSlots: 7200,
  attestationRetentionSlots: 7200,
};

/** Oldest slot still kept, given the current slot and a window; 0 when nothing is old enough. */
export function retentionCutoff(currentSlot: bigint, windowSlots: number): bigint {
  const cutoff = currentSlot - BigInt(Math.max(0, Math.floor(windowSlots)));
  return cutoff > 0n ? cutoff : 0n;
}

/**
 * Every distinct 32-byte stream prefix in a stream-keyed bucket, found by
 * seeking past each stream instead of scanning all its keys.
 */
export async function* streamsInBucket(db: Database, bucket: Bucket): AsyncGenerator<Uint8Array> {
  const extent = bucketRange(bucket);
  let lower = extent.gte;
  for (;;) {
    let found: Uint8Array | undefined;
    const range =
      extent.lt === undefined ? { gte: lower, limit: 1 } : { gte: lower, lt: extent.lt, limit: 1 };
    for await (const k of db.keys(range)) found = k;
    if (found === undefined || found.length < 1 + STREAM_BYTES) return;
    const stream = Uint8Array.from(found.subarray(1, 1 + STREAM_BYTES));
    yield stream;
    const next = prefixUpperBound(stream);
    if (next === undefined) return;
    lower = bucketKey(bucket, next);
  }
}

/** Deletes raw keys in batches of `chunk` (each chunk atomic; pruning may stop between chunks). */
export async function deleteKeys(
  db: Database,
  keys: AsyncIterable<Uint8Array>,
  chunk = 10_000,
): Promise<number> {
  let ops: DbOp[] = [];
  let n = 0;
  for await (const key of keys) {
    ops.push({ type: "del", key });
    if (ops.length >= chunk) {
      await db.batch(ops);
      n += ops.length;
      ops = [];
    }
  }
  await db.batch(ops);
  return n + ops.length;
}
