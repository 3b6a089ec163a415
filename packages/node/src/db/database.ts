// The node's single LevelDB (level@10 → classic-level): raw byte keys and
// values, atomic multi-bucket batches. Typed access goes through repository.ts.
import { Level } from "level";
import type { Bucket } from "./buckets.js";
import { bucketKey, prefixUpperBound } from "./keys.js";

export interface DatabaseOptions {
  /** Directory of the LevelDB files. */
  path: string;
  /**
   * fsync every write by default. Slashing protection always syncs its own
   * writes whatever this says.
   * @default false
   */
  syncWrites?: boolean;
  /**
   * LevelDB's write buffer (memtable): recent writes held in memory until
   * they are written out as a sorted table. Up to two are held at once (one
   * being written out). A node writes ~30 KB per slot (votes, certificates,
   * observations), so LevelDB's 4 MiB default took ~130 slots to fill and
   * then stayed resident: with 1 MiB a table is written every ~30 slots and
   * the memtables hold at most 2 MiB.
   * @default 1 MiB
   */
  writeBufferBytes?: number;
}

export const defaultDatabaseOptions: Required<Omit<DatabaseOptions, "path">> = {
  syncWrites: false,
  writeBufferBytes: 1 << 20,
};

export interface WriteOptions {
  /** fsync before resolving; a power loss then cannot lose this write. */
  sync?: boolean;
}

/** One operation of an atomic batch; keys include the bucket byte. */
export type DbOp = { type: "put"; key: Uint8Array; value: Uint8Array } | { type: "del"; key: Uint8Array };

/** Bounds on full keys (bucket byte included). */
export interface RawRange {
  gt?: Uint8Array;
  gte?: Uint8Array;
  lt?: Uint8Array;
  lte?: Uint8Array;
  reverse?: boolean;
  /** At most this many entries; -1 or undefined for all. */
  limit?: number;
}

export class Database {
  private readonly level: Level<Uint8Array, Uint8Array>;
  private readonly syncWrites: boolean;

  constructor(opts: DatabaseOptions) {
    this.syncWrites = opts.syncWrites ?? defaultDatabaseOptions.syncWrites;
    this.level = new Level<Uint8Array, Uint8Array>(opts.path, {
      keyEncoding: "view",
      valueEncoding: "view",
      writeBufferSize: opts.writeBufferBytes ?? defaultDatabaseOptions.writeBufferBytes,
    });
  }

  get location(): string {
    return this.level.location;
  }

  get isOpen(): boolean {
    return this.level.status === "open";
  }

  /** Opens (creating if missing). LevelDB's LOCK file keeps a second process out. */
  async open(): Promise<void> {
    await this.level.open({ createIfMissing: true });
  }

  async close(): Promise<void> {
    await this.level.close();
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.level.get(key);
  }

  /** Synchronous point read; blocks the event loop for the lookup (microseconds when cached). */
  getSync(key: Uint8Array): Uint8Array | undefined {
    return this.level.getSync(key);
  }

  async getMany(keys: Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    return this.level.getMany(keys);
  }

  async put(key: Uint8Array, value: Uint8Array, opts?: WriteOptions): Promise<void> {
    await this.level.put(key, value, { sync: opts?.sync ?? this.syncWrites });
  }

  async del(key: Uint8Array, opts?: WriteOptions): Promise<void> {
    await this.level.del(key, { sync: opts?.sync ?? this.syncWrites });
  }

  /**
   * Writes all operations or none: LevelDB appends the whole WriteBatch as one
   * log record, so a crash mid-write leaves no partial batch behind.
   */
  async batch(ops: readonly DbOp[], opts?: WriteOptions): Promise<void> {
    if (ops.length === 0) return;
    await this.level.batch(ops as DbOp[], { sync: opts?.sync ?? this.syncWrites });
  }

  async *entries(range: RawRange): AsyncGenerator<[Uint8Array, Uint8Array]> {
    for await (const [k, v] of this.level.iterator(toLevelRange(range))) yield [k, v];
  }

  async *keys(range: RawRange): AsyncGenerator<Uint8Array> {
    for await (const k of this.level.keys(toLevelRange(range))) yield k;
  }

  /** Deletes every key in `range` (not atomic across the range; use for pruning only). */
  async clearRange(range: RawRange): Promise<void> {
    await this.level.clear(toLevelRange(range));
  }
}

/** The full extent of one bucket, or of the keys in it that start with `prefix`. */
export function bucketRange(
  bucket: Bucket,
  prefix: Uint8Array = new Uint8Array(0),
): { gte: Uint8Array; lt?: Uint8Array } {
  const gte = bucketKey(bucket, prefix);
  const lt = prefixUpperBound(gte);
  return lt === undefined ? { gte } : { gte, lt };
}

function toLevelRange(range: RawRange): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (range.gt !== undefined) out.gt = range.gt;
  if (range.gte !== undefined) out.gte = range.gte;
  if (range.lt !== undefined) out.lt = range.lt;
  if (range.lte !== undefined) out.lte = range.lte;
  if (range.reverse) out.reverse = true;
  if (range.limit !== undefined) out.limit = range.limit;
  return out;
}
