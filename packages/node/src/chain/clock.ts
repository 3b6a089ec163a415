// The slot clock (docs/spec.md §3): `beacon-time` derives slots from wall time,
// `block-number` follows an L1 head (slot = block number). Both emit `slot`
// once per slot, in order, and answer the gossip clock-disparity checks of §5.
import { EventEmitter } from "node:events";
import { type Logger, nullLogger } from "../util/logger.js";
import type { HeadStream, L1Head } from "./l1/heads.js";

/** Ethereum's MAXIMUM_GOSSIP_CLOCK_DISPARITY, used for the §5 slot window. */
export const GOSSIP_CLOCK_DISPARITY_MS = 500;

export interface BeaconTimeClockOptions {
  mode: "beacon-time";
  /** Unix seconds of slot 0's start. */
  genesisTime: number;
  /** @default 12 (Ethereum mainnet) */
  secondsPerSlot: number;
}

export interface BlockNumberClockOptions {
  mode: "block-number";
  /**
   * How often to ask the head source (when one is given).
   * @default 1000 — anvil and L1 devnets make a block every 1–12 s
   */
  pollIntervalMs: number;
  /**
   * The poll's interval while a head subscription is live: a safety net
   * against a subscription that stays open but stops delivering.
   * @default 5000
   */
  subscribedPollIntervalMs: number;
  /**
   * Slots a gossip message may be ahead of our head: peers' RPCs may see a
   * block before ours.
   * @default 1 (docs/spec.md §5: "more than one slot in the future")
   */
  futureSlotTolerance: number;
}

export type SlotClockOptions = BeaconTimeClockOptions | BlockNumberClockOptions;

export interface ClockCommonOptions {
  /**
   * After a long pause (system sleep, a stalled RPC) emit at most this many
   * missed slots, the latest ones; older ones are skipped.
   * @default 64
   */
  maxCatchUpSlots: number;
  /** @default 500 ({@link GOSSIP_CLOCK_DISPARITY_MS}) */
  clockDisparityMs: number;
}

export const defaultClockCommonOptions: ClockCommonOptions = {
  maxCatchUpSlots: 64,
  clockDisparityMs: GOSSIP_CLOCK_DISPARITY_MS,
};
export const defaultBeaconTimeClockOptions: Omit<BeaconTimeClockOptions, "genesisTime"> = {
  mode: "beacon-time",
  secondsPerSlot: 12,
};
export const defaultBlockNumberClockOptions: BlockNumberClockOptions = {
  mode: "block-number",
  pollIntervalMs: 1000,
  subscribedPollIntervalMs: 5000,
  futureSlotTolerance: 1,
};

export interface SlotClockModules {
  /** Wall clock in ms; tests inject a fake. @default Date.now */
  now?: () => number;
  logger?: Logger;
}

export interface BlockNumberClockModules extends SlotClockModules {
  /** Latest L1 block number (e.g. `eth_blockNumber`). Without it, heads come only from `onHead`. */
  getHead?: () => Promise<bigint>;
  /** Pushed heads (a WebSocket newHeads subscription); polling slows down while it is live. */
  headStream?: HeadStream;
}

export interface SlotClockEvents {
  slot: [bigint];
  /** A head pushed by the head stream (block-number mode), before its `slot` events. */
  header: [L1Head];
}

export interface SlotClock extends EventEmitter<SlotClockEvents> {
  readonly mode: SlotClockOptions["mode"];
  /** The current slot, or null before genesis / before the first head. */
  currentSlot(): bigint | null;
  /** Local wall time (ms) at which `slot` started, if known. */
  slotStartMs(slot: bigint): number | undefined;
  /** Milliseconds since the current slot started (0 if unknown). */
  msIntoSlot(): number;
  /** [IGNORE] rule: the slot is more than `retentionSlots` behind the current one. */
  isTooOld(slot: bigint, retentionSlots: number): boolean;
  /** [IGNORE] rule: the slot has not started yet, allowing the clock disparity. */
  isFromFuture(slot: bigint): boolean;
  start(): void | Promise<void>;
  stop(): void;
}

/** Block `slot` (a block number) is confirmed at `head` with `depth` blocks on top. */
export function isConfirmed(slot: bigint, head: bigint, depth: number): boolean {
  return head >= slot + BigInt(depth);
}

// Timers never sleep longer than this, so a suspended machine notices the new
// wall time within a second of waking (timers run on a monotonic clock that
// may not advance during suspend).
const MAX_TIMER_MS = 1000;

export class BeaconTimeClock extends EventEmitter<SlotClockEvents> implements SlotClock {
  readonly mode = "beacon-time" as const;
  private readonly genesisMs: number;
  private readonly slotMs: number;
  private readonly common: ClockCommonOptions;
  private readonly now: () => number;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private lastEmitted: bigint | null = null;
  private running = false;

