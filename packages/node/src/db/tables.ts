// Raw table bytes (calldata / entries) by digest, served by `table_by_digest`.
// Two small index buckets record which (stream, slot) use a digest, so retention
// can drop a table once its last slot falls out of the window.
import { toHex } from "@ocp/protocol";
import { KeyedMutex } from "../util/mutex.js";
import { Bucket } from "./buckets.js";
import { emptyCodec } from "./codecs.js";
import type { Database, DbOp, WriteOptions } from "./database.js";
import { joinKey } from "./keys.js";
import { bytesCodec, type Codec, Repository } from "./repository.js";
import { readStreamSlot, type StreamSlot, slotRange, streamSlotKey } from "./streamSlot.js";

export interface TableSlotKey extends StreamSlot {
  digest: Uint8Array;
}

const bySlotCodec: Codec<TableSlotKey> = {
  encode: (k) => joinKey([streamSlotKey(k.stream, k.slot), [k.digest, 32]]),
  decode: (b) => ({ ...readStreamSlot(b), digest: Uint8Array.from(b.subarray(40, 72)) }),
};

const refsCodec: Codec<TableSlotKey> = {
  encode: (k) => joinKey([[k.digest, 32], streamSlotKey(k.stream, k.slot)]),
  decode: (b) => ({ digest: Uint8Array.from(b.subarray(0, 32)), ...readStreamSlot(b, 32) }),
};

/**
 * Key layouts: tables: digest(32) → bytes; tablesBySlot: stream ‖ slot ‖ digest;
 * tableRefs: digest ‖ stream ‖ slot.
 */
export class TableRepository {
  readonly tables: Repository<Uint8Array, Uint8Array>;
  readonly bySlot: Repository<TableSlotKey, null>;
  readonly refs: Repository<TableSlotKey, null>;
  // put and prune read the refs before writing; one chain keeps them from interleaving.
  private readonly mutex = new KeyedMutex();

  constructor(private readonly db: Database) {
    this.tables = new Repository(db, Bucket.tables, bytesCodec, bytesCodec);
    this.bySlot = new Repository(db, Bucket.tablesBySlot, bySlotCodec, emptyCodec);
    this.refs = new Repository(db, Bucket.tableRefs, refsCodec, emptyCodec);
  }

  async get(digest: Uint8Array): Promise<Uint8Array | undefined> {
    return this.tables.get(digest);
  }

  async has(digest: Uint8Array): Promise<boolean> {
    return this.tables.has(digest);
  }

  /** Stores the table and records that (stream, slot) uses it, in one batch. */
  async put(
    stream: Uint8Array,
    slot: bigint,
    digest: Uint8Array,
    table: Uint8Array,
    opts?: WriteOptions,
  ): Promise<void> {
    await this.mutex.run("tables", () => this.db.batch(this.putOps(stream, slot, digest, table), opts));
  }

  putOps(stream: Uint8Array, slot: bigint, digest: Uint8Array, table: Uint8Array): DbOp[] {
    const k = { stream, slot, digest };
    return [this.tables.putOp(digest, table), this.bySlot.putOp(k, null), this.refs.putOp(k, null)];
  }

  /**
   * Drops index entries of slots < `beforeSlot` in `stream`, and every table
   * no longer used by any remaining slot, in one atomic batch. Returns the
   * number of tables deleted.
   */
  async pruneBefore(stream: Uint8Array, beforeSlot: bigint, opts?: WriteOptions): Promise<number> {
    return this.mutex.run("tables", async () => {
      const dropping: TableSlotKey[] = [];
      for await (const k of this.bySlot.keys(slotRange(stream, 0n, beforeSlot))) dropping.push(k);
      if (dropping.length === 0) return 0;
      const ops: DbOp[] = [];
      const digests = new Map<string, Uint8Array>();
      const droppedRefs = new Set<string>();
      for (const k of dropping) {
        ops.push(this.bySlot.deleteOp(k), this.refs.deleteOp(k));
        digests.set(toHex(k.digest), k.digest);
        droppedRefs.add(toHex(refsCodec.encode(k)));
      }
      let deleted = 0;
      for (const digest of digests.values()) {
        let stillUsed = false;
        for await (const ref of this.refs.keys({ prefix: digest })) {
          if (!droppedRefs.has(toHex(refsCodec.encode(ref)))) {
            stillUsed = true;
            break;
          }
        }
        if (!stillUsed) {
          ops.push(this.tables.deleteOp(digest));
          deleted++;
        }
      }
      await this.db.batch(ops, opts);
      return deleted;
    });
  }
}
