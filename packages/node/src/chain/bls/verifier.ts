// Batching BLS verifier: gossip signature sets wait a few ms in a buffer and are
// verified together (randomized; same-message groups in one pairing check). A
// failing batch is split by the peer that forwarded each set: a peer whose own
// sets fail is charged with a few single checks and the rest of its sets are
// dropped unverified; only sets of no known peer are bisected. Library calls
// run one per turn of the event loop, in the order they were asked for, so
// I/O runs between any two of them however many batches are waiting.
import { type BlsBackend, type BlsSignatureSet, getBls, toHex } from "@ocp/protocol";
import { yieldToIo } from "../../util/yield.js";
import { type BlsVerifierMetrics, BlsVerifierStats, type BlsVerifyKind } from "./metrics.js";
import { VerifiedSameMessageSets, verifySameMessage } from "./sameMessage.js";

export interface VerifySignatureSetsOptions {
  /**
   * May wait in the buffer to be verified with others (gossip attestations).
   * Non-batchable sets are verified at once.
   * @default false
   */
  batchable?: boolean;
  /**
   * A batchable set whose result is wanted now (e.g. a vote that may complete
   * a certificate): the buffer, this set included, is verified at once.
   * @default false
   */
  urgent?: boolean;
  /**
   * The peer that forwarded the sets (gossip). A batch that fails is judged
   * per peer, so one peer's bad sets cost a bounded number of checks.
   */
  peer?: string;
}

/**
 * valid: every set verifies. invalid: checked and found bad. dropped: not
 * verified, because the forwarding peer's sets failed (see `peer`).
 */
export type BlsVerdict = "valid" | "invalid" | "dropped";

/** What validators need from BLS. Never rejects. */
export interface IBlsVerifier {
  /** Resolves true iff every set verifies (a dropped set is false). */
  verifySignatureSets(sets: readonly BlsSignatureSet[], opts?: VerifySignatureSetsOptions): Promise<boolean>;
  /** The same, telling a set found bad from one left unverified. */
  judgeSignatureSets(
    sets: readonly BlsSignatureSet[],
    opts?: VerifySignatureSetsOptions,
  ): Promise<BlsVerdict>;
  /** Flushes the buffer; later calls verify at once. */
  close(): Promise<void>;
}

export interface BlsVerifierOptions {
  /**
   * Flush as soon as this many sets wait. Sized by cost, not count: a
   * same-message set costs ~0.1 ms (signature decode + subgroup check, one
   * scalar multiplication), so 128 is ~14 ms of blst work, about what
   * Lodestar's 32 distinct-message sets cost. Larger batches amortize the
   * one pairing check per flush (bench/node-attestations.js: 32 → 0.55,
   * 128 → ~0.7 of raw blst throughput).
   * @default 128
   */
  maxBufferedSets: number;
  /**
   * Longest a set waits for others. A slot's votes arrive over tens of ms
   * on a loaded node, and every flush pays a pairing and a hash to G2: a
   * longer wait means fewer, larger batches (8 nodes × 8 keys on 2 cores:
   * ~3 flushes per slot at 5 ms, ~1 at 40 ms, 20% less CPU). Votes that can
   * complete a certificate do not wait (`urgent`). Lodestar waits up to 100 ms.
   * @default 50
   */
  maxBufferWaitMs: number;
  /**
   * Once this many sets wait, the batch is big enough to be cheap (blst's
   * same-message sum switches to a multi-scalar multiplication at 32 sets:
   * ~0.12 instead of ~0.2 ms per set), and the wait shrinks to `bigBatchWaitMs`.
   * @default 32
   */
  bigBatchSets: number;
  /** @default 5 */
  bigBatchWaitMs: number;
  /**
   * Most sets in one multi-set call (sets over distinct messages: a hash to
   * G2 and a Miller loop each, ~0.40 ms per set at 32 and ~0.35 at 128 with
   * blst here, against ~0.1 for a same-message set). A flush splits its
   * multi-set sets into calls of at most this many, each in its own turn of
   * the event loop: 32 keeps one call near 13 ms. At 128, a burst of forged
   * votes over random messages held the loop ~45 ms per call.
   * @default 32
   */
  maxMultiSetSets: number;
  /**
   * Single checks spent on a peer whose sets failed together, each finding a
   * bad set to REJECT (which is what graylists the peer); its other sets are
   * dropped. Bisecting them instead costs up to n + (n/2)·log₂n checks when
   * all are bad: 2,950 forged votes in one RPC held the loop for seconds.
   * @default 4
   */
  singleChecksPerFailedPeer: number;
  /**
   * A peer whose sets failed this many times within `peerFailureWindowMs` has
   * its further sets dropped unverified until the window ends: its BLS
   * budget is spent. Honest peers forward only sets they verified, so they
   * never fail. @default 3
   */
  maxFailuresPerPeer: number;
  /** @default 12000: one slot */
  peerFailureWindowMs: number;
}

