// Per-peer token buckets: each (peer, protocol) may make `burst` requests at
// once and then `perSecond` a second on average.

export interface RateLimit {
  /** Sustained requests per second. */
  perSecond: number;
  /** Bucket size: requests allowed back to back. */
  burst: number;
}

/** A token bucket's state: tokens left as of `updatedMs`. */
export interface TokenBucketState {
  tokens: number;
  updatedMs: number;
}

interface Bucket extends TokenBucketState {
  limit: RateLimit;
}

/** Refills `bucket` under `limit` up to `nowMs`, then takes one token; false means none was left. */
export function takeToken(bucket: TokenBucketState, limit: RateLimit, nowMs: number): boolean {
  bucket.tokens = Math.min(
    limit.burst,
    bucket.tokens + ((nowMs - bucket.updatedMs) / 1000) * limit.perSecond,
  );
  bucket.updatedMs = nowMs;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

/** Buckets held at once. @default 4096: 64 connections × 3 protocols, many times over */
export const DEFAULT_MAX_RATE_LIMIT_BUCKETS = 4096;

export class PeerRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  /** Buckets dropped early to stay within `maxBuckets` (their peers got a fresh allowance). */
  evicted = 0;

  constructor(
    private readonly now: () => number = Date.now,
    readonly maxBuckets = DEFAULT_MAX_RATE_LIMIT_BUCKETS,
  ) {}

  /** Takes one token for `peer` under `limit`; false means rate limited. */
  tryTake(peer: string, protocol: string, limit: RateLimit): boolean {
    const key = `${peer}\u0000${protocol}`;
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxBuckets) this.makeRoom();
      bucket = { tokens: limit.burst, updatedMs: now, limit };
      this.buckets.set(key, bucket);
    }
    return takeToken(bucket, limit, now);
  }

  /**
   * Drops buckets that have refilled completely: they hold no state a fresh
   * bucket would not. Buckets are not dropped on disconnect, so reconnecting
   * does not reset a peer's allowance.
   */
  prune(): void {
    const now = this.now();
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.updatedMs) / 1000) * b.limit.perSecond >= b.limit.burst)
        this.buckets.delete(key);
    }
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Full buckets go first; failing that, the least recently created one. */
  private makeRoom(): void {
    this.prune();
    while (this.buckets.size >= this.maxBuckets) {
      const oldest = this.buckets.keys().next().value as string;
      this.buckets.delete(oldest);
      this.evicted++;
    }
  }
}
