// Coalesces many small non-critical writes (gossip attestations: dozens per
// slot) into one LevelDB batch per event-loop turn instead of one native write
// each. Writes that must be durable before something else happens (slashing
// protection, certificates) do not go through here.
import type { Database, DbOp } from "./database.js";

export interface WriteBatcherOptions {
  /** Flush at once when this many operations wait. @default 1024 */
  maxPendingOps: number;
}

export const defaultWriteBatcherOptions: WriteBatcherOptions = { maxPendingOps: 1024 };

interface Pending {
  ops: DbOp[];
  waiters: { resolve: () => void; reject: (e: unknown) => void }[];
}

export class WriteBatcher {
  /** Batches written. */
  batches = 0;
  /** Operations written. */
  written = 0;
  /** Batches that failed (each of their callers got the error). */
  failures = 0;
  private readonly opts: WriteBatcherOptions;
  private pending: Pending | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly db: Database,
    opts: Partial<WriteBatcherOptions> = {},
  ) {
    this.opts = { ...defaultWriteBatcherOptions, ...opts };
    if (!(this.opts.maxPendingOps >= 1)) throw new RangeError("maxPendingOps must be ≥ 1");
  }

  /** Queues `op`; resolves once the batch holding it is written (rejects if that batch failed). */
  write(op: DbOp): Promise<void> {
    this.pending ??= { ops: [], waiters: [] };
    const p = this.pending;
    p.ops.push(op);
    const done = new Promise<void>((resolve, reject) => p.waiters.push({ resolve, reject }));
    if (p.ops.length >= this.opts.maxPendingOps) this.flush();
    else this.immediate ??= setImmediate(() => this.flush());
    return done;
  }

  /** Operations queued and not yet handed to the database. */
  get size(): number {
    return this.pending?.ops.length ?? 0;
  }

  get limit(): number {
    return this.opts.maxPendingOps;
  }

  /** Writes what is queued now; resolves when every batch started so far is done. */
  async drain(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.inFlight]);
  }

  private flush(): void {
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.immediate = undefined;
    const p = this.pending;
    this.pending = undefined;
    if (p === undefined) return;
    const job = this.db.batch(p.ops).then(
      () => {
        this.batches++;
        this.written += p.ops.length;
        for (const w of p.waiters) w.resolve();
      },
      (e: unknown) => {
        this.failures++;
        for (const w of p.waiters) w.reject(e);
      },
    );
    this.inFlight.add(job);
    void job.finally(() => this.inFlight.delete(job));
  }
}
