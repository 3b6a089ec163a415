// Equivocation evidence held, one per (offender, stream, slot): the gossip
// rule "[IGNORE] already held for that offender and slot" is one `has`.
import { type SszEvidence, SszEvidenceKind } from "@ocp/protocol";
import { Bucket } from "./buckets.js";
import { evidenceCodec } from "./codecs.js";
import type { Database, DbOp, WriteOptions } from "./database.js";
import { joinKey, uint32BE } from "./keys.js";
import { type Codec, Repository } from "./repository.js";
import { readStreamSlot, STREAM_SLOT_BYTES, slotRange, streamSlotKey } from "./streamSlot.js";

export interface EvidenceKey {
  stream: Uint8Array;
  slot: bigint;
  kind: SszEvidenceKind;
  /** Builder: its 20-byte address. Verifier: setId(32) ‖ verifierIndex(u32 BE). */
  offender: Uint8Array;
}

const evidenceKeyCodec: Codec<EvidenceKey> = {
  encode: (k) => joinKey([streamSlotKey(k.stream, k.slot), Uint8Array.of(k.kind), k.offender]),
  decode: (b) => ({
    ...readStreamSlot(b),
    kind: b[STREAM_SLOT_BYTES]! as SszEvidenceKind,
    offender: Uint8Array.from(b.subarray(STREAM_SLOT_BYTES + 1)),
  }),
};

/** Key layout: stream(32) ‖ slot(u64 BE) ‖ kind(1: 0 builder, 1 verifier) ‖ offender. */
export class EvidenceRepository extends Repository<EvidenceKey, SszEvidence> {
  constructor(db: Database, codec: Codec<SszEvidence> = evidenceCodec) {
    super(db, Bucket.evidence, evidenceKeyCodec, codec);
  }

  static keyOf(e: SszEvidence): EvidenceKey {
    if (e.kind === SszEvidenceKind.BuilderEquivocation) {
      const c = e.evidence.a.commitment;
      return { stream: c.observation.stream, slot: c.observation.slot, kind: e.kind, offender: c.builder };
    }
    const a = e.evidence.a;
    return {
      stream: a.observation.stream,
      slot: a.observation.slot,
      kind: e.kind,
      offender: joinKey([[a.setId, 32], uint32BE(a.verifierIndex)]),
    };
  }

  async add(e: SszEvidence, opts?: WriteOptions): Promise<void> {
    await this.put(EvidenceRepository.keyOf(e), e, opts);
  }

  addOp(e: SszEvidence): DbOp {
    return this.putOp(EvidenceRepository.keyOf(e), e);
  }

  async holds(e: SszEvidence): Promise<boolean> {
    return this.has(EvidenceRepository.keyOf(e));
  }

  /** Evidence of slots [fromSlot, toSlot) of one stream, in slot order. */
  async range(stream: Uint8Array, fromSlot: bigint, toSlot?: bigint, limit?: number): Promise<SszEvidence[]> {
    const out: SszEvidence[] = [];
    const r = slotRange(stream, fromSlot, toSlot);
    for await (const v of this.values(limit === undefined ? r : { ...r, limit })) out.push(v);
    return out;
  }
}
