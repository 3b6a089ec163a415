// Checks the series that alert rules and dashboards query against a node's
// /metrics text: every metric must be exposed, and every label they select or
// group by must appear on that metric's samples.

/** Labels Prometheus adds at scrape time, not the node. */
const TARGET_LABELS = new Set(["instance", "job"]);
const HISTOGRAM_SUFFIXES = ["_bucket", "_sum", "_count"];

export interface Exposition {
  /** metric family → its type (from `# TYPE`). */
  types: Map<string, string>;
  /** sample name → label names seen on its samples. */
  labels: Map<string, Set<string>>;
}

export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const labels = new Map<string, Set<string>>();
  for (const line of text.split("\n")) {
    const t = /^# TYPE (\S+) (\S+)/.exec(line);
    if (t) {
      types.set(t[1]!, t[2]!);
      continue;
    }
    if (line === "" || line.startsWith("#")) continue;
    const s = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s/.exec(line);
    if (!s) continue;
    const set = labels.get(s[1]!) ?? new Set<string>();
    for (const m of (s[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) set.add(m[1]!);
    labels.set(s[1]!, set);
  }
  return { types, labels };
}

/** The family a sample name belongs to (`x_bucket` → `x` for histograms). */
function family(name: string, exp: Exposition): string | undefined {
  if (exp.types.has(name)) return name;
  for (const suf of HISTOGRAM_SUFFIXES) {
    if (name.endsWith(suf)) {
      const base = name.slice(0, -suf.length);
      const type = exp.types.get(base);
      if (type === "histogram" || type === "summary") return base;
    }
  }
  return undefined;
}

/**
 * Problems found in one PromQL expression: `ocp_*` metrics the node does not
 * expose, and labels (matchers, `by`/`without`) no queried series carries.
 */
export function checkExpr(expr: string, exp: Exposition): string[] {
  const problems: string[] = [];
  const names = [...new Set([...expr.matchAll(/\b(ocp_[a-z0-9_]+)/g)].map((m) => m[1]!))];
  for (const n of names) if (family(n, exp) === undefined) problems.push(`metric ${n} is not exposed`);
  const labelsOf = (n: string): Set<string> => exp.labels.get(n) ?? new Set();
  for (const m of expr.matchAll(/\b(ocp_[a-z0-9_]+)\{([^}]*)\}/g)) {
    for (const l of m[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) {
      if (TARGET_LABELS.has(l[1]!)) continue;
      if (!labelsOf(m[1]!).has(l[1]!)) problems.push(`label ${l[1]} is not on ${m[1]}`);
    }
  }
  for (const g of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)) {
    for (const raw of g[1]!.split(",")) {
      const l = raw.trim();
      if (l === "" || TARGET_LABELS.has(l)) continue;
      if (!names.some((n) => labelsOf(n).has(l)))
        problems.push(`label ${l} is on none of ${names.join(", ")}`);
    }
  }
  return problems;
}

/** The PromQL expressions of a Prometheus rules file (one-line `expr:` values). */
export function ruleExprs(yaml: string): string[] {
  return [...yaml.matchAll(/^\s*expr:\s*(.+)$/gm)].map((m) => m[1]!.trim());
}

/** The PromQL expressions of a Grafana dashboard's panel targets. */
export function grafanaExprs(dashboard: { panels?: { targets?: { expr?: string }[] }[] }): string[] {
  return (dashboard.panels ?? []).flatMap((p) => (p.targets ?? []).flatMap((t) => (t.expr ? [t.expr] : [])));
}
