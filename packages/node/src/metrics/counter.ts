// Small labelled-counter interface used by node components, backed by
// prom-client so the node's Prometheus registry can collect it later.
import { Counter, type Registry } from "prom-client";

/** A counter keyed by label values. `get` reads back a value (tests, health). */
export interface CounterVec<L extends string> {
  inc(labels: Readonly<Record<L, string>>, value?: number): void;
  /** Current value for exactly these labels; 0 if never incremented. */
  get(labels: Readonly<Record<L, string>>): number;
  /** Sum over every label set matching the given subset. */
  sum(labels?: Readonly<Partial<Record<L, string>>>): number;
}

/**
 * Counter registered in `registry` (a private one if absent, so several nodes
 * in one process do not collide on metric names).
 */
export function createCounterVec<L extends string>(
  registry: Registry | undefined,
  name: string,
  help: string,
  labelNames: readonly L[],
): CounterVec<L> {
  const counter =
    registry === undefined ? undefined : new Counter({ name, help, labelNames, registers: [registry] });
  // Mirror of the counts, keyed by label values in labelNames order.
  const values = new Map<string, { labels: Record<L, string>; value: number }>();
  const key = (labels: Readonly<Record<L, string>>): string =>
    labelNames.map((l) => labels[l]).join("\u0000");
  return {
    inc(labels, value = 1) {
      const k = key(labels);
      const entry = values.get(k);
      if (entry === undefined) values.set(k, { labels: { ...labels }, value });
      else entry.value += value;
      counter?.inc(labels as Partial<Record<L, string>>, value);
    },
    get(labels) {
      return values.get(key(labels))?.value ?? 0;
    },
    sum(labels: Readonly<Partial<Record<L, string>>> = {} as Partial<Record<L, string>>) {
      let total = 0;
      for (const entry of values.values()) {
        const matches = (Object.keys(labels) as L[]).every((l) => entry.labels[l] === labels[l]);
        if (matches) total += entry.value;
      }
      return total;
    },
  };
}
