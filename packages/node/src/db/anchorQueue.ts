// Certified slots this anchorer has not seen anchored yet, kept across restarts
// so a failed or interrupted submission is retried (docs/spec.md §7).
import type { Certificate } from "@ocp/protocol";
import { Bucket } from "./buckets.js";
import { certificateCodec } from "./codecs.js";
import type { Database, WriteOptions } from "./database.js";
import { joinKey } from "./keys.js";
import { type Codec, Repository } from "./repository.js";
import { readStreamSlot, STREAM_SLOT_BYTES, streamSlotKey } from "./streamSlot.js";

export interface AnchorQueueKey {
  stream: Uint8Array;
  slot: bigint;
  /** The certificate's observationRoot: a conflicting certificate of the same slot is its own entry. */
  root: Uint8Array;
}

const queueKeyCodec: Codec<AnchorQueueKey> = {
  encode: (k) => joinKey([streamSlotKey(k.stream, k.slot), [k.root, 32]]),
  decode: (b) => ({ ...readStreamSlot(b), root: Uint8Array.from(b.subarray(STREAM_SLOT_BYTES)) }),
};

/** Key layout: stream(32) ‖ slot(u64 BE) ‖ observationRoot(32) → Certificate (SSZ). */
export class AnchorQueueRepository extends Repository<AnchorQueueKey, Certificate> {
  constructor(db: Database) {
    super(db, Bucket.anchorQueue, queueKeyCodec, certificateCodec);
  }

  async add(key: AnchorQueueKey, cert: Certificate, opts?: WriteOptions): Promise<void> {
    await this.put(key, cert, opts);
  }

  async all(): Promise<{ key: AnchorQueueKey; value: Certificate }[]> {
    const out: { key: AnchorQueueKey; value: Certificate }[] = [];
    for await (const e of this.entries()) out.push(e);
    return out;
  }
}