export const defaultBlsVerifierOptions: BlsVerifierOptions = {
  maxBufferedSets: 128,
  maxBufferWaitMs: 50,
  bigBatchSets: 32,
  bigBatchWaitMs: 5,
  maxMultiSetSets: 32,
  singleChecksPerFailedPeer: 4,
  maxFailuresPerPeer: 3,
  peerFailureWindowMs: 12_000,
};

export interface BlsVerifierModules {
  /** @default getBls() (blst) */
  bls?: BlsBackend;
  /** @default a fresh BlsVerifierStats */
  metrics?: BlsVerifierMetrics;
  /** A peer's forwarded sets failed together (the network charges it). */
  onPeerFailure?(peer: string): void;
}

interface Job {
  sets: readonly BlsSignatureSet[];
  peer: string | undefined;
  resolve: (verdict: BlsVerdict) => void;
}

const noop = (): void => {};

export class BatchingBlsVerifier implements IBlsVerifier {
  readonly metrics: BlsVerifierMetrics;
  private readonly opts: BlsVerifierOptions;
  private readonly bls: BlsBackend;
  private readonly onPeerFailure: ((peer: string) => void) | undefined;
  private buffer: Job[] = [];
  private bufferedSets = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  private closed = false;
  /** Per peer: failures in the current window and when the window started. */
  private readonly peerFailures = new Map<string, { count: number; since: number }>();
  /**
   * The last library call asked for. Each call waits for the one before it,
   * then for a turn of the event loop: Node runs every immediate queued before
   * its check phase in one go, so batches that yielded at the same time would
   * otherwise verify back to back (8 flushes of a 1,024-vote RPC: ~360 ms).
   */
  private lane: Promise<unknown> = Promise.resolve();
  /** Sets that passed same-message checks: padding for batches of 17–31 (sameMessage.ts). */
  private readonly verified = new VerifiedSameMessageSets();

  constructor(opts: Partial<BlsVerifierOptions> = {}, modules: BlsVerifierModules = {}) {
    this.opts = { ...defaultBlsVerifierOptions, ...opts };
    if (!(this.opts.maxBufferedSets >= 1)) throw new RangeError("maxBufferedSets must be ≥ 1");
    if (!(this.opts.maxBufferWaitMs >= 0)) throw new RangeError("maxBufferWaitMs must be ≥ 0");
    if (!(this.opts.maxMultiSetSets >= 1)) throw new RangeError("maxMultiSetSets must be ≥ 1");
    this.bls = modules.bls ?? getBls();
    this.metrics = modules.metrics ?? new BlsVerifierStats();
    this.onPeerFailure = modules.onPeerFailure;
  }

  async verifySignatureSets(
    sets: readonly BlsSignatureSet[],
    opts: VerifySignatureSetsOptions = {},
  ): Promise<boolean> {
    return (await this.judgeSignatureSets(sets, opts)) === "valid";
  }

  judgeSignatureSets(
    sets: readonly BlsSignatureSet[],
    opts: VerifySignatureSetsOptions = {},
  ): Promise<BlsVerdict> {
    if (!Array.isArray(sets) || sets.length === 0) return Promise.resolve("invalid");
    const peer = opts.peer;
    if (peer !== undefined && this.budgetSpent(peer)) {
      this.metrics.onDropped?.(sets.length);
      return Promise.resolve("dropped");
    }
    if (!opts.batchable || this.closed) {
      return this.verifyJobs([{ sets, peer, resolve: () => {} }]).then((ok) => {
        if (!ok && peer !== undefined) this.chargeFailure(peer);
        return ok ? "valid" : "invalid";
      });
    }
    return new Promise<BlsVerdict>((resolve) => {
      this.buffer.push({ sets, peer, resolve });
      this.bufferedSets += sets.length;
      if (opts.urgent || this.bufferedSets >= this.opts.maxBufferedSets) this.flush();
      else
        this.flushWithin(
          this.bufferedSets >= this.opts.bigBatchSets ? this.opts.bigBatchWaitMs : this.opts.maxBufferWaitMs,
        );
    });
  }

  private budgetSpent(peer: string): boolean {
    const f = this.peerFailures.get(peer);
    if (f === undefined) return false;
    if (performance.now() - f.since >= this.opts.peerFailureWindowMs) {
      this.peerFailures.delete(peer);
      return false;
    }
    return f.count >= this.opts.maxFailuresPerPeer;
  }

