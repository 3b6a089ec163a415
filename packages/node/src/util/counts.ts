// Counters kept in a Map by key, where a key at zero has no entry (so the map
// holds only what is in use: open connections by IP, requests by peer…).

/** Counts one more for `key`; returns the new count. */
export function increment(counts: Map<string, number>, key: string): number {
  const n = (counts.get(key) ?? 0) + 1;
  counts.set(key, n);
  return n;
}

/** Counts one less for `key` (the entry goes at 0); returns what is left. */
export function decrement(counts: Map<string, number>, key: string): number {
  const left = (counts.get(key) ?? 1) - 1;
  if (left > 0) counts.set(key, left);
  else counts.delete(key);
  return left;
}
