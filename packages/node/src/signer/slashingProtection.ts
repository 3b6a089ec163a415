// Slashing protection (docs/spec.md §6): a verifier key signs at most one observation
// root per (domain, stream, slot), ever. The decision is fsynced before any
// signature leaves the process, so a crash cannot lose a record of a released signature.
import { bytesEqual, type Domain, fromHex, ProtocolError, toHex } from "@ocp/protocol";
import { Bucket } from "../db/buckets.js";
import type { Database, DbOp } from "../db/database.js";
import { joinKey, readUint64BE, uint64BE } from "../db/keys.js";
import { type Codec, Repository } from "../db/repository.js";
import { KeyedMutex } from "../util/mutex.js";
import { SlashingErrorCode } from "./errors.js";

export interface SlashingKey {
  /** 48-byte BLS public key. */
  pubkey: Uint8Array;
  domain: Domain;
  stream: Uint8Array;
  slot: bigint;
}

export enum SlashingStatus {
  /** One root signed; that root may be signed again (same bytes), nothing else. */
  signed = 0,
  /**
   * Two different roots are known to have been signed (learned by import):
   * nothing at all is signed for this slot again, not even the kept root, so
   * this node never re-broadcasts one half of its own equivocation.
   */
  conflicted = 1,
}

export interface SlashingRecord {
  status: SlashingStatus;
  observationRoot: Uint8Array;
}

const PUBKEY = 48;
// pubkey(48) ‖ chainId(8) ‖ verifyingContract(20) ‖ stream(32) ‖ slot(8)
const keyCodec: Codec<SlashingKey> = {
  encode: (k) =>
    joinKey([
      [k.pubkey, PUBKEY],
      uint64BE(BigInt(k.domain.chainId)),
      [k.domain.verifyingContract, 20],
      [k.stream, 32],
      uint64BE(k.slot),
    ]),
  decode: (b) => ({
    pubkey: Uint8Array.from(b.subarray(0, 48)),
    domain: { chainId: Number(readUint64BE(b, 48)), verifyingContract: Uint8Array.from(b.subarray(56, 76)) },
    stream: Uint8Array.from(b.subarray(76, 108)),
    slot: readUint64BE(b, 108),
  }),
};

// status(1) ‖ observationRoot(32)
const recordCodec: Codec<SlashingRecord> = {
  encode: (r) => joinKey([Uint8Array.of(r.status), [r.observationRoot, 32]]),
  decode: (b) => ({ status: b[0] as SlashingStatus, observationRoot: Uint8Array.from(b.subarray(1, 33)) }),
};

/**
 * Interchange format, modelled on EIP-3076 (which has no notion of streams):
 *
 * ```
 * { "metadata": { "interchange_format": "ocp.slashing.v1", "exported_at_ms": 1700000000000 },
 *   "data": [ { "pubkey": "0x…48",
 *               "signed_observations": [ { "chainId": 31337, "verifyingContract": "0x…20",
 *                   "stream": "0x…32", "slot": "123", "observationRoot": "0x…32",
 *                   "conflicted": true  // optional, only when two roots are known
 *               } ] } ] }
 * ```
 * Every record is complete history: there are no low watermarks, since slots
 * of a stream are independent (no surround votes). Import merges and never
 * weakens: a slot that ends up with two different roots becomes conflicted.
 */
export const SLASHING_INTERCHANGE_FORMAT = "ocp.slashing.v1";

export interface SignedObservationJson {
  chainId: number;
  verifyingContract: `0x${string}`;
  stream: `0x${string}`;
  slot: string;
  observationRoot: `0x${string}`;
  conflicted?: true;
}

export interface SlashingInterchange {
  metadata: { interchange_format: typeof SLASHING_INTERCHANGE_FORMAT; exported_at_ms?: number };
  data: { pubkey: `0x${string}`; signed_observations: SignedObservationJson[] }[];
}

export interface SlashingImportResult {
  /** Records written for slots this database had no record of. */
  added: number;
  /** Records already present with the same root. */
  unchanged: number;
  /** Slots now conflicted (two roots known); nothing will be signed there. */
  conflicts: { pubkey: string; stream: string; slot: string; existingRoot: string; importedRoot: string }[];
}

export interface SlashingProtectionModules {
  db: Database;
}

export class SlashingProtection {
  private readonly repo: Repository<SlashingKey, SlashingRecord>;
  private readonly db: Database;
  // One chain per pubkey: a check and its write never interleave with another for the same key.
  private readonly mutex = new KeyedMutex();

  constructor(modules: SlashingProtectionModules) {
    this.db = modules.db;
    this.repo = new Repository(modules.db, Bucket.slashingProtection, keyCodec, recordCodec);
  }

  async get(key: SlashingKey): Promise<SlashingRecord | undefined> {
    return this.repo.get(key);
  }

