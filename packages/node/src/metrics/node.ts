// Node-wide series, built once by metrics/metrics.ts: BLS batches and verify
// time, certificate latency, peers and scores, database size, anchoring, chain
// health for the alert rules, and the process defaults — in the node's one registry.
import { statfs } from "node:fs/promises";
import { Counter, collectDefaultMetrics, Gauge, Histogram, type Registry } from "prom-client";
import { BlsVerifierStats, type BlsVerifyKind } from "../chain/bls/metrics.js";
import type { PeerInfo } from "../network/peers.js";
import { CachedDirectorySize } from "./dirSize.js";

export interface NodeMetricsOptions {
  /** Directory whose size is reported as the database size. */
  dataDir: string;
  /** How long a database-size reading is reused. @default 15000: a walk per typical scrape interval */
  dbSizeMaxAgeMs: number;
  /** Register prom-client's process metrics (CPU, memory, event loop, GC). @default true */
  processMetrics: boolean;
  /**
   * Sampling interval of the event-loop delay histogram (`nodejs_eventloop_lag_*`).
   * Each sample is a timer wakeup: prom-client's 10 ms default costs an idle
   * node about 3.5 ms of CPU per second; at 100 ms it is a tenth of that. A
   * stall still shows at its full length, it is only sampled less often.
   * @default 100
   */
  eventLoopMonitoringPrecisionMs: number;
}

export const defaultNodeMetricsOptions: Omit<NodeMetricsOptions, "dataDir"> = {
  dbSizeMaxAgeMs: 15_000,
  processMetrics: true,
  eventLoopMonitoringPrecisionMs: 100,
};

export interface NodeMetricsModules {
  registry: Registry;
  /** Connected peers now; empty before the network starts. */
  getPeers: () => PeerInfo[];
}

/**
 * Counters of the anchoring service (it increments them; the names are fixed
 * here so dashboards do not depend on whether it runs). Matches the anchor
 * service's `AnchorMetrics` shape.
 */
export interface AnchorMetricsSeries {
  /** Anchor transactions by outcome: anchored, already-anchored, conflicted, reverted, error. */
  transactions: Counter<"result">;
  gasUsed: Counter;
  spentWei: Counter;
  balanceWei: Gauge;
}

/** The anchoring series in `registry`; calling it again returns the same series. */
export function createAnchorMetrics(registry: Registry): AnchorMetricsSeries {
  return {
    transactions: counterOnce(registry, "ocp_anchor_transactions_total", "Anchor transactions by result", [
      "result",
    ]),
    gasUsed: counterOnce(registry, "ocp_anchor_gas_used_total", "Gas used by anchor transactions", []),
    spentWei: counterOnce(registry, "ocp_anchor_spent_wei_total", "Wei spent on anchor transactions", []),
    balanceWei: gaugeOnce(registry, "ocp_anchor_balance_wei", "Balance of the anchoring account (wei)"),
  };
}

function counterOnce<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[],
): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Counter) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

function gaugeOnce(registry: Registry, name: string, help: string): Gauge {
  const existing = registry.getSingleMetric(name);
  if (existing instanceof Gauge) return existing as Gauge;
  return new Gauge({ name, help, registers: [registry] });
}

/**
 * BLS verifier metrics that keep the in-memory stats (tests, bench) and also
 * feed Prometheus histograms, so batch sizes and verify times keep their distribution.
 */
export class PromBlsVerifierMetrics extends BlsVerifierStats {
  private readonly batchSets: Histogram;
  private readonly verifySeconds: Histogram<"kind">;
  private readonly verifyFailures: Counter<"kind">;
  private readonly bisectionsTotal: Counter;
  private readonly droppedTotal: Counter;
  private readonly paddedTotal: Counter;

