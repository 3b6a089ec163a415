// This node's own observation per (stream, slot) and how it decided: which
// checkers ran, their outcomes, and whether it attested (docs/spec.md §6).
import {
  type Observation,
  type ObservationJson,
  observationToJson,
  parseObservationJson,
} from "@ocp/protocol";
import { Bucket } from "./buckets.js";
import type { Database, DbOp, WriteOptions } from "./database.js";
import { type Codec, jsonCodec, Repository } from "./repository.js";
import { type StreamSlot, slotRange, streamSlotCodec } from "./streamSlot.js";

export type CheckerOutcome = "pass" | "fail" | "abstain" | "error";
export type ObservationDecision = "attest" | "refuse" | "abstain";

export interface CheckerRun {
  /** Checker name: "observe", "proof", "exec", … */
  checker: string;
  outcome: CheckerOutcome;
  detail?: string;
  durationMs?: number;
}

export interface ObservationRecord {
  observation: Observation;
  checkers: CheckerRun[];
  decision: ObservationDecision;
  /** Local wall-clock time of the decision (ms since epoch). */
  decidedAtMs: number;
}

interface ObservationRecordJson {
  observation: ObservationJson;
  checkers: CheckerRun[];
  decision: ObservationDecision;
  decidedAtMs: number;
}

function recordFromJson(j: unknown): ObservationRecord {
  const r = j as ObservationRecordJson;
  return {
    observation: parseObservationJson(r.observation),
    checkers: r.checkers,
    decision: r.decision,
    decidedAtMs: r.decidedAtMs,
  };
}

/** JSON: node-local and small; readable with any LevelDB dump tool. */
export const observationRecordCodec: Codec<ObservationRecord> = jsonCodec<
  ObservationRecord,
  ObservationRecordJson
>((r) => ({ ...r, observation: observationToJson(r.observation) }), recordFromJson);

/** Key layout: stream(32) ‖ slot(u64 BE). */
export class ObservationRepository extends Repository<StreamSlot, ObservationRecord> {
  constructor(db: Database, codec: Codec<ObservationRecord> = observationRecordCodec) {
    super(db, Bucket.observations, streamSlotCodec, codec);
  }

  async getOwn(stream: Uint8Array, slot: bigint): Promise<ObservationRecord | undefined> {
    return this.get({ stream, slot });
  }

  async putOwn(record: ObservationRecord, opts?: WriteOptions): Promise<void> {
    await this.put({ stream: record.observation.stream, slot: record.observation.slot }, record, opts);
  }

  putOwnOp(record: ObservationRecord): DbOp {
    return this.putOp({ stream: record.observation.stream, slot: record.observation.slot }, record);
  }

  /** Records of slots [fromSlot, toSlot) in slot order. */
  async range(
    stream: Uint8Array,
    fromSlot: bigint,
    toSlot?: bigint,
    limit?: number,
  ): Promise<ObservationRecord[]> {
    const out: ObservationRecord[] = [];
    const r = slotRange(stream, fromSlot, toSlot);
    for await (const v of this.values(limit === undefined ? r : { ...r, limit })) out.push(v);
    return out;
  }
}