  private chargeFailure(peer: string): void {
    this.onPeerFailure?.(peer);
    const now = performance.now();
    const f = this.peerFailures.get(peer);
    if (f === undefined || now - f.since >= this.opts.peerFailureWindowMs) {
      // Bounded by the peers that can fail within one window; old windows are swept here.
      if (this.peerFailures.size >= 4096) {
        for (const [p, v] of this.peerFailures)
          if (now - v.since >= this.opts.peerFailureWindowMs) this.peerFailures.delete(p);
      }
      this.peerFailures.set(peer, { count: 1, since: now });
    } else f.count++;
  }

  /** Makes the buffer flush within `ms` (an earlier flush already due stays). */
  private flushWithin(ms: number): void {
    const due = performance.now() + ms;
    if (this.timer !== undefined && this.timerDue <= due) return;
    clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => this.flush(), ms);
  }

  /** Sets waiting in the buffer; a push that reaches `maxBufferedSets` flushes at once. */
  get buffered(): { sets: number; limit: number } {
    return { sets: this.bufferedSets, limit: this.opts.maxBufferedSets };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.flush();
  }

  /** Verifies everything buffered now; each caller's promise gets its own result. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const jobs = this.buffer;
    if (jobs.length === 0) return;
    this.buffer = [];
    this.metrics.onBatch(this.bufferedSets, jobs.length);
    this.bufferedSets = 0;

    // Group jobs whose sets are all single-key over one message by that
    // message: each group takes the same-message path; the rest go multi-set.
    const byMessage = new Map<string, Job[]>();
    const rest: Job[] = [];
    for (const job of jobs) {
      const m = commonMessage(job.sets);
      if (m === undefined) rest.push(job);
      else {
        const group = byMessage.get(m);
        if (group === undefined) byMessage.set(m, [job]);
        else group.push(job);
      }
    }
    for (const group of byMessage.values()) {
      // A lone set gains nothing from the same-message path; it joins the multi-set batch.
      if (group.length === 1 && group[0]!.sets.length === 1 && (rest.length > 0 || byMessage.size > 1)) {
        rest.push(group[0]!);
      } else void this.settle(group, true);
    }
    // Multi-set calls sized by cost: a job goes whole into one call.
    let chunk: Job[] = [];
    let chunkSets = 0;
    for (const job of rest) {
      if (chunk.length > 0 && chunkSets + job.sets.length > this.opts.maxMultiSetSets) {
        void this.settle(chunk, false);
        chunk = [];
        chunkSets = 0;
      }
      chunk.push(job);
      chunkSets += job.sets.length;
    }
    if (chunk.length > 0) void this.settle(chunk, false);
  }

  private async settle(all: Job[], sameMessage: boolean): Promise<void> {
    const results = new Array<BlsVerdict>(all.length).fill("dropped");
    try {
      // At its turn, a batch leaves out the sets of peers whose BLS budget
      // ran out while it waited: one peer's queued batches cost nothing more.
      const live: number[] = [];
      let jobs: Job[] = all;
      const ok = await this.inTurn(() => {
        for (let i = 0; i < all.length; i++) {
          const p = all[i]!.peer;
          if (p === undefined || !this.budgetSpent(p)) live.push(i);
        }
        if (live.length < all.length) {
          this.metrics.onDropped?.(all.length - live.length);
          jobs = live.map((i) => all[i]!);
        }
        return jobs.length > 0 && this.check(jobs, sameMessage);
      });
      if (ok) {
        for (const i of live) results[i] = "valid";
        return;
      }
      if (jobs.length === 0) return;
      // Split by forwarding peer: one peer's bad sets must not cost honest ones.
      const byPeer = new Map<string | undefined, number[]>();
      for (let i = 0; i < jobs.length; i++) {
        const p = jobs[i]!.peer;
        const list = byPeer.get(p);
        if (list === undefined) byPeer.set(p, [i]);
        else list.push(i);
      }
      for (const [peer, idx] of byPeer) {
        const group = idx.map((i) => jobs[i]!);
        const sub = new Array<BlsVerdict>(group.length).fill("dropped");
        if (peer === undefined) {
          // Our own or API sets: bisected, the sender is us.
          const good = new Array<boolean>(group.length).fill(false);
          await this.bisect(group, 0, group.length, byPeer.size === 1, sameMessage, good);
          for (let i = 0; i < group.length; i++) sub[i] = good[i] ? "valid" : "invalid";
        } else await this.judgePeerGroup(peer, group, byPeer.size === 1, sameMessage, sub);
        for (let i = 0; i < idx.length; i++) results[live[idx[i]!]!] = sub[i]!;
      }
    } finally {
      // Resolved in every case: a caller must never hang (unverified = dropped).
      for (let i = 0; i < all.length; i++) all[i]!.resolve(results[i]!);
    }
  }

  /** Runs `call` (one library call) in its turn: after the calls asked for before it, and after I/O. */
  private inTurn<T>(call: () => T): Promise<T> {
    const run = this.lane.then(yieldToIo).then(call);
    this.lane = run.then(noop, noop);
    return run;
  }

  /**
   * One peer's share of a failed batch. `knownBad`: it was the whole batch.
   * A passing share is valid; a failing one gets `singleChecksPerFailedPeer`
   * single checks (bad ones are invalid, so the peer is penalised for them)
   * and the rest is dropped.
   */
  private async judgePeerGroup(
    peer: string,
    group: Job[],
    knownBad: boolean,
    sameMessage: boolean,
    out: BlsVerdict[],
  ): Promise<void> {
    if (!knownBad && (await this.inTurn(() => this.check(group, sameMessage)))) {
      out.fill("valid");
      return;
    }
    this.chargeFailure(peer);
    const singles = Math.min(group.length, this.opts.singleChecksPerFailedPeer);
    for (let i = 0; i < singles; i++) {
      out[i] = (await this.inTurn(() => this.check([group[i]!], sameMessage))) ? "valid" : "invalid";
    }
    if (group.length > singles) this.metrics.onDropped?.(group.length - singles);
  }

  /**
   * Marks results[from..to) for jobs[from..to). `knownBad`: the caller already
   * knows this range fails (its sibling passed), so skip checking it whole.
   */
  private async bisect(
    jobs: Job[],
    from: number,
    to: number,
    knownBad: boolean,
    sameMessage: boolean,
    results: boolean[],
  ): Promise<void> {
    const n = to - from;
    if (n === 0) return;
    if (!knownBad && (await this.inTurn(() => this.check(jobs.slice(from, to), sameMessage)))) {
      for (let i = from; i < to; i++) results[i] = true;
      return;
    }
    // A single job that fails is bad, whatever else shares its message.
    if (n === 1) return;
    this.metrics.onBisect();
    const mid = from + (n >> 1);
    const leftOk = await this.inTurn(() => this.check(jobs.slice(from, mid), sameMessage));
    if (leftOk) for (let i = from; i < mid; i++) results[i] = true;
    else await this.bisect(jobs, from, mid, true, sameMessage, results);
    // Left passed, so the whole failing range's fault lies right: no need to re-check it whole.
    await this.bisect(jobs, mid, to, leftOk, sameMessage, results);
  }

  private async verifyJobs(jobs: Job[]): Promise<boolean> {
    return this.check(jobs, commonMessage(jobs[0]!.sets) !== undefined && jobs.length === 1);
  }

  /** One call into the library for all sets of `jobs`. */
  private check(jobs: readonly Job[], sameMessage: boolean): boolean {
    const sets: BlsSignatureSet[] = [];
    for (const j of jobs) for (const s of j.sets) sets.push(s);
    const start = performance.now();
    let ok: boolean;
    let kind: BlsVerifyKind;
    if (sameMessage) {
      kind = sets.length === 1 ? "single" : "same_message";
      const padded = this.verified.padded;
      ok = verifySameMessage(
        this.bls,
        sets[0]!.message,
        sets.map((s) => s.pubkeys[0]!),
        sets.map((s) => s.signature),
        this.verified,
      );
      if (this.verified.padded > padded) this.metrics.onPadded?.(this.verified.padded - padded);
    } else {
      kind = "multi_set";
      ok = this.bls.verifyBatch(sets);
    }
    this.metrics.onVerifyCall(kind, sets.length, performance.now() - start, ok);
    return ok;
  }
}

/** The message's hex when every set has one key and all share one message. */
function commonMessage(sets: readonly BlsSignatureSet[]): string | undefined {
  let first: Uint8Array | undefined;
  let hex: string | undefined;
  for (const s of sets) {
    if (s === null || typeof s !== "object" || !Array.isArray(s.pubkeys) || s.pubkeys.length !== 1)
      return undefined;
    if (!(s.message instanceof Uint8Array) || !(s.signature instanceof Uint8Array)) return undefined;
    if (first === undefined) {
      first = s.message;
      hex = toHex(s.message);
    } else if (first !== s.message && toHex(s.message) !== hex) return undefined;
  }
  return hex;
}