  constructor(registry: Registry) {
    super();
    this.batchSets = new Histogram({
      name: "ocp_bls_batch_sets",
      help: "Signature sets per flushed BLS batch",
      // Powers of two up to twice the default maxBufferedSets (128).
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [registry],
    });
    this.verifySeconds = new Histogram({
      name: "ocp_bls_verify_seconds",
      help: "Time of one call into the BLS library, by kind",
      labelNames: ["kind"],
      // blst: ~1 ms per single verify, ~20 ms for 64 distinct sets (FACTS.md).
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    });
    this.verifyFailures = new Counter({
      name: "ocp_bls_verify_failures_total",
      help: "BLS verify calls that returned false, by kind",
      labelNames: ["kind"],
      registers: [registry],
    });
    this.bisectionsTotal = new Counter({
      name: "ocp_bls_bisections_total",
      help: "Failed BLS groups split in two",
      registers: [registry],
    });
    this.droppedTotal = new Counter({
      name: "ocp_bls_dropped_sets_total",
      help: "Signature sets left unverified because their forwarding peer's sets failed",
      registers: [registry],
    });
    this.paddedTotal = new Counter({
      name: "ocp_bls_padded_sets_total",
      help: "Already verified signature sets added to same-message batches to reach the library's multi-scalar path",
      registers: [registry],
    });
  }

  override onBatch(sets: number, jobs: number): void {
    super.onBatch(sets, jobs);
    this.batchSets.observe(sets);
  }

  override onVerifyCall(kind: BlsVerifyKind, sets: number, ms: number, ok: boolean): void {
    super.onVerifyCall(kind, sets, ms, ok);
    this.verifySeconds.observe({ kind }, ms / 1000);
    if (!ok) this.verifyFailures.inc({ kind });
  }

  override onBisect(): void {
    super.onBisect();
    this.bisectionsTotal.inc();
  }

  override onDropped(sets: number): void {
    super.onDropped(sets);
    this.droppedTotal.inc(sets);
  }

  override onPadded(sets: number): void {
    super.onPadded(sets);
    this.paddedTotal.inc(sets);
  }
}

/** Slots whose certificate latency was already observed; bounded, oldest forgotten first. */
const MAX_LATENCY_KEYS = 4096;

export class NodeMetrics {
  readonly opts: NodeMetricsOptions;
  readonly bls: PromBlsVerifierMetrics;
  readonly anchor: AnchorMetricsSeries;
  private readonly certLatency: Histogram<"source">;
  private readonly latencyKeys = new Set<string>();
  private readonly dbSize: CachedDirectorySize;

  constructor(opts: Partial<NodeMetricsOptions> & { dataDir: string }, modules: NodeMetricsModules) {
    this.opts = { ...defaultNodeMetricsOptions, ...opts };
    const registry = modules.registry;
    if (this.opts.processMetrics)
      collectDefaultMetrics({
        register: registry,
        eventLoopMonitoringPrecision: this.opts.eventLoopMonitoringPrecisionMs,
      });
    this.bls = new PromBlsVerifierMetrics(registry);
    this.anchor = createAnchorMetrics(registry);
    this.certLatency = new Histogram({
      name: "ocp_certificate_latency_seconds",
      help: "Time from this node's decision for a slot to the slot's first certificate here",
      labelNames: ["source"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32],
      registers: [registry],
    });
    this.dbSize = new CachedDirectorySize(this.opts.dataDir, this.opts.dbSizeMaxAgeMs);
    const dbSize = this.dbSize;
    new Gauge({
      name: "ocp_db_size_bytes",
      help: "Bytes on disk under the node's data directory",
      registers: [registry],
      async collect() {
        this.set(await dbSize.get());
      },
    });
    new Gauge({
      name: "ocp_peers",
      help: "Connected peers by connection direction",
      labelNames: ["direction"],
      registers: [registry],
      collect() {
        const peers = modules.getPeers();
        this.reset();
        // Both series always present, so "no peers" reads 0 rather than absent.
        this.set({ direction: "inbound" }, peers.filter((p) => p.direction === "inbound").length);
        this.set({ direction: "outbound" }, peers.filter((p) => p.direction === "outbound").length);
      },
    });
    new Histogram({
      name: "ocp_peer_gossip_score",
      help: "Gossipsub scores of the connected peers (rebuilt at each scrape)",
      buckets: [-1000, -100, -10, -1, 0, 1, 10, 100, 1000],
      registers: [registry],
      collect() {
        // A histogram of the current population, not of events: reset, then refill.
        this.reset();
        for (const p of modules.getPeers()) this.observe(p.score);
      },
    });
  }