  /**
   * Allows signing `observationRoot` for `key` and durably records it, or
   * throws SLASHING_ERROR_DOUBLE_SIGN / SLASHING_ERROR_CONFLICTED. Returns
   * "repeat" when the same root was already recorded (re-signing is safe: BLS
   * signatures are deterministic, so the bytes are identical).
   */
  async checkAndRecord(key: SlashingKey, observationRoot: Uint8Array): Promise<"new" | "repeat"> {
    const [r] = await this.checkAndRecordMany([key], observationRoot);
    if (r instanceof ProtocolError) throw r;
    return r!;
  }

  /**
   * `checkAndRecord` for several keys (one per pubkey) and one root: every
   * allowed key's record goes into ONE synced batch, so a node with many keys
   * pays one fsync per slot, not one per key. Each entry is "new", "repeat" or
   * the refusal (SLASHING_ERROR_DOUBLE_SIGN / _CONFLICTED) for that key; a
   * failed write rejects the whole call and nothing may be signed.
   * `alsoWrite`: other operations that go into the same atomic batch (the
   * node's observation record), saving the signing path a second write.
   * `whileWriting`: runs with the verdicts once the write has started and
   * before it is durable, so CPU work (computing signatures) overlaps the
   * fsync. Whatever it produces must not leave the process before this
   * call resolves.
   */
  async checkAndRecordMany(
    keys: readonly SlashingKey[],
    observationRoot: Uint8Array,
    alsoWrite: readonly DbOp[] = [],
    whileWriting?: (verdicts: readonly ("new" | "repeat" | ProtocolError)[]) => void,
  ): Promise<("new" | "repeat" | ProtocolError)[]> {
    if (observationRoot.length !== 32) throw new RangeError("observationRoot must be 32 bytes");
    const ids = keys.map((k) => toHex(k.pubkey));
    if (new Set(ids).size !== ids.length) throw new RangeError("one key per pubkey");
    return this.mutex.runMany(ids, async () => {
      // Synchronous reads: this sits between a slot's decision and its votes
      // leaving, and an async read waits out whatever else the loop is doing.
      const existing = this.repo.getManySync(keys);
      const out: ("new" | "repeat" | ProtocolError)[] = [];
      const ops: DbOp[] = [...alsoWrite];
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        const prior = existing[i];
        if (prior === undefined) {
          ops.push(this.repo.putOp(key, { status: SlashingStatus.signed, observationRoot }));
          out.push("new");
        } else if (prior.status === SlashingStatus.conflicted) {
          // [REFUSE] a slot with two known roots signs nothing
          out.push(new ProtocolError(SlashingErrorCode.CONFLICTED, describe(key)));
        } else if (!bytesEqual(prior.observationRoot, observationRoot)) {
          // [REFUSE] a different root for an already signed slot, forever
          out.push(
            new ProtocolError(
              SlashingErrorCode.DOUBLE_SIGN,
              `${describe(key)} already signed ${toHex(prior.observationRoot)}`,
            ),
          );
        } else out.push("repeat");
      }
      const durable = this.db.batch(ops, { sync: true });
      try {
        whileWriting?.(out);
      } finally {
        // Always wait for the write (and surface its failure) before returning.
        await durable;
      }
      return out;
    });
  }

  /** Exports every record (or only those of `pubkeys`), sorted by key. */
  async exportInterchange(pubkeys?: Uint8Array[], nowMs: number = Date.now()): Promise<SlashingInterchange> {
    const byKey = new Map<string, SignedObservationJson[]>();
    const wanted = pubkeys === undefined ? undefined : new Set(pubkeys.map((p) => toHex(p)));
    for await (const { key, value } of this.repo.entries()) {
      const pk = toHex(key.pubkey);
      if (wanted !== undefined && !wanted.has(pk)) continue;
      let list = byKey.get(pk);
      if (list === undefined) {
        list = [];
        byKey.set(pk, list);
      }
      const rec: SignedObservationJson = {
        chainId: key.domain.chainId,
        verifyingContract: toHex(key.domain.verifyingContract),
        stream: toHex(key.stream),
        slot: key.slot.toString(),
        observationRoot: toHex(value.observationRoot),
      };
      if (value.status === SlashingStatus.conflicted) rec.conflicted = true;
      list.push(rec);
    }
    return {
      metadata: { interchange_format: SLASHING_INTERCHANGE_FORMAT, exported_at_ms: nowMs },
      data: [...byKey].map(([pubkey, signed_observations]) => ({
        pubkey: pubkey as `0x${string}`,
        signed_observations,
      })),
    };
  }

  /**
   * Merges an interchange document. The whole document is validated before
   * anything is written (invalid → SLASHING_ERROR_INVALID_INTERCHANGE, nothing
   * changed); each key's records are then written in one synced batch.
   */
  async importInterchange(doc: unknown): Promise<SlashingImportResult> {
    const parsed = parseInterchange(doc);
    const result: SlashingImportResult = { added: 0, unchanged: 0, conflicts: [] };
    for (const [pubkeyHex, records] of parsed) {
      await this.mutex.run(pubkeyHex, async () => {
        // Merge in memory first so duplicates inside the document are handled too.
        const merged = new Map<string, { key: SlashingKey; record: SlashingRecord; changed: boolean }>();
        for (const { key, record } of records) {
          const id = toHex(keyCodec.encode(key));
          let cur = merged.get(id);
          if (cur === undefined) {
            const existing = await this.repo.get(key);
            cur =
              existing === undefined
                ? { key, record, changed: true }
                : { key, record: existing, changed: false };
            if (existing === undefined) {
              result.added++;
              merged.set(id, cur);
              continue;
            }
            merged.set(id, cur);
          }
          const sameRoot = bytesEqual(cur.record.observationRoot, record.observationRoot);
          if (cur.record.status === SlashingStatus.conflicted) {
            result.unchanged++;
          } else if (!sameRoot || record.status === SlashingStatus.conflicted) {
            cur.record = { status: SlashingStatus.conflicted, observationRoot: cur.record.observationRoot };
            cur.changed = true;
            result.conflicts.push({
              pubkey: pubkeyHex,
              stream: toHex(key.stream),
              slot: key.slot.toString(),
              existingRoot: toHex(cur.record.observationRoot),
              importedRoot: toHex(record.observationRoot),
            });
          } else {
            result.unchanged++;
          }
        }
        const ops: DbOp[] = [];
        for (const m of merged.values()) if (m.changed) ops.push(this.repo.putOp(m.key, m.record));
        await this.db.batch(ops, { sync: true });
      });
    }
    return result;
  }
}

