// Liveness of connections (docs/spec.md §5.5): a connection that carried
// nothing inbound for `intervalMs` is pinged, and closed when the ping fails.
// A connection that carries gossip needs no ping: what arrives on it shows
// the peer is there. libp2p's own monitor pings every connection from both
// ends every interval, busy or not; yamux's keep-alive does the same a second
// time. Over 50–150 ms links each ping is a new stream (a handful of frames,
// packets and acknowledgements each way), about 0.9 of the sim's bytes ratio
// while slots run; here a busy link sends none, and a quiet one is pinged by
// whichever end looks first, since the ping itself is inbound traffic at the
// other end.
//
// No libp2p import: host.ts adapts its connections to `LivenessLink`.

import { abortAfter } from "../util/timeout.js";

export type LivenessResult = "ok" | "failed" | "skipped";

/** What the monitor needs of one connection. */
export interface LivenessLink {
  /** The connection's key in `LinkActivity` (its remote address). */
  readonly key: string;
  /** One echo ping; rejects on a timeout (the signal) or a bad echo. */
  ping(signal: AbortSignal): Promise<void>;
  /** Closes the connection at once (the ping failed). */
  abort(err: Error): void;
}

/**
 * When each connection last received anything, by key. Keys are remote
 * addresses (ip and port): two connections to the same address share one
 * record, which only ever makes a dead one of them live longer than bound by
 * the other's traffic, to the same peer process.
 */
export class LinkActivity {
  private readonly last = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  touch(key: string): void {
    this.last.set(key, this.now());
  }

  forget(key: string): void {
    this.last.delete(key);
  }

  /** True when something arrived on the connection within the last `ms`. */
  heardWithin(key: string, ms: number): boolean {
    const t = this.last.get(key);
    return t !== undefined && this.now() - t < ms;
  }

  get size(): number {
    return this.last.size;
  }
}

export interface LivenessOptions {
  /** A connection quiet for this long is pinged. */
  intervalMs: number;
  /** A ping that takes longer fails, and the connection is closed. */
  timeoutMs: number;
}

export interface LivenessModules {
  /** The open connections, each time the monitor looks. */
  links(): LivenessLink[];
  activity: LinkActivity;
  onResult?(result: LivenessResult): void;
  /** The signal that ends one ping (tests inject their own). */
  timeoutSignal?(ms: number): AbortSignal;
}

/** `p`, or a rejection with the signal's reason once it aborts, whichever comes first. */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/**
 * Looks every `intervalMs / 2`, so a peer that stopped sending is pinged at
 * most 1.5 intervals after the last thing it sent, and noticed within
 * `1.5 × intervalMs + timeoutMs`.
 */
export class LivenessMonitor {
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly stopping = new AbortController();
  private readonly pinging = new Set<string>();

  constructor(
    private readonly opts: LivenessOptions,
    private readonly modules: LivenessModules,
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.check(), Math.max(1, Math.floor(this.opts.intervalMs / 2)));
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.stopping.abort();
  }

  /** One look: pings each connection quiet for an interval; resolves when those pings ended. */
  async check(): Promise<void> {
    const { activity, onResult } = this.modules;
    // Not AbortSignal.timeout: inside AbortSignal.any, Node 20 loses it at the next GC (util/timeout.ts).
    const timeoutSignal = this.modules.timeoutSignal ?? abortAfter;
    await Promise.all(
      this.modules.links().map(async (link) => {
        if (this.pinging.has(link.key)) return;
        if (activity.heardWithin(link.key, this.opts.intervalMs)) {
          onResult?.("skipped");
          return;
        }
        this.pinging.add(link.key);
        try {
          const signal = AbortSignal.any([this.stopping.signal, timeoutSignal(this.opts.timeoutMs)]);
          // The signal ends the wait even if the ping does not heed it: a ping in
          // flight forever would leave the link marked as being pinged, and a
          // frozen peer connected, for good.
          await untilAborted(link.ping(signal), signal);
          onResult?.("ok");
        } catch (e) {
          if (this.stopping.signal.aborted) return;
          onResult?.("failed");
          link.abort(e instanceof Error ? e : new Error(String(e)));
        } finally {
          this.pinging.delete(link.key);
        }
      }),
    );
  }
}