  /**
   * A certificate for (stream, slot) reached this node `seconds` after its
   * decision. Only the first one per slot counts: upgrades are not latency.
   */
  observeCertificateLatency(slotKey: string, source: string, seconds: number): void {
    if (this.latencyKeys.has(slotKey)) return;
    if (this.latencyKeys.size >= MAX_LATENCY_KEYS) {
      const oldest = this.latencyKeys.values().next().value;
      if (oldest !== undefined) this.latencyKeys.delete(oldest);
    }
    this.latencyKeys.add(slotKey);
    this.certLatency.observe({ source }, Math.max(0, seconds));
  }
}

/**
 * Series the shipped alert rules watch (deploy/prometheus/ocp-alerts.yml):
 * certification progress, quorum margin, this node's keys in certificates,
 * anchoring backlog and disk space.
 */
export class ChainHealthMetrics {
  private readonly lastCertified: Gauge;
  private readonly signedWeight: Gauge;
  private readonly quorumWeight: Gauge;
  private readonly ownMissing: Gauge;
  private last = -1n;
  private lastWeight = 0n;

  constructor(
    opts: { dataDir: string },
    modules: { registry: Registry; anchorBacklog: () => number | undefined },
  ) {
    const registers = [modules.registry];
    this.lastCertified = new Gauge({
      name: "ocp_last_certified_slot",
      help: "Highest slot this node holds a certificate for",
      registers,
    });
    this.signedWeight = new Gauge({
      name: "ocp_last_certificate_signed_weight",
      help: "Signed weight of the best certificate of the highest certified slot",
      registers,
    });
    this.quorumWeight = new Gauge({
      name: "ocp_last_certificate_quorum_weight",
      help: "Weight the quorum needs in that certificate's set (total × numerator / denominator)",
      registers,
    });
    this.ownMissing = new Gauge({
      name: "ocp_last_certificate_own_keys_missing",
      help: "This node's keys in the set that are not signers of that certificate",
      registers,
    });
    new Gauge({
      name: "ocp_anchor_backlog",
      help: "Certificates this anchorer holds that wait for their turn or their transaction",
      registers,
      collect() {
        this.set(modules.anchorBacklog() ?? 0);
      },
    });
    const dataDir = opts.dataDir;
    // A data directory not created yet gives no reading rather than a wrong one.
    new Gauge({
      name: "ocp_disk_free_bytes",
      help: "Bytes available to unprivileged users on the data directory's filesystem",
      registers,
      async collect() {
        const s = await statfs(dataDir).catch(() => undefined);
        if (s) this.set(s.bavail * s.bsize);
      },
    });
    new Gauge({
      name: "ocp_disk_size_bytes",
      help: "Size in bytes of the data directory's filesystem",
      registers,
      async collect() {
        const s = await statfs(dataDir).catch(() => undefined);
        if (s) this.set(s.blocks * s.bsize);
      },
    });
  }

  /** A certificate entered the pool; the highest slot's best one sets the gauges. */
  onCertificate(
    slot: bigint,
    signedWeight: bigint,
    set: { totalWeight: bigint; quorum: { numerator: number; denominator: number } },
    ownMissing: number,
  ): void {
    if (slot < this.last) return;
    if (slot === this.last && signedWeight < this.lastWeight) return;
    this.last = slot;
    this.lastWeight = signedWeight;
    this.lastCertified.set(Number(slot));
    this.signedWeight.set(Number(signedWeight));
    this.quorumWeight.set(
      Number((set.totalWeight * BigInt(set.quorum.numerator)) / BigInt(set.quorum.denominator)),
    );
    this.ownMissing.set(ownMissing);
  }
}
