// Builder commitments seen (valid signature), keyed so that every commitment of
// one slot, or of one builder in one slot, is a prefix scan.
import { observationRoot, type SignedCommitment } from "@ocp/protocol";
import { Bucket } from "./buckets.js";
import { signedCommitmentCodec } from "./codecs.js";
import type { Database, DbOp, WriteOptions } from "./database.js";
import { joinKey } from "./keys.js";
import { type Codec, Repository } from "./repository.js";
import { readStreamSlot, STREAM_SLOT_BYTES, slotRange, streamSlotKey } from "./streamSlot.js";

export interface CommitmentKey {
  stream: Uint8Array;
  slot: bigint;
  /** 20-byte builder address. */
  builder: Uint8Array;
  observationRoot: Uint8Array;
}

const commitmentKeyCodec: Codec<CommitmentKey> = {
  encode: (k) => joinKey([streamSlotKey(k.stream, k.slot), [k.builder, 20], [k.observationRoot, 32]]),
  decode: (b) => ({
    ...readStreamSlot(b),
    builder: Uint8Array.from(b.subarray(STREAM_SLOT_BYTES, STREAM_SLOT_BYTES + 20)),
    observationRoot: Uint8Array.from(b.subarray(STREAM_SLOT_BYTES + 20, STREAM_SLOT_BYTES + 52)),
  }),
};

/** Key layout: stream(32) ‖ slot(u64 BE) ‖ builder(20) ‖ observationRoot(32). */
export class CommitmentRepository extends Repository<CommitmentKey, SignedCommitment> {
  constructor(db: Database, codec: Codec<SignedCommitment> = signedCommitmentCodec) {
    super(db, Bucket.commitments, commitmentKeyCodec, codec);
  }

  static keyOf(sc: SignedCommitment): CommitmentKey {
    const o = sc.commitment.observation;
    return {
      stream: o.stream,
      slot: o.slot,
      builder: sc.commitment.builder,
      observationRoot: observationRoot(sc.domain, o),
    };
  }

  async add(sc: SignedCommitment, opts?: WriteOptions): Promise<void> {
    await this.put(CommitmentRepository.keyOf(sc), sc, opts);
  }

  addOp(sc: SignedCommitment): DbOp {
    return this.putOp(CommitmentRepository.keyOf(sc), sc);
  }

  /** Every commitment for one slot, ordered by builder then root. */
  async bySlot(stream: Uint8Array, slot: bigint): Promise<SignedCommitment[]> {
    const out: SignedCommitment[] = [];
    for await (const v of this.values({ prefix: streamSlotKey(stream, slot) })) out.push(v);
    return out;
  }

  /** Commitments of one builder in one slot (more than one = equivocation). */
  async byBuilder(stream: Uint8Array, slot: bigint, builder: Uint8Array): Promise<SignedCommitment[]> {
    const out: SignedCommitment[] = [];
    for await (const v of this.values({ prefix: joinKey([streamSlotKey(stream, slot), [builder, 20]]) })) {
      out.push(v);
    }
    return out;
  }

  /** Raw keys of slots [fromSlot, toSlot) of one stream (for pruning). */
  rawKeysInSlots(stream: Uint8Array, fromSlot: bigint, toSlot: bigint): AsyncGenerator<Uint8Array> {
    return this.rawKeys(slotRange(stream, fromSlot, toSlot));
  }
}
