// The node's database: one LevelDB, every repository over it, atomic
// multi-bucket batches, schema check on open and slot-window retention.

import { ProtocolError, SszEvidenceKind, toHex } from "@ocp/protocol";
import { type Logger, nullLogger } from "../util/logger.js";
import { AnchorQueueRepository } from "./anchorQueue.js";
import { AnchorReceiptRepository } from "./anchorReceipts.js";
import { AttestationRepository } from "./attestations.js";
import { Bucket } from "./buckets.js";
import { CertificateRepository } from "./certificates.js";
import { CommitmentRepository } from "./commitments.js";
import { Database, type DbOp, defaultDatabaseOptions, type WriteOptions } from "./database.js";
import { EvidenceRepository } from "./evidence.js";
import { DB_SCHEMA_VERSION, MetaKey, MetaRepository } from "./meta.js";
import { ObservationRepository } from "./observations.js";
import { PeerRepository } from "./peers.js";
import {
  defaultRetentionOptions,
  deleteKeys,
  type RetentionOptions,
  retentionCutoff,
  streamsInBucket,
} from "./retention.js";
import { slotRange } from "./streamSlot.js";
import { TableRepository } from "./tables.js";
import { WriteBatcher } from "./writeBatcher.js";

export enum DbErrorCode {
  /** The directory holds a database of another layout version. */
  SCHEMA_MISMATCH = "DB_ERROR_SCHEMA_MISMATCH",
}

export interface DbOptions {
  /** Directory of the LevelDB files. */
  path: string;
  /** @default false — see {@link DatabaseOptions.syncWrites} */
  syncWrites: boolean;
  retention: RetentionOptions;
}

export const defaultDbOptions: Omit<DbOptions, "path"> = {
  syncWrites: defaultDatabaseOptions.syncWrites,
  retention: defaultRetentionOptions,
};

export interface DbModules {
  logger?: Logger;
}

export interface PruneResult {
  tables: number;
  attestations: number;
  commitments: number;
  /** Builder evidence about builders not kept (outside the allowlist). */
  evidence: number;
}

export interface PruneOptions {
  /**
   * Builder evidence older than the attestation window is deleted unless this
   * says the builder (0x-hex address) is one to remember; absent: all kept.
   */
  keepBuilderEvidence?: (builderHex: string) => boolean;
}

export class NodeDb {
  readonly database: Database;
  readonly meta: MetaRepository;
  readonly commitments: CommitmentRepository;
  readonly observations: ObservationRepository;
  readonly tables: TableRepository;
  readonly attestations: AttestationRepository;
  readonly certificates: CertificateRepository;
  readonly evidence: EvidenceRepository;
  readonly peers: PeerRepository;
  readonly anchorReceipts: AnchorReceiptRepository;
  readonly anchorQueue: AnchorQueueRepository;
  /** One batch per event-loop turn for gossip attestations (not durability-critical). */
  readonly deferred: WriteBatcher;
  private readonly retention: RetentionOptions;
  private readonly logger: Logger;

  constructor(opts: Partial<DbOptions> & { path: string }, modules: DbModules = {}) {
    this.database = new Database({
      path: opts.path,
      syncWrites: opts.syncWrites ?? defaultDbOptions.syncWrites,
    });
    this.retention = { ...defaultRetentionOptions, ...opts.retention };
    this.logger = modules.logger ?? nullLogger;
    this.meta = new MetaRepository(this.database);
    this.commitments = new CommitmentRepository(this.database);
    this.observations = new ObservationRepository(this.database);
    this.tables = new TableRepository(this.database);
    this.attestations = new AttestationRepository(this.database);
    this.certificates = new CertificateRepository(this.database);
    this.evidence = new EvidenceRepository(this.database);
    this.peers = new PeerRepository(this.database);
    this.anchorReceipts = new AnchorReceiptRepository(this.database);
    this.anchorQueue = new AnchorQueueRepository(this.database);
    this.deferred = new WriteBatcher(this.database);
  }

  /** Opens the database and checks (or, when new, writes) the layout version. */
  async start(): Promise<void> {
    await this.database.open();
    const version = await this.meta.getJson<number>(MetaKey.schemaVersion);
    if (version === undefined) {
      await this.meta.putJson(MetaKey.schemaVersion, DB_SCHEMA_VERSION, { sync: true });
    } else if (version !== DB_SCHEMA_VERSION) {
      await this.database.close();
      throw new ProtocolError(
        DbErrorCode.SCHEMA_MISMATCH,
        `database at ${this.database.location} has layout v${version}, this node uses v${DB_SCHEMA_VERSION}`,
      );
    }
    this.logger.info({ path: this.database.location }, "database open");
  }

  async stop(): Promise<void> {
    if (this.database.isOpen) {
      await this.deferred.drain();
      await this.database.close();
    }
  }

  /** Writes ops from any repositories (`putOp`/`deleteOp`/`addOp`) all-or-nothing. */
  async batch(ops: readonly DbOp[], opts?: WriteOptions): Promise<void> {
    await this.database.batch(ops, opts);
  }

  /**
   * Prunes by the retention windows relative to `currentSlot`, for one stream
   * or (without `stream`) every stream present.
   */
  async prune(currentSlot: bigint, stream?: Uint8Array, opts: PruneOptions = {}): Promise<PruneResult> {
    const tableCut = retentionCutoff(currentSlot, this.retention.tableRetentionSlots);
    const attCut = retentionCutoff(currentSlot, this.retention.attestationRetentionSlots);
    const result: PruneResult = { tables: 0, attestations: 0, commitments: 0, evidence: 0 };
    const streams = async (bucket: Bucket): Promise<Uint8Array[]> => {
      if (stream !== undefined) return [stream];
      const out: Uint8Array[] = [];
      for await (const s of streamsInBucket(this.database, bucket)) out.push(s);
      return out;
    };
    if (tableCut > 0n) {
      for (const s of await streams(Bucket.tablesBySlot))
        result.tables += await this.tables.pruneBefore(s, tableCut);
    }
    if (attCut > 0n) {
      for (const s of await streams(Bucket.attestations)) {
        result.attestations += await deleteKeys(
          this.database,
          this.attestations.rawKeysInSlots(s, 0n, attCut),
        );
      }
      for (const s of await streams(Bucket.commitments)) {
        result.commitments += await deleteKeys(this.database, this.commitments.rawKeysInSlots(s, 0n, attCut));
      }
      const keep = opts.keepBuilderEvidence;
      if (keep !== undefined) {
        const evidence = this.evidence;
        const stale = async function* (s: Uint8Array): AsyncGenerator<Uint8Array> {
          for await (const k of evidence.keys(slotRange(s, 0n, attCut))) {
            if (k.kind === SszEvidenceKind.BuilderEquivocation && !keep(toHex(k.offender)))
              yield evidence.encodeKey(k);
          }
        };
        for (const s of await streams(Bucket.evidence))
          result.evidence += await deleteKeys(this.database, stale(s));
      }
    }
    if (result.tables + result.attestations + result.commitments + result.evidence > 0) {
      this.logger.debug({ currentSlot: currentSlot.toString(), ...result }, "pruned");
    }
    return result;
  }
}