  constructor(
    opts: Partial<Omit<BeaconTimeClockOptions, "mode">> & {
      genesisTime: number;
    } & Partial<ClockCommonOptions>,
    modules: SlotClockModules = {},
  ) {
    super();
    const secondsPerSlot = opts.secondsPerSlot ?? defaultBeaconTimeClockOptions.secondsPerSlot;
    if (!(secondsPerSlot > 0)) throw new RangeError("secondsPerSlot must be positive");
    this.genesisMs = opts.genesisTime * 1000;
    this.slotMs = secondsPerSlot * 1000;
    this.common = { ...defaultClockCommonOptions, ...opts };
    this.now = modules.now ?? (() => Date.now());
    this.logger = modules.logger ?? nullLogger;
  }

  /** The slot in progress at wall time `ms`, or null before genesis. */
  slotAt(ms: number): bigint | null {
    if (ms < this.genesisMs) return null;
    return BigInt(Math.floor((ms - this.genesisMs) / this.slotMs));
  }

  currentSlot(): bigint | null {
    return this.slotAt(this.now());
  }

  slotStartMs(slot: bigint): number {
    return this.genesisMs + Number(slot) * this.slotMs;
  }

  msIntoSlot(): number {
    const now = this.now();
    if (now < this.genesisMs) return 0;
    return (now - this.genesisMs) % this.slotMs;
  }

  /** Milliseconds until the next slot starts. */
  msUntilNextSlot(): number {
    const now = this.now();
    if (now < this.genesisMs) return this.genesisMs - now;
    return this.slotMs - ((now - this.genesisMs) % this.slotMs);
  }

  isTooOld(slot: bigint, retentionSlots: number): boolean {
    // Be lenient towards a peer whose clock runs behind ours.
    const current = this.slotAt(this.now() - this.common.clockDisparityMs);
    if (current === null) return false;
    return current - slot > BigInt(retentionSlots);
  }

  isFromFuture(slot: bigint): boolean {
    // Be lenient towards a peer whose clock runs ahead of ours.
    const current = this.slotAt(this.now() + this.common.clockDisparityMs);
    return current === null || slot > current;
  }

  /** Emits the current slot (if past genesis) and then each new slot as it starts. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (!this.running) return;
    const current = this.currentSlot();
    if (current !== null) {
      let from = this.lastEmitted === null ? current : this.lastEmitted + 1n;
      const cap = BigInt(this.common.maxCatchUpSlots);
      if (current - from >= cap) {
        this.logger.warn(
          { from: from.toString(), to: current.toString() },
          "clock jumped; skipping missed slots",
        );
        from = current - cap + 1n;
      }
      for (let s = from; s <= current && this.running; s++) {
        this.lastEmitted = s;
        safeEmit(this, this.logger, s);
      }
    }
    if (!this.running) return;
    this.timer = setTimeout(() => this.tick(), Math.min(this.msUntilNextSlot(), MAX_TIMER_MS));
  }
}

export class BlockNumberClock extends EventEmitter<SlotClockEvents> implements SlotClock {
  readonly mode = "block-number" as const;
  private readonly opts: BlockNumberClockOptions & ClockCommonOptions;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly getHead: (() => Promise<bigint>) | undefined;
  private readonly headStream: HeadStream | undefined;
  private head: bigint | null = null;
  // Local first-seen time per block number, bounded to the recent past.
  private readonly seenAt = new Map<bigint, number>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private polling: Promise<void> | undefined;

  constructor(
    opts: Partial<Omit<BlockNumberClockOptions, "mode">> & Partial<ClockCommonOptions>,
    modules: BlockNumberClockModules = {},
  ) {
    super();
    this.opts = {
      ...defaultClockCommonOptions,
      ...defaultBlockNumberClockOptions,
      ...opts,
      mode: "block-number",
    };
    this.now = modules.now ?? (() => Date.now());
    this.logger = modules.logger ?? nullLogger;
    this.getHead = modules.getHead;
    this.headStream = modules.headStream;
  }

  currentSlot(): bigint | null {
    return this.head;
  }

  slotStartMs(slot: bigint): number | undefined {
    return this.seenAt.get(slot);
  }

  msIntoSlot(): number {
    if (this.head === null) return 0;
    const t = this.seenAt.get(this.head);
    return t === undefined ? 0 : Math.max(0, this.now() - t);
  }

  isTooOld(slot: bigint, retentionSlots: number): boolean {
    if (this.head === null) return false;
    return this.head - slot > BigInt(retentionSlots);
  }

  isFromFuture(slot: bigint): boolean {
    if (this.head === null) return true;
    return slot > this.head + BigInt(this.opts.futureSlotTolerance);
  }

  /**
   * A new head: emits `slot` for every block number after the previous head
   * up to `n`, in order (capped at maxCatchUpSlots). Lower or equal heads (a
   * reorg to a shorter chain, a lagging RPC) are ignored.
   */
  onHead(n: bigint): void {
    if (this.head !== null && n <= this.head) return;
    const t = this.now();
    let from = this.head === null ? n : this.head + 1n;
    const cap = BigInt(this.opts.maxCatchUpSlots);
    if (n - from >= cap) {
      this.logger.warn({ from: from.toString(), to: n.toString() }, "head jumped; skipping missed blocks");
      from = n - cap + 1n;
    }
    for (let s = from; s <= n; s++) {
      this.head = s;
      this.seenAt.set(s, t);
      safeEmit(this, this.logger, s);
    }
    this.head = n;
    // Keep the map bounded: first-seen times older than a few windows are never asked for.
    const keep = 4n * cap;
    for (const k of this.seenAt.keys()) {
      if (n - k < keep) break;
      this.seenAt.delete(k);
    }
  }

