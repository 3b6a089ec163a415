// What the harness observes from outside the nodes, as an operator's monitoring
// would: L1 heads (when a slot becomes decidable), each node's certificates and
// evidence as its API streams them (server-sent events), and each node
// process's CPU time and peak RSS from /proc.
import { readFileSync } from "node:fs";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TICKS_PER_S = 100; // USER_HZ on Linux

/** User and system CPU time of a process so far, in ms; undefined once it is gone. */
export function cpuSplitMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at ") ".
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { user: (Number(f[11]) * 1000) / TICKS_PER_S, sys: (Number(f[12]) * 1000) / TICKS_PER_S };
  } catch {
    return undefined;
  }
}

/** CPU time (user + system) of a process so far, in ms; undefined once it is gone. */
export function cpuMs(pid) {
  const t = cpuSplitMs(pid);
  return t === undefined ? undefined : t.user + t.sys;
}

/** Peak resident set (VmHWM) of a process, in MiB. */
export function peakRssMb(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Polls the L1 head every `everyMs` and records when each block number was first seen. */
export class HeadWatcher {
  constructor(rpcUrl, everyMs = 20) {
    this.rpcUrl = rpcUrl;
    this.everyMs = everyMs;
    this.seen = new Map();
    this.head = -1n;
    this.running = false;
  }

  start() {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          const r = await fetch(this.rpcUrl, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
            signal: AbortSignal.timeout(2000),
          });
          const b = BigInt((await r.json()).result);
          const t = Date.now();
          for (let x = this.head + 1n; x <= b; x++) if (!this.seen.has(x)) this.seen.set(x, t);
          if (b > this.head) this.head = b;
        } catch {
          // anvil busy: try again
        }
        await sleep(this.everyMs);
      }
    })();
  }

  async stop() {
    this.running = false;
    await this.loop;
  }
}

/**
 * Follows one node's `/v1/events` stream (certificate, evidence); reconnects
 * when the node restarts. `certs` maps slot → first time this node held a certificate.
 */
export class NodeWatcher {
  constructor(index) {
    this.index = index;
    this.certs = new Map();
    this.certBytes = new Map();
    this.evidence = [];
    this.controller = undefined;
  }

  /**
   * (Re)subscribes to `api`. The stream carries only what happens after it
   * opens: a node that restarted may already hold certificates (from its db
   * or from sync) by then, so each time it opens, the slots in `backfill()`
   * this watcher has no certificate for are asked for one by one.
   * @param {string} api
   * @param {(i: number, slot: bigint, cert: object) => void} [onCertificate]
   * @param {{stream: string, slots: () => Iterable<bigint>}} [backfill]
   */
  follow(api, onCertificate, backfill) {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    (async () => {
      while (!controller.signal.aborted) {
        try {
          const res = await fetch(`${api}/v1/events?topics=certificate,evidence`, {
            signal: controller.signal,
          });
          if (backfill) await this.backfill(api, backfill, onCertificate, controller.signal);
          const decoder = new TextDecoder();
          let buf = "";
          for await (const chunk of res.body) {
            buf += decoder.decode(chunk, { stream: true });
            let k = buf.indexOf("\n\n");
            while (k >= 0) {
              this.onFrame(buf.slice(0, k), onCertificate);
              buf = buf.slice(k + 2);
              k = buf.indexOf("\n\n");
            }
          }
        } catch {
          // node down or restarting
        }
        if (!controller.signal.aborted) await sleep(500);
      }
    })();
  }

  async backfill(api, { stream, slots }, onCertificate, signal) {
    for (const slot of [...slots()]) {
      if (this.certs.has(slot)) continue;
      const res = await fetch(`${api}/v1/streams/${stream}/certificates/${slot}`, { signal });
      if (res.status !== 200) {
        await res.body?.cancel();
        continue;
      }
      const cert = await res.json();
      if (this.certs.has(slot)) continue;
      this.certs.set(slot, Date.now());
      onCertificate?.(this.index, slot, cert);
    }
  }

  onFrame(frame, onCertificate) {
    let event;
    let data;
    for (const line of frame.split("\n")) {
      if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data = line.slice(6);
    }
    if (!event || !data) return;
    const t = Date.now();
    const v = JSON.parse(data);
    if (event === "certificate") {
      const slot = BigInt(v.certificate.observation.slot);
      if (!this.certs.has(slot)) {
        this.certs.set(slot, t);
        onCertificate?.(this.index, slot, v.certificate);
      }
    } else if (event === "evidence") this.evidence.push(v);
  }

  close() {
    this.controller?.abort();
  }
}

/** Sums a Prometheus text exposition's samples of `name` whose labels pass `where`. */
export function sumMetric(text, name, where = () => true) {
  let sum = 0;
  for (const line of text.split("\n")) {
    const m = /^([^{ ]+)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries(
      [...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (where(labels)) sum += Number(m[3]);
  }
  return sum;
}

/** A node's `/metrics` text; empty when it is down or does not answer within 5 s. */
function metricsText(nd) {
  if (!nd.up) return Promise.resolve("");
  return fetch(`${nd.api}/metrics`, { signal: AbortSignal.timeout(5000) })
    .then((r) => r.text())
    .catch(() => "");
}

/**
 * Sums, over the `/metrics` of every node in `nodes` that is up, the samples
 * of each named metric whose labels pass its filter.
 * @param {{ up: boolean, api: string }[]} nodes
 * @param {Record<string, [string, (labels: Record<string, string>) => boolean]>} sums
 * @returns {Promise<Record<string, number>>}
 */
export async function sumNodeMetrics(nodes, sums) {
  const out = Object.fromEntries(Object.keys(sums).map((k) => [k, 0]));
  for (const nd of nodes) {
    const text = await metricsText(nd);
    for (const [k, [name, where]] of Object.entries(sums)) out[k] += sumMetric(text, name, where);
  }
  return out;
}

/**
 * Per node: full (major) garbage collections so far and the seconds its main
 * thread spent in collections of any kind, from /metrics (prom-client's GC
 * histogram); null fields for a node that is down, did not answer or has no
 * such histogram.
 * @param {{ up: boolean, api: string }[]} nodes
 */
export function gcCounts(nodes) {
  return Promise.all(
    nodes.map(async (nd) => {
      const text = await metricsText(nd);
      if (!text.includes("nodejs_gc_duration_seconds_count")) return { majors: null, gcSeconds: null };
      return {
        majors: sumMetric(text, "nodejs_gc_duration_seconds_count", (l) => l.kind === "major"),
        gcSeconds: sumMetric(text, "nodejs_gc_duration_seconds_sum", () => true),
      };
    }),
  );
}

/**
 * Per node, over a window between two `gcCounts` readings `seconds` apart:
 * full collections, and main-thread GC pauses in ms/s (null where unknown).
 */
export function gcInWindow(before, after, seconds) {
  return after.map((g, i) => {
    const b = before[i];
    if (g.majors === null || b.majors === null) return { majors: null, pauseMsPerS: null };
    return {
      majors: g.majors - b.majors,
      pauseMsPerS: Math.round(((g.gcSeconds - b.gcSeconds) * 1e4) / seconds) / 10,
    };
  });
}

export function percentile(xs, p) {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const round = (x, digits = 3) => (x === null || x === undefined ? null : Number(x.toFixed(digits)));
