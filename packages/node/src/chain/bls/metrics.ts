// Counters of the BLS verifier (batch sizes, verify calls and time). A small
// interface so a Prometheus-backed implementation can replace the in-memory one.

/** How a group of signature sets was checked. */
export type BlsVerifyKind = "same_message" | "multi_set" | "single";

export interface BlsVerifierMetrics {
  /** A buffered batch was flushed: `sets` signature sets from `jobs` callers. */
  onBatch(sets: number, jobs: number): void;
  /** One call into the BLS library over `sets` sets, taking `ms`. */
  onVerifyCall(kind: BlsVerifyKind, sets: number, ms: number, ok: boolean): void;
  /** A failed group was split in two. */
  onBisect(): void;
  /** Sets left unverified: their forwarding peer's sets failed (its BLS budget is spent). */
  onDropped?(sets: number): void;
  /** Already verified sets added to a same-message call to reach blst's multi-scalar path. */
  onPadded?(sets: number): void;
}

/** In-memory metrics: plain counters, readable by tests, health and the bench. */
export class BlsVerifierStats implements BlsVerifierMetrics {
  batches = 0;
  batchedSets = 0;
  batchedJobs = 0;
  maxBatchSets = 0;
  verifyCalls = 0;
  verifyCallsByKind: Record<BlsVerifyKind, number> = { same_message: 0, multi_set: 0, single: 0 };
  verifiedSets = 0;
  failedCalls = 0;
  verifyTimeMs = 0;
  bisections = 0;
  droppedSets = 0;
  paddedSets = 0;

  onBatch(sets: number, jobs: number): void {
    this.batches++;
    this.batchedSets += sets;
    this.batchedJobs += jobs;
    if (sets > this.maxBatchSets) this.maxBatchSets = sets;
  }

  onVerifyCall(kind: BlsVerifyKind, sets: number, ms: number, ok: boolean): void {
    this.verifyCalls++;
    this.verifyCallsByKind[kind]++;
    this.verifiedSets += sets;
    this.verifyTimeMs += ms;
    if (!ok) this.failedCalls++;
  }

  onBisect(): void {
    this.bisections++;
  }

  onDropped(sets: number): void {
    this.droppedSets += sets;
  }

  onPadded(sets: number): void {
    this.paddedSets += sets;
  }

  /** Mean sets per flushed batch (0 before the first). */
  get meanBatchSets(): number {
    return this.batches === 0 ? 0 : this.batchedSets / this.batches;
  }
}
