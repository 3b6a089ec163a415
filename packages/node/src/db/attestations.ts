// Verified attestations (gossip and our own), grouped so that all votes for one
// observation root in one slot are a prefix scan — what the aggregator reads.
import { type Attestation, observationRoot } from "@ocp/protocol";
import { Bucket } from "./buckets.js";
import { attestationCodec } from "./codecs.js";
import type { Database, DbOp, WriteOptions } from "./database.js";
import { joinKey, readUint32BE, uint32BE } from "./keys.js";
import { type Codec, Repository } from "./repository.js";
import { readStreamSlot, STREAM_SLOT_BYTES, slotRange, streamSlotKey } from "./streamSlot.js";

export interface AttestationKey {
  stream: Uint8Array;
  slot: bigint;
  observationRoot: Uint8Array;
  setId: Uint8Array;
  verifierIndex: number;
}

const S = STREAM_SLOT_BYTES;
const attestationKeyCodec: Codec<AttestationKey> = {
  encode: (k) =>
    joinKey([
      streamSlotKey(k.stream, k.slot),
      [k.observationRoot, 32],
      [k.setId, 32],
      uint32BE(k.verifierIndex),
    ]),
  decode: (b) => ({
    ...readStreamSlot(b),
    observationRoot: Uint8Array.from(b.subarray(S, S + 32)),
    setId: Uint8Array.from(b.subarray(S + 32, S + 64)),
    verifierIndex: readUint32BE(b, S + 64),
  }),
};

/** Key layout: stream(32) ‖ slot(u64 BE) ‖ observationRoot(32) ‖ setId(32) ‖ verifierIndex(u32 BE). */
export class AttestationRepository extends Repository<AttestationKey, Attestation> {
  constructor(db: Database, codec: Codec<Attestation> = attestationCodec) {
    super(db, Bucket.attestations, attestationKeyCodec, codec);
  }

  /** `root`: the attestation's observationRoot when the caller has it (saves three keccaks). */
  static keyOf(a: Attestation, root?: Uint8Array): AttestationKey {
    return {
      stream: a.observation.stream,
      slot: a.observation.slot,
      observationRoot: root ?? observationRoot(a.domain, a.observation),
      setId: a.setId,
      verifierIndex: a.verifierIndex,
    };
  }

  async add(a: Attestation, opts?: WriteOptions): Promise<void> {
    await this.put(AttestationRepository.keyOf(a), a, opts);
  }

  addOp(a: Attestation, root?: Uint8Array): DbOp {
    return this.putOp(AttestationRepository.keyOf(a, root), a);
  }

  /** All attestations of one slot, grouped by root, then set, then verifier index. */
  async bySlot(stream: Uint8Array, slot: bigint): Promise<Attestation[]> {
    const out: Attestation[] = [];
    for await (const v of this.values({ prefix: streamSlotKey(stream, slot) })) out.push(v);
    return out;
  }

  /** Attestations for one root (optionally one set), ordered by verifier index. */
  async byRoot(
    stream: Uint8Array,
    slot: bigint,
    root: Uint8Array,
    setId?: Uint8Array,
  ): Promise<Attestation[]> {
    const parts: (Uint8Array | [Uint8Array, number])[] = [streamSlotKey(stream, slot), [root, 32]];
    if (setId !== undefined) parts.push([setId, 32]);
    const out: Attestation[] = [];
    for await (const v of this.values({ prefix: joinKey(parts) })) out.push(v);
    return out;
  }

  rawKeysInSlots(stream: Uint8Array, fromSlot: bigint, toSlot: bigint): AsyncGenerator<Uint8Array> {
    return this.rawKeys(slotRange(stream, fromSlot, toSlot));
  }
}
