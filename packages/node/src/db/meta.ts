// Node-wide singletons (schema version, node identity, last pruned slot…):
// utf8 key → raw bytes, with JSON helpers.
import { Bucket } from "./buckets.js";
import type { Database, WriteOptions } from "./database.js";
import { bytesCodec, Repository, utf8Codec } from "./repository.js";

/** Version of the on-disk layout; bumped when a bucket's encoding changes. */
export const DB_SCHEMA_VERSION = 1;

export enum MetaKey {
  schemaVersion = "schemaVersion",
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Key layout: utf8(name). */
export class MetaRepository extends Repository<string, Uint8Array> {
  constructor(db: Database) {
    super(db, Bucket.meta, utf8Codec, bytesCodec);
  }

  async getJson<T>(key: string): Promise<T | undefined> {
    const raw = await this.get(key);
    return raw === undefined ? undefined : (JSON.parse(dec.decode(raw)) as T);
  }

  async putJson(key: string, value: unknown, opts?: WriteOptions): Promise<void> {
    await this.put(key, enc.encode(JSON.stringify(value)), opts);
  }
}