function describe(key: SlashingKey): string {
  return `pubkey ${toHex(key.pubkey).slice(0, 18)}… stream ${toHex(key.stream).slice(0, 10)}… slot ${key.slot}`;
}

function invalid(detail: string): ProtocolError<SlashingErrorCode> {
  return new ProtocolError(SlashingErrorCode.INVALID_INTERCHANGE, detail);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function hexField(obj: Record<string, unknown>, field: string, length: number, path: string): Uint8Array {
  try {
    return fromHex(obj[field], length);
  } catch {
    throw invalid(`${path}.${field} must be 0x-hex of ${length} bytes`);
  }
}

const UINT64_MAX = (1n << 64n) - 1n;

/** Strict parse of an interchange document; throws only SLASHING_ERROR_INVALID_INTERCHANGE. */
export function parseInterchange(doc: unknown): Map<string, { key: SlashingKey; record: SlashingRecord }[]> {
  if (!isObject(doc)) throw invalid("document must be an object");
  const meta = doc.metadata;
  if (!isObject(meta) || meta.interchange_format !== SLASHING_INTERCHANGE_FORMAT) {
    throw invalid(`metadata.interchange_format must be "${SLASHING_INTERCHANGE_FORMAT}"`);
  }
  if (!Array.isArray(doc.data)) throw invalid("data must be an array");
  const out = new Map<string, { key: SlashingKey; record: SlashingRecord }[]>();
  doc.data.forEach((entry: unknown, i: number) => {
    const path = `data[${i}]`;
    if (!isObject(entry)) throw invalid(`${path} must be an object`);
    const pubkey = hexField(entry, "pubkey", 48, path);
    if (!Array.isArray(entry.signed_observations))
      throw invalid(`${path}.signed_observations must be an array`);
    const pubkeyHex = toHex(pubkey);
    let list = out.get(pubkeyHex);
    if (list === undefined) {
      list = [];
      out.set(pubkeyHex, list);
    }
    entry.signed_observations.forEach((so: unknown, j: number) => {
      const p = `${path}.signed_observations[${j}]`;
      if (!isObject(so)) throw invalid(`${p} must be an object`);
      const chainId = so.chainId;
      if (typeof chainId !== "number" || !Number.isSafeInteger(chainId) || chainId < 0) {
        throw invalid(`${p}.chainId must be a non-negative integer`);
      }
      if (
        typeof so.slot !== "string" ||
        !/^(0|[1-9][0-9]{0,19})$/.test(so.slot) ||
        BigInt(so.slot) > UINT64_MAX
      ) {
        throw invalid(`${p}.slot must be a decimal uint64 string`);
      }
      if (so.conflicted !== undefined && typeof so.conflicted !== "boolean") {
        throw invalid(`${p}.conflicted must be a boolean`);
      }
      list.push({
        key: {
          pubkey,
          domain: { chainId, verifyingContract: hexField(so, "verifyingContract", 20, p) },
          stream: hexField(so, "stream", 32, p),
          slot: BigInt(so.slot),
        },
        record: {
          status: so.conflicted === true ? SlashingStatus.conflicted : SlashingStatus.signed,
          observationRoot: hexField(so, "observationRoot", 32, p),
        },
      });
    });
  });
  return out;
}