  /**
   * Polls the head source once before resolving (when there is one), then
   * every pollIntervalMs — every subscribedPollIntervalMs while the head
   * stream is live, and at once when it goes down.
   */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.headStream?.start(
      (h) => {
        if (!this.running) return;
        this.emit("header", h);
        this.onHead(h.number);
      },
      (live) => {
        if (!live && this.running && this.polling === undefined) {
          clearTimeout(this.timer);
          void this.poll();
        }
      },
    );
    if (this.getHead !== undefined) await this.poll();
  }

  stop(): void {
    this.running = false;
    this.headStream?.stop();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Resolves when an in-flight poll has finished (tests, clean shutdown). */
  async idle(): Promise<void> {
    await this.polling;
  }

  private async poll(): Promise<void> {
    if (!this.running || this.getHead === undefined) return;
    const getHead = this.getHead;
    this.polling = (async () => {
      try {
        const n = await getHead();
        if (this.running) this.onHead(n);
      } catch (e) {
        this.logger.warn({ err: e instanceof Error ? e.message : String(e) }, "head poll failed");
      }
    })();
    await this.polling;
    this.polling = undefined;
    if (!this.running) return;
    const ms = this.headStream?.live ? this.opts.subscribedPollIntervalMs : this.opts.pollIntervalMs;
    this.timer = setTimeout(() => void this.poll(), ms);
  }
}

export type SlotClockConfig =
  | ({ mode: "beacon-time"; genesisTime: number } & Partial<
      Omit<BeaconTimeClockOptions, "mode" | "genesisTime">
    > &
      Partial<ClockCommonOptions>)
  | ({ mode: "block-number" } & Partial<Omit<BlockNumberClockOptions, "mode">> & Partial<ClockCommonOptions>);

/** Builds the clock a stream config asks for. */
export function createSlotClock(opts: SlotClockConfig, modules: BlockNumberClockModules = {}): SlotClock {
  if (opts.mode === "beacon-time") return new BeaconTimeClock(opts, modules);
  return new BlockNumberClock(opts, modules);
}

/** Emits without letting a throwing listener break the clock's own loop. */
function safeEmit(clock: EventEmitter<SlotClockEvents>, logger: Logger, slot: bigint): void {
  try {
    clock.emit("slot", slot);
  } catch (e) {
    logger.error(
      { slot: slot.toString(), err: e instanceof Error ? e.message : String(e) },
      "slot listener threw",
    );
  }
}

/**
 * Waits for slots to start on a clock: gossip held for a slot that has not
 * started here yet (docs/spec.md §5.3) resumes on the clock's `slot` event
 * that starts it. One listener serves every waiter.
 */
export class SlotWaiters {
  private readonly waiting = new Set<{ slot: bigint; done: (started: boolean) => void }>();
  private readonly onSlot = (): void => {
    for (const w of this.waiting) if (!this.clock.isFromFuture(w.slot)) w.done(true);
  };

  constructor(private readonly clock: SlotClock) {
    clock.on("slot", this.onSlot);
  }

  /** Waiters not resolved yet. */
  get size(): number {
    return this.waiting.size;
  }

  /**
   * Resolves true once `slot` is no longer from the future, false after
   * `maxMs` or at stop; null at once when even `slot - aheadSlots` is still
   * from the future (too far ahead to wait for).
   */
  wait(slot: bigint, aheadSlots: number, maxMs: number): Promise<boolean> | null {
    if (!this.clock.isFromFuture(slot)) return Promise.resolve(true);
    if (this.clock.isFromFuture(slot - BigInt(aheadSlots))) return null;
    return new Promise((resolve) => {
      const w = {
        slot,
        done: (started: boolean) => {
          clearTimeout(timer);
          this.waiting.delete(w);
          resolve(started);
        },
      };
      const timer = setTimeout(() => w.done(false), maxMs);
      this.waiting.add(w);
    });
  }

  /** Resolves every waiter as not started and leaves the clock. */
  stop(): void {
    this.clock.off("slot", this.onSlot);
    for (const w of [...this.waiting]) w.done(false);
  }
}
