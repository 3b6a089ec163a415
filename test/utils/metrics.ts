// Reading prom-client series in tests: a counter's value for exact labels, or
// the sum over the label sets matching a subset.
import type { Registry } from "prom-client";

interface Readable {
  get(): Promise<{ values: { value: number; labels: Partial<Record<string, string | number>> }[] }>;
}

type Source = Readable | null | undefined;

/** Value for exactly `labels` (every label named); 0 when never incremented or not counted. */
export async function metricValue(metric: Source, labels: Record<string, string> = {}): Promise<number> {
  if (!metric) return 0;
  const want = Object.entries(labels);
  for (const v of (await metric.get()).values) {
    const keys = Object.keys(v.labels);
    if (keys.length === want.length && want.every(([k, x]) => String(v.labels[k]) === x)) return v.value;
  }
  return 0;
}

/** Sum over every label set that matches `subset`. */
export async function metricSum(metric: Source, subset: Record<string, string> = {}): Promise<number> {
  if (!metric) return 0;
  let total = 0;
  for (const v of (await metric.get()).values)
    if (Object.entries(subset).every(([k, x]) => String(v.labels[k]) === x)) total += v.value;
  return total;
}

/** The series `name` of `registry`, for metricValue/metricSum. */
export function series(registry: Registry, name: string): Source {
  return registry.getSingleMetric(name) as unknown as Source;
}
