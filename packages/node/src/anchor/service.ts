// Kept as one file: turn-taking, the durable queue and fee bumping share one per-slot state machine.
// The optional anchorer role: submits certificates to OcpAnchor. Anchorers
// take turns — slot s belongs to anchorer s mod k — and the others step in
// after a fallback delay if the slot is still not anchored. Every certified
// slot waits in a durable queue until it is anchored with our root (or past
// the horizon), so an RPC outage, a fee spike or a restart loses no slot.
import { OcpAnchor } from "@ocp/contracts";
import {
  type Certificate,
  fromHex,
  g2ToEip2537,
  observationRoot,
  toHex,
  type VerifierSetRegistry,
} from "@ocp/protocol";
import type { Logger } from "pino";
import {
  type Account,
  BaseError,
  type Chain,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  type Hex,
  http,
  type Log,
  type PublicClient,
  parseEventLogs,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { AnchorQueueRepository } from "../db/anchorQueue.js";
import type { AnchorReceipt, AnchorReceiptRepository } from "../db/anchorReceipts.js";
import type { CertificateRepository } from "../db/certificates.js";
import { EIP7825_TX_GAS_CAP } from "./admin.js";

export interface AnchorOptions {
  rpcUrl: string;
  /** Chain id of the anchor chain (the EIP-712 domain's chainId). */
  chainId: number;
  contract: `0x${string}`;
  /** This anchorer's position among `count`; slot s is ours when s mod count == index. */
  index: number;
  /** @default 1 */
  count: number;
  /**
   * Block time of the anchor chain (ms); measured from recent blocks at start when absent.
   * The fallback delay and the receipt wait are derived from it.
   */
  blockTimeMs?: number;
  /**
   * How long others wait before anchoring a slot that is not theirs.
   * @default max(4000, 3 blocks): the leader's transaction has had two block
   * boundaries to land, so a fallback that checks pending state sees it.
   */
  fallbackDelayMs?: number;
  /** Never pay more than this per gas (wei). @default 200 gwei */
  maxFeePerGasWei: bigint;
  /** Fee increase per replacement, percent (replacements need ≥ 10 %). @default 20 */
  gasBumpPercent: number;
  /**
   * How long to wait for a receipt before bumping.
   * @default max(6000, 2 blocks): a transaction sent mid-block needs up to two boundaries.
   */
  receiptTimeoutMs?: number;
  /** Fee replacements per submission round; the slot stays queued after a failed round. @default 5 */
  maxAttempts: number;
  /** A queued slot older than this (slots behind the head) is given up. @default 7200 (the retention window) */
  horizonSlots: number;
  /** First retry delay of a failed slot; doubles per failure. @default 1000 */
  retryMinMs: number;
  /** Longest retry delay. @default 60_000 */
  retryMaxMs: number;
  /** Period of the queue's reconciliation with the database. @default 30_000 */
  reconcileIntervalMs: number;
  /** At start, stored certificates of this many recent slots without a receipt are queued. @default 64 */
  reconcileSlots: number;
}

export type AnchorOptionsInput = Partial<AnchorOptions> &
  Pick<AnchorOptions, "rpcUrl" | "chainId" | "contract" | "index">;

export const defaultAnchorOptions: Omit<
  AnchorOptions,
  "rpcUrl" | "chainId" | "contract" | "index" | "blockTimeMs" | "fallbackDelayMs" | "receiptTimeoutMs"
> = {
  count: 1,
  maxFeePerGasWei: 200_000_000_000n,
  gasBumpPercent: 20,
  maxAttempts: 5,
  horizonSlots: 7200,
  retryMinMs: 1000,
  retryMaxMs: 60_000,
  reconcileIntervalMs: 30_000,
  reconcileSlots: 64,
};

/** Used when the block time can be neither read nor measured (Ethereum's slot). */
export const FALLBACK_BLOCK_TIME_MS = 12_000;
/** Blocks mined after a send without it, and the receipt wait over: the transaction is stuck. */
const STUCK_AFTER_BLOCKS = 2n;
/** A chain that mines nothing: give up waiting for blocks after this many receipt waits. */
const STUCK_WAIT_CAP = 10;

export interface AnchorTiming {
  blockTimeMs: number;
  fallbackDelayMs: number;
  receiptTimeoutMs: number;
}

/**
 * The fallback delay and receipt wait: the configured values, else derived
 * from the block time. `warnings` names configured values below the floors
 * (fallback < 2 blocks, receipt wait < 1 block) that invite double submissions.
 */
export function anchorTiming(
  opts: Pick<AnchorOptions, "fallbackDelayMs" | "receiptTimeoutMs">,
  blockTimeMs: number,
): AnchorTiming & { warnings: string[] } {
  const fallbackDelayMs = opts.fallbackDelayMs ?? Math.max(4000, 3 * blockTimeMs);
  const receiptTimeoutMs = opts.receiptTimeoutMs ?? Math.max(6000, 2 * blockTimeMs);
  const warnings: string[] = [];
  if (fallbackDelayMs < 2 * blockTimeMs)
    warnings.push(`anchor.fallbackDelayMs ${fallbackDelayMs} is below two blocks (${2 * blockTimeMs} ms)`);
  if (receiptTimeoutMs < blockTimeMs)
    warnings.push(`anchor.receiptTimeoutMs ${receiptTimeoutMs} is below one block (${blockTimeMs} ms)`);
  return { blockTimeMs, fallbackDelayMs, receiptTimeoutMs, warnings };
}

/**
 * Timestamps (seconds) of blocks already read, by number, so that measuring
 * again reads only the blocks since (two or three every 30 s on a 12 s chain,
 * instead of 17 calls to the operator's RPC provider). A block replaced by a
 * reorganisation keeps its predecessor's timestamp here until it leaves the
 * window: one gap off by a few seconds barely moves a median of 16.
 */
export type BlockTimestamps = Map<bigint, bigint>;

/**
 * Median spacing of the last `n` blocks' timestamps, in ms; undefined when the
 * chain is too short. With `seen`, blocks held there are not read again, and it
 * is left holding the window's blocks only.
 */
export async function measureBlockTimeMs(
  client: Pick<PublicClient, "getBlockNumber" | "getBlock">,
  n = 16,
  seen: BlockTimestamps = new Map(),
): Promise<number | undefined> {
  const head = await client.getBlockNumber();
  const k = head < BigInt(n) ? Number(head) : n;
  if (k < 2) return undefined;
  const numbers = Array.from({ length: k + 1 }, (_, i) => head - BigInt(i));
  await Promise.all(
    numbers
      .filter((b) => !seen.has(b))
      .map(async (b) => seen.set(b, (await client.getBlock({ blockNumber: b })).timestamp)),
  );
  for (const b of seen.keys()) if (b < numbers[k]! || b > head) seen.delete(b);
  const stamps = numbers.map((b) => seen.get(b)!);
  const gaps = stamps
    .slice(0, -1)
    .map((t, i) => Number(t - stamps[i + 1]!))
    .sort((a, b) => a - b);
  const median = gaps[Math.floor(gaps.length / 2)]!;
  // Timestamps are whole seconds: a dev chain mining on demand reads as 1 s.
  return Math.min(60_000, Math.max(1000, median * 1000));
}

export interface AnchorMetrics {
  transactions: { inc(labels: { result: string }): void };
  gasUsed: { inc(v: number): void };
  spentWei: { inc(v: number): void };
  balanceWei: { set(v: number): void };
}

export interface AnchorServiceModules {
  /** 0x private key of the anchorer's account (from its keystore). */
  privateKey: Hex;
  sets: VerifierSetRegistry;
  /** Receipts of this anchorer's transactions; not recorded when absent (one-shot submissions). */
  receipts?: AnchorReceiptRepository;
  /** The durable queue; without it the service keeps its queue in memory only. */
  queue?: AnchorQueueRepository;
  /** Stored certificates, queued at start when recent and without a receipt. */
  certificates?: CertificateRepository;
  /** Streams whose certificates are reconciled at start. */
  streams?: Uint8Array[];
  /** The current slot (for the horizon); null before the clock has one. */
  currentSlot?: () => bigint | null;
  logger: Logger;
  metrics?: AnchorMetrics;
  /** Called when one of our anchoring transactions is mined. */
  onAnchored?(ev: { stream: `0x${string}`; slot: string; outcome: string; txHash: `0x${string}` }): void;
}

export type AnchorOutcome = AnchorReceipt["outcome"] | "skipped";

/** The contract refuses the certificate (a custom-error revert in simulation): retrying cannot help. */
export class AnchorRejectedError extends Error {
  constructor(readonly errorName: string) {
    super(`OcpAnchor refuses the certificate: ${errorName}`);
    this.name = "AnchorRejectedError";
  }
}

/**
 * The outcome of a mined anchoring transaction, from its logs: `Anchored` or
 * `Conflicted` for this (stream, slot) from the contract, else (a success
 * that emitted neither) the observation was anchored already.
 */
export function outcomeFromReceipt(
  receipt: { status: "success" | "reverted"; logs: readonly Log[] },
  contract: Hex,
  stream: Hex,
  slot: bigint,
): AnchorReceipt["outcome"] {
  if (receipt.status !== "success") return "reverted";
  const logs = parseEventLogs({
    abi: OcpAnchor.abi,
    logs: receipt.logs.filter((l) => l.address.toLowerCase() === contract.toLowerCase()) as Log[],
    strict: false,
  }) as unknown as { eventName: string; args: { stream?: Hex; slot?: bigint } }[];
  for (const log of logs) {
    if (log.args.stream?.toLowerCase() !== stream.toLowerCase() || log.args.slot !== slot) continue;
    if (log.eventName === "Anchored") return "anchored";
    if (log.eventName === "Conflicted") return "conflicted";
  }
  return "already-anchored";
}

interface QueueEntry {
  id: string;
  cert: Certificate;
  root: Hex;
  dueMs: number;
  failures: number;
}

type Receipt = Awaited<ReturnType<PublicClient["getTransactionReceipt"]>>;

const ZERO_ROOT = /^0x0+$/;

/** Longest wait of the queue's timer (armWake): bounds the effect of a wall-clock step. */
const WAKE_MAX_MS = 5_000;
/** After a drain that failed outright, the timer waits this long before the next one. */
const DRAIN_FAILURE_PAUSE_MS = 1_000;

export class AnchorService {
  readonly opts: Omit<AnchorOptions, "blockTimeMs" | "fallbackDelayMs" | "receiptTimeoutMs"> &
    Pick<AnchorOptions, "blockTimeMs" | "fallbackDelayMs" | "receiptTimeoutMs">;
  readonly address: Hex;
  /** Resolved at `start()` from the options and the chain's block time. */
  timing: AnchorTiming;
  private readonly client: PublicClient;
  private readonly wallet: WalletClient<Transport, Chain, Account>;
  private readonly queue = new Map<string, QueueEntry>();
  private readonly inFlight = new Map<string, Promise<AnchorOutcome>>();
  /** Fires when the earliest waiting entry falls due; re-armed at the end of each drain (armWake). */
  private wakeTimer: NodeJS.Timeout | undefined;
  /** No timer-driven drain before this (a drain failed outright; see drain). */
  private pauseUntil = 0;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  /** Block timestamps the block-time measurement has read (see BlockTimestamps). */
  private readonly blockTimestamps: BlockTimestamps = new Map();
  // Transactions from one account go out one at a time (nonces).
  private sending: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    opts: AnchorOptionsInput,
    private readonly modules: AnchorServiceModules,
  ) {
    this.opts = { ...defaultAnchorOptions, ...opts };
    if (this.opts.index < 0 || this.opts.index >= this.opts.count) {
      throw new Error(`anchor.index must be in [0, ${this.opts.count})`);
    }
    const { warnings: _, ...timing } = anchorTiming(this.opts, this.opts.blockTimeMs ?? 1000);
    this.timing = timing;
    const chain = defineChain({
      id: this.opts.chainId,
      name: `anchor-${this.opts.chainId}`,
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [this.opts.rpcUrl] } },
    });
    const account = privateKeyToAccount(modules.privateKey);
    this.address = account.address;
    this.client = createPublicClient({ chain, transport: http(this.opts.rpcUrl) }) as PublicClient;
    this.wallet = createWalletClient({ account, chain, transport: http(this.opts.rpcUrl) });
  }

  /** Slots waiting to be anchored (this node's view; a metric and /v1/node/health). */
  get backlog(): number {
    return this.queue.size;
  }

  /**
   * Resolves the timing from the chain's block time, loads the durable queue
   * and queues recent stored certificates without a receipt, then runs the
   * queue until `stop()`.
   */
  async start(): Promise<void> {
    let blockTimeMs = this.opts.blockTimeMs;
    if (blockTimeMs === undefined) {
      try {
        blockTimeMs = await this.measureBlockTime();
      } catch (e) {
        this.modules.logger.warn({ err: String(e) }, "anchor chain block time not measurable");
      }
    }
    const { warnings, ...timing } = anchorTiming(this.opts, blockTimeMs ?? FALLBACK_BLOCK_TIME_MS);
    this.timing = timing;
    for (const w of warnings) this.modules.logger.warn(w);
    this.modules.logger.info(timing, "anchoring timing");
    await this.reconcile(true);
    this.drain();
    this.reconcileTimer = setInterval(() => {
      void this.reconcile(false).catch((e) => this.modules.logger.warn({ err: String(e) }, "reconcile"));
      void this.remeasureBlockTime().catch(() => undefined);
    }, this.opts.reconcileIntervalMs);
    this.reconcileTimer.unref();
  }

  /**
   * Measures the block time again (unless configured) and re-derives the
   * timing when it changed: the one measured at start may have seen a burst
   * of blocks (a devnet's setup) or a chain that changed pace since.
   */
  async remeasureBlockTime(): Promise<void> {
    if (this.opts.blockTimeMs !== undefined || this.stopped) return;
    const blockTimeMs = await this.measureBlockTime();
    if (blockTimeMs === undefined || blockTimeMs === this.timing.blockTimeMs) return;
    const { warnings: _, ...timing } = anchorTiming(this.opts, blockTimeMs);
    this.timing = timing;
    this.modules.logger.info(timing, "anchoring timing");
  }

  /** The anchor chain's block time now, reading only blocks not read before. */
  private measureBlockTime(): Promise<number | undefined> {
    return measureBlockTimeMs(this.client, undefined, this.blockTimestamps);
  }

  /** Anchor root of (stream, slot) at `blockTag`, or undefined when not anchored. */
  async anchoredRoot(
    stream: Uint8Array,
    slot: bigint,
    blockTag: "latest" | "pending" = "latest",
  ): Promise<Hex | undefined> {
    const root = (await this.client.readContract({
      address: this.opts.contract,
      abi: OcpAnchor.abi,
      functionName: "anchored",
      args: [toHex(stream), slot],
      blockTag,
    } as never)) as Hex;
    return ZERO_ROOT.test(root) ? undefined : root;
  }

  /** Pending state (another anchorer's transaction in the mempool), or latest when the RPC has none. */
  private async pendingRoot(stream: Uint8Array, slot: bigint): Promise<Hex | undefined> {
    try {
      return await this.anchoredRoot(stream, slot, "pending");
    } catch {
      return this.anchoredRoot(stream, slot, "latest");
    }
  }

  /** Called for every certificate the node holds (formed here or received): queued until anchored. */
  onCertificate(cert: Certificate): void {
    if (this.stopped) return;
    void this.enqueue(cert, true).catch((e) =>
      this.modules.logger.error({ err: String(e) }, "queueing certificate for anchoring failed"),
    );
  }

  private mine(slot: bigint): boolean {
    return Number(slot % BigInt(this.opts.count)) === this.opts.index;
  }

  private async enqueue(cert: Certificate, persist: boolean): Promise<void> {
    const root = observationRoot(cert.domain, cert.observation);
    const rootHex = toHex(root);
    const { stream, slot } = cert.observation;
    const id = `${toHex(stream)}:${slot}:${rootHex}`;
    if (this.queue.has(id)) return;
    this.queue.set(id, {
      id,
      cert,
      root: rootHex,
      dueMs: Date.now() + (this.mine(slot) ? 0 : this.timing.fallbackDelayMs),
      failures: 0,
    });
    if (persist) await this.modules.queue?.add({ stream, slot, root }, cert);
    this.drain();
  }

  /**
   * Loads queue entries from the database; at start also queues stored
   * certificates of the last `reconcileSlots` slots that have no receipt
   * (written just before a crash, or by a node that was not an anchorer).
   */
  async reconcile(atStart: boolean): Promise<void> {
    const m = this.modules;
    for (const { value } of (await m.queue?.all()) ?? []) await this.enqueue(value, false);
    if (!atStart || !m.certificates || !m.streams) return;
    const head = m.currentSlot?.() ?? null;
    for (const stream of m.streams) {
      const latest = head ?? (await m.certificates.latest(stream))?.observation.slot;
      if (latest === undefined) continue;
      const from = latest > BigInt(this.opts.reconcileSlots) ? latest - BigInt(this.opts.reconcileSlots) : 0n;
      for (let s = from; s <= latest; s += 64n) {
        for (const cert of await m.certificates.range(stream, s, 64)) {
          const r = await m.receipts?.get({ stream, slot: cert.observation.slot });
          if (r && r.outcome !== "reverted") continue;
          await this.enqueue(cert, true);
        }
      }
    }
  }

  /** Runs due queue entries one after another (one account, one nonce sequence). */
  private drain(): void {
    if (this.draining || this.stopped) return;
    const run = async (): Promise<void> => {
      for (;;) {
        const now = Date.now();
        const due = [...this.queue.values()]
          .filter((e) => e.dueMs <= now)
          .sort((a, b) => (a.cert.observation.slot < b.cert.observation.slot ? -1 : 1));
        if (due.length === 0 || this.stopped) return;
        for (const e of due) {
          if (this.stopped) return;
          await this.process(e);
        }
      }
    };
    this.draining = run()
      .catch((e) => {
        this.modules.logger.error({ err: String(e) }, "anchoring queue failed");
        // An entry left due would otherwise be retried by a 0 ms timer, in a loop.
        this.pauseUntil = Date.now() + DRAIN_FAILURE_PAUSE_MS;
      })
      .finally(() => {
        this.draining = undefined;
        this.armWake();
      });
  }

  /**
   * Arms one timer for the earliest entry not yet due (docs/spec.md §6,
   * "Anchoring") instead of polling: each timer wakeup of an idle node costs
   * CPU (the README's idle-CPU figures), and an entry runs when it falls due
   * rather than up to a polling period later. The wait is capped at
   * WAKE_MAX_MS so that a step of the wall clock, on which `dueMs` is kept,
   * delays an entry by at most that.
   */
  private armWake(): void {
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    if (this.stopped) return;
    let next = Number.POSITIVE_INFINITY;
    for (const e of this.queue.values()) if (e.dueMs < next) next = e.dueMs;
    if (next === Number.POSITIVE_INFINITY) return;
    const at = Math.max(Math.min(next, Date.now() + WAKE_MAX_MS), this.pauseUntil);
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.drain();
      },
      Math.max(0, at - Date.now()),
    );
    this.wakeTimer.unref();
  }

  private async process(e: QueueEntry): Promise<void> {
    const { stream, slot } = e.cert.observation;
    const log = { slot: slot.toString(), root: e.root };
    const head = this.modules.currentSlot?.() ?? null;
    if (head !== null && head - slot > BigInt(this.opts.horizonSlots)) {
      this.modules.logger.error(
        { ...log, attempts: e.failures },
        "slot not anchored within the horizon; given up",
      );
      this.modules.metrics?.transactions.inc({ result: "given-up" });
      await this.remove(e);
      return;
    }
    let outcome: AnchorOutcome;
    try {
      const pending = await this.pendingRoot(stream, slot);
      if (pending === e.root) {
        // Anchored with our root, or about to be (a transaction in the mempool):
        // done once the latest state shows it, else look again in a block.
        if ((await this.anchoredRoot(stream, slot)) === e.root) await this.remove(e);
        else e.dueMs = Date.now() + this.timing.blockTimeMs;
        return;
      }
      // Not anchored, or anchored with another root: ours goes in (a conflict is recorded).
      outcome = await this.send(e.cert);
    } catch (err) {
      if (err instanceof AnchorRejectedError) {
        this.modules.logger.error(
          { ...log, err: err.errorName },
          "certificate refused by OcpAnchor; dropped",
        );
        this.modules.metrics?.transactions.inc({ result: "rejected" });
        await this.remove(e);
        return;
      }
      this.retryLater(e, String(err));
      return;
    }
    if (outcome === "reverted") this.retryLater(e, "transaction reverted");
    else await this.remove(e);
  }

  private retryLater(e: QueueEntry, why: string): void {
    const delay = Math.min(this.opts.retryMaxMs, this.opts.retryMinMs * 2 ** Math.min(e.failures, 20));
    e.failures++;
    e.dueMs = Date.now() + delay;
    this.modules.metrics?.transactions.inc({ result: "error" });
    this.modules.logger.warn(
      { slot: e.cert.observation.slot.toString(), failures: e.failures, retryInMs: delay, err: why },
      "anchoring failed; will retry",
    );
  }

  private async remove(e: QueueEntry): Promise<void> {
    this.queue.delete(e.id);
    const { stream, slot } = e.cert.observation;
    await this.modules.queue?.delete({ stream, slot, root: fromHex(e.root, 32) });
  }

  /**
   * One-shot submission (CLI, tests): anchors `cert` unless the anchored
   * root, pending transactions included, already equals its root. Throws
   * AnchorRejectedError when the contract refuses it, other errors on RPC
   * trouble or when no transaction was mined.
   */
  submit(cert: Certificate): Promise<AnchorOutcome> {
    const root = toHex(observationRoot(cert.domain, cert.observation));
    const key = `${toHex(cert.observation.stream)}:${cert.observation.slot}:${root}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const p = (async (): Promise<AnchorOutcome> => {
      if ((await this.pendingRoot(cert.observation.stream, cert.observation.slot)) === root) return "skipped";
      return this.send(cert);
    })().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, p);
    return p;
  }

  private send(cert: Certificate): Promise<AnchorOutcome> {
    if (this.stopped) return Promise.resolve("skipped");
    const set = this.modules.sets.get(cert.setId);
    if (!set) return Promise.reject(new Error(`unknown set ${toHex(cert.setId)}`));
    const args = [
      {
        stream: toHex(cert.observation.stream),
        slot: cert.observation.slot,
        l1BlockNumber: cert.observation.l1BlockNumber,
        l1BlockHash: toHex(cert.observation.l1BlockHash),
        schema: toHex(cert.observation.schema),
        tableDigest: toHex(cert.observation.tableDigest),
        entryCount: cert.observation.entryCount,
      },
      set.epoch,
      toHex(cert.signers),
      toHex(g2ToEip2537(cert.aggregateSignature)),
    ] as const;
    const result = this.sending.then(() => this.sendWithBumps(cert, args));
    this.sending = result.catch(() => undefined);
    return result;
  }

  private async sendWithBumps(cert: Certificate, args: readonly unknown[]): Promise<AnchorOutcome> {
    const { stream, slot } = cert.observation;
    const request = {
      address: this.opts.contract,
      abi: OcpAnchor.abi,
      functionName: "anchor",
      args,
    } as const;
    // Simulation surfaces custom-error reverts (bad certificate) without paying;
    // the outcome itself is read from the receipt, never from here.
    try {
      await this.client.simulateContract({ ...request, account: this.wallet.account } as never);
    } catch (e) {
      const reverted =
        e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null;
      const name = reverted instanceof ContractFunctionRevertedError ? reverted.data?.errorName : undefined;
      if (name) throw new AnchorRejectedError(name);
      throw e;
    }
    const estimate = await this.client.estimateContractGas({
      ...request,
      account: this.wallet.account,
    } as never);
    const gas = (estimate * 12n) / 10n < EIP7825_TX_GAS_CAP ? (estimate * 12n) / 10n : EIP7825_TX_GAS_CAP;
    const fees = await this.client.estimateFeesPerGas();
    const cap = this.opts.maxFeePerGasWei;
    let maxFee = fees.maxFeePerGas < cap ? fees.maxFeePerGas : cap;
    let tip = fees.maxPriorityFeePerGas < maxFee ? fees.maxPriorityFeePerGas : maxFee;
    const nonce = await this.client.getTransactionCount({ address: this.address, blockTag: "pending" });
    const sent: Hex[] = [];
    for (let attempt = 0; attempt < this.opts.maxAttempts && !this.stopped; attempt++) {
      // Stuck means blocks came and went without it: the wait below counts blocks from here.
      const sentAtBlock = await this.client.getBlockNumber();
      try {
        const hash = await this.wallet.writeContract({
          ...request,
          gas,
          nonce,
          maxFeePerGas: maxFee,
          maxPriorityFeePerGas: tip,
        } as never);
        sent.push(hash);
      } catch (e) {
        if (sent.length === 0) throw e;
        // A replacement may fail because an earlier one was mined: look for it.
        const mined = await this.waitAny(sent, 1);
        if (mined) return this.record(cert, mined);
        this.modules.logger.warn(
          { slot: slot.toString(), attempt, err: String(e) },
          "anchor replacement failed",
        );
      }
      const mined = await this.waitAny(sent, this.timing.receiptTimeoutMs, sentAtBlock);
      if (mined) return this.record(cert, mined);
      // Stuck: bump fees (capped) and replace with the same nonce.
      const bump = (v: bigint): bigint => (v * BigInt(100 + this.opts.gasBumpPercent)) / 100n + 1n;
      maxFee = bump(maxFee) < cap ? bump(maxFee) : cap;
      tip = bump(tip) < maxFee ? bump(tip) : maxFee;
      this.modules.logger.warn(
        { slot: slot.toString(), maxFee: maxFee.toString() },
        "anchor tx stuck; bumping fee",
      );
    }
    const last = await this.waitAny(sent, 1);
    if (last) return this.record(cert, last);
    throw new Error(
      `no anchoring transaction mined after ${this.opts.maxAttempts} attempts (stream ${toHex(stream)})`,
    );
  }

  /**
   * Waits for a receipt of any of `hashes` for `timeoutMs`. With `sentAtBlock`,
   * the wait also lasts until STUCK_AFTER_BLOCKS blocks were mined after it
   * (at most STUCK_WAIT_CAP times the timeout, for a chain that stops): a
   * transaction is stuck only when blocks passed it by, whatever the block
   * time was thought to be. Timed on the wall clock alone, a block time
   * measured short (a chain whose recent blocks came in a burst, as at a
   * devnet's setup) replaced every transaction once before its first block.
   */
  private async waitAny(
    hashes: Hex[],
    timeoutMs: number,
    sentAtBlock?: bigint,
  ): Promise<Receipt | undefined> {
    const start = Date.now();
    let lastLook = false;
    for (;;) {
      for (const hash of hashes) {
        try {
          return await this.client.getTransactionReceipt({ hash });
        } catch {
          // not mined yet
        }
      }
      if (lastLook || this.stopped) return undefined;
      const waited = Date.now() - start;
      if (waited > timeoutMs) {
        if (sentAtBlock === undefined || waited > STUCK_WAIT_CAP * timeoutMs) return undefined;
        const head = await this.client.getBlockNumber().catch(() => undefined);
        // The receipt may have come with those blocks: one last look before bumping.
        if (head !== undefined && head >= sentAtBlock + STUCK_AFTER_BLOCKS) {
          lastLook = true;
          continue;
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async record(cert: Certificate, receipt: Receipt): Promise<AnchorOutcome> {
    const { stream, slot } = cert.observation;
    const outcome = outcomeFromReceipt(receipt, this.opts.contract, toHex(stream), slot);
    const cost = receipt.gasUsed * receipt.effectiveGasPrice;
    const m = this.modules.metrics;
    m?.transactions.inc({ result: outcome });
    m?.gasUsed.inc(Number(receipt.gasUsed));
    m?.spentWei.inc(Number(cost));
    await this.modules.receipts?.put(
      { stream, slot },
      {
        txHash: receipt.transactionHash,
        blockNumber: receipt.blockNumber.toString(),
        gasUsed: receipt.gasUsed.toString(),
        costWei: cost.toString(),
        outcome,
        atMs: Date.now(),
      },
    );
    this.modules.logger.info(
      { slot: slot.toString(), tx: receipt.transactionHash, gas: receipt.gasUsed.toString(), outcome },
      "anchoring transaction mined",
    );
    this.modules.onAnchored?.({
      stream: toHex(stream),
      slot: slot.toString(),
      outcome,
      txHash: receipt.transactionHash,
    });
    void this.refreshBalance().catch(() => undefined);
    return outcome;
  }

  async refreshBalance(): Promise<bigint> {
    const b = await this.client.getBalance({ address: this.address });
    this.modules.metrics?.balanceWei.set(Number(b));
    return b;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    if (this.reconcileTimer) clearInterval(this.reconcileTimer);
    await Promise.allSettled([...this.inFlight.values(), this.draining]);
  }
}
