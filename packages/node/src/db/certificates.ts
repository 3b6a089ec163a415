// The best certificate held per (stream, slot), kept forever; range reads
// serve `certificates_by_range`.
import { type Certificate, MAX_CERTIFICATES_PER_RANGE, UINT64_MAX } from "@ocp/protocol";
import { Bucket } from "./buckets.js";
import { certificateCodec } from "./codecs.js";
import type { Database, DbOp, WriteOptions } from "./database.js";
import { joinKey } from "./keys.js";
import { type Codec, Repository } from "./repository.js";
import { type StreamSlot, slotRange, streamSlotCodec } from "./streamSlot.js";

/** Key layout: stream(32) ‖ slot(u64 BE). */
export class CertificateRepository extends Repository<StreamSlot, Certificate> {
  constructor(db: Database, codec: Codec<Certificate> = certificateCodec) {
    super(db, Bucket.certificates, streamSlotCodec, codec);
  }

  async getBest(stream: Uint8Array, slot: bigint): Promise<Certificate | undefined> {
    return this.get({ stream, slot });
  }

  /** `getBest` without a thread-pool round trip (a point read in LevelDB's memtable or cache). */
  getBestSync(stream: Uint8Array, slot: bigint): Certificate | undefined {
    return this.getManySync([{ stream, slot }])[0];
  }

  /** Stores `cert` as the best for its slot (the caller compares weights). */
  async putBest(cert: Certificate, opts?: WriteOptions): Promise<void> {
    await this.put({ stream: cert.observation.stream, slot: cert.observation.slot }, cert, opts);
  }

  putBestOp(cert: Certificate): DbOp {
    return this.putOp({ stream: cert.observation.stream, slot: cert.observation.slot }, cert);
  }

  /**
   * Certificates of slots [startSlot, startSlot + count) in slot order, at
   * most `MAX_CERTIFICATES_PER_RANGE`; empty slots are skipped.
   */
  async range(stream: Uint8Array, startSlot: bigint, count: number): Promise<Certificate[]> {
    const n = Math.max(0, Math.min(Math.floor(count), MAX_CERTIFICATES_PER_RANGE));
    if (n === 0) return [];
    const out: Certificate[] = [];
    const end = startSlot + BigInt(n);
    const bounds = slotRange(stream, startSlot, end > UINT64_MAX ? undefined : end);
    for await (const v of this.values({ ...bounds, limit: n })) {
      out.push(v);
    }
    return out;
  }

  /** The highest certified slot of a stream, if any. */
  async latest(stream: Uint8Array): Promise<Certificate | undefined> {
    for await (const v of this.values({ prefix: joinKey([[stream, 32]]), reverse: true, limit: 1 })) {
      return v;
    }
    return undefined;
  }
}
