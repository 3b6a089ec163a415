// Snapshots of bounded state (pools, caches, queues) for tests and health:
// every structure that untrusted input can grow reports its size and bound.

/** One bounded pool, cache or queue: how full it is, its bound, and what it dropped. */
export interface BoundSnapshot {
  size: number;
  limit: number;
  /** Items refused or evicted because the bound was reached (a counter). */
  dropped: number;
}

export type BoundsReport = Record<string, BoundSnapshot>;

/** Names of the entries whose size exceeds their limit (empty when all hold). */
export function boundsExceeded(report: BoundsReport): string[] {
  return Object.entries(report)
    .filter(([, b]) => b.size > b.limit)
    .map(([name]) => name);
}
