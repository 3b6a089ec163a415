// Typed view of one bucket: keys and values go through injected codecs, every
// stored key is [bucket byte ‖ encoded key]. Ops can join a multi-bucket batch.
import type { Bucket } from "./buckets.js";
import { bucketRange, type Database, type DbOp, type RawRange, type WriteOptions } from "./database.js";
import { bucketKey } from "./keys.js";

export interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

/**
 * Bounds on encoded keys *without* the bucket byte; missing bounds default
 * to the bucket's extent. `prefix` selects every key starting with it.
 */
export interface KeyRange {
  prefix?: Uint8Array;
  gt?: Uint8Array;
  gte?: Uint8Array;
  lt?: Uint8Array;
  lte?: Uint8Array;
  reverse?: boolean;
  limit?: number;
}

export class Repository<K, V> {
  constructor(
    protected readonly db: Database,
    readonly bucket: Bucket,
    protected readonly keyCodec: Codec<K>,
    protected readonly valueCodec: Codec<V>,
  ) {}

  encodeKey(key: K): Uint8Array {
    return bucketKey(this.bucket, this.keyCodec.encode(key));
  }

  decodeKey(raw: Uint8Array): K {
    return this.keyCodec.decode(raw.subarray(1));
  }

  async get(key: K): Promise<V | undefined> {
    const raw = await this.db.get(this.encodeKey(key));
    return raw === undefined ? undefined : this.valueCodec.decode(raw);
  }

  async getMany(keys: K[]): Promise<(V | undefined)[]> {
    const raws = await this.db.getMany(keys.map((k) => this.encodeKey(k)));
    return raws.map((raw) => (raw === undefined ? undefined : this.valueCodec.decode(raw)));
  }

  /**
   * Synchronous point reads (LevelDB memtable and block cache; no thread-pool
   * round trip). For short read-check-write paths where every event-loop hop
   * counts, such as slashing protection right before signing.
   */
  getManySync(keys: readonly K[]): (V | undefined)[] {
    return keys.map((k) => {
      const raw = this.db.getSync(this.encodeKey(k));
      return raw === undefined ? undefined : this.valueCodec.decode(raw);
    });
  }

  async has(key: K): Promise<boolean> {
    return (await this.db.get(this.encodeKey(key))) !== undefined;
  }

  async put(key: K, value: V, opts?: WriteOptions): Promise<void> {
    await this.db.put(this.encodeKey(key), this.valueCodec.encode(value), opts);
  }

  async delete(key: K, opts?: WriteOptions): Promise<void> {
    await this.db.del(this.encodeKey(key), opts);
  }

  /** A put for `Database.batch`, to combine with other buckets atomically. */
  putOp(key: K, value: V): DbOp {
    return { type: "put", key: this.encodeKey(key), value: this.valueCodec.encode(value) };
  }

  deleteOp(key: K): DbOp {
    return { type: "del", key: this.encodeKey(key) };
  }

  async batchPut(items: readonly { key: K; value: V }[], opts?: WriteOptions): Promise<void> {
    await this.db.batch(
      items.map((i) => this.putOp(i.key, i.value)),
      opts,
    );
  }

  async batchDelete(keys: readonly K[], opts?: WriteOptions): Promise<void> {
    await this.db.batch(
      keys.map((k) => this.deleteOp(k)),
      opts,
    );
  }

  async *entries(range: KeyRange = {}): AsyncGenerator<{ key: K; value: V }> {
    for await (const [k, v] of this.db.entries(this.rawRange(range))) {
      yield { key: this.decodeKey(k), value: this.valueCodec.decode(v) };
    }
  }

  async *keys(range: KeyRange = {}): AsyncGenerator<K> {
    for await (const k of this.db.keys(this.rawRange(range))) yield this.decodeKey(k);
  }

  async *values(range: KeyRange = {}): AsyncGenerator<V> {
    for await (const [, v] of this.db.entries(this.rawRange(range))) yield this.valueCodec.decode(v);
  }

  /** Raw full keys in a range (for building delete batches without decoding). */
  async *rawKeys(range: KeyRange = {}): AsyncGenerator<Uint8Array> {
    yield* this.db.keys(this.rawRange(range));
  }

  protected rawRange(range: KeyRange): RawRange {
    const extent = bucketRange(this.bucket, range.prefix);
    const out: RawRange = {};
    if (range.gt !== undefined) out.gt = bucketKey(this.bucket, range.gt);
    else if (range.gte !== undefined) out.gte = bucketKey(this.bucket, range.gte);
    else out.gte = extent.gte;
    if (range.lt !== undefined) out.lt = bucketKey(this.bucket, range.lt);
    else if (range.lte !== undefined) out.lte = bucketKey(this.bucket, range.lte);
    else if (extent.lt !== undefined) out.lt = extent.lt;
    if (range.reverse) out.reverse = true;
    if (range.limit !== undefined) out.limit = range.limit;
    return out;
  }
}

/** Keys that are raw bytes already (digests, composite keys built by the caller). */
export const bytesCodec: Codec<Uint8Array> = {
  encode: (b) => b,
  decode: (b) => Uint8Array.from(b),
};

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

export const utf8Codec: Codec<string> = {
  encode: (s) => enc.encode(s),
  decode: (b) => dec.decode(b),
};

/** Values stored as UTF-8 JSON through a pair of converters. */
export function jsonCodec<T, J>(toJson: (v: T) => J, fromJson: (j: unknown) => T): Codec<T> {
  return {
    encode: (v) => enc.encode(JSON.stringify(toJson(v))),
    decode: (b) => fromJson(JSON.parse(dec.decode(b))),
  };
}
