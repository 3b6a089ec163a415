// Every series of a node, created once in its one registry: the components
// receive their part (or null: not counted) and never create a metric
// themselves. Names and labels are fixed by deploy/ (alert rules, dashboard).
import { Counter, Gauge, Registry } from "prom-client";
import type { PeerInfo } from "../network/peers.js";
import { createNetworkMetrics, type NetworkMetrics } from "./network.js";
import { ChainHealthMetrics, NodeMetrics, type NodeMetricsOptions } from "./node.js";

/** The slot duties' series (duties/slotDuties.ts). */
export interface DutiesMetrics {
  /** Slot decisions by verdict (sign|nothing|abstain) and reason. */
  decisions: Counter<"verdict" | "reason">;
  signed: Counter;
  signRefused: Counter<"code">;
  head: Gauge;
}

/** What becomes of accepted chain messages (chain/recorder.ts). */
export interface RecorderMetrics {
  certificates: Counter<"source">;
  /** Certificates built here, by what became of them at their turn (gossip | held_back). */
  certificateTurns: Counter<"outcome">;
  evidence: Counter<"source">;
  health: ChainHealthMetrics;
  node: NodeMetrics;
}

/** Certificate sync's series (sync/certificates.ts). */
export interface SyncMetrics {
  /** Certificates of certificates_by_range answers, by what became of them (SyncCertificateResult). */
  certificates: Counter<"result">;
}

export interface ApiMetricsSeries {
  registry: Registry;
  requests: Counter<"route" | "status">;
  sseDropped: Counter;
}

export interface Metrics {
  readonly registry: Registry;
  readonly network: NetworkMetrics;
  readonly duties: DutiesMetrics;
  readonly recorder: RecorderMetrics;
  readonly sync: SyncMetrics;
  readonly api: ApiMetricsSeries;
  /** BLS, anchoring, certificate latency, peers, db size, process series. */
  readonly node: NodeMetrics;
}

/** Live values the collected gauges read at each scrape. */
export interface MetricsSources {
  /** Connected peers now; empty before the network starts. */
  getPeers(): PeerInfo[];
  /** Certificates waiting to be anchored; undefined when this node does not anchor. */
  anchorBacklog(): number | undefined;
}

export function createMetrics(
  opts: Partial<NodeMetricsOptions> & { dataDir: string },
  sources: MetricsSources,
  registry: Registry = new Registry(),
): Metrics {
  const registers = [registry];
  const node = new NodeMetrics(opts, { registry, getPeers: () => sources.getPeers() });
  return {
    registry,
    network: createNetworkMetrics(registry),
    node,
    duties: {
      decisions: new Counter({
        name: "ocp_slot_decisions_total",
        help: "Slot decisions by verdict and reason",
        labelNames: ["verdict", "reason"],
        registers,
      }),
      signed: new Counter({
        name: "ocp_attestations_signed_total",
        help: "Attestations signed by this node's keys",
        registers,
      }),
      signRefused: new Counter({
        name: "ocp_sign_refused_total",
        help: "Signatures refused by slashing protection or the doppelganger guard",
        labelNames: ["code"],
        registers,
      }),
      head: new Gauge({ name: "ocp_head_slot", help: "Current slot", registers }),
    },
    recorder: {
      certificates: new Counter({
        name: "ocp_certificates_total",
        help: "Certificates entering the pool by source",
        labelNames: ["source"],
        registers,
      }),
      certificateTurns: new Counter({
        name: "ocp_certificate_turns_total",
        help: "Certificates built here at their turn: gossiped, or held back because a peer's was on the wire",
        labelNames: ["outcome"],
        registers,
      }),
      evidence: new Counter({
        name: "ocp_evidence_total",
        help: "Equivocation evidence stored by source",
        labelNames: ["source"],
        registers,
      }),
      health: new ChainHealthMetrics(
        { dataDir: opts.dataDir },
        { registry, anchorBacklog: () => sources.anchorBacklog() },
      ),
      node,
    },
    sync: {
      certificates: new Counter({
        name: "ocp_sync_certificates_total",
        help: "Certificates of certificates_by_range answers: added, ignored, rejected, out_of_range, or dropped unread after a bad one",
        labelNames: ["result"],
        registers,
      }),
    },
    api: {
      registry,
      requests: new Counter({
        name: "ocp_api_requests_total",
        help: "API requests by route and status code",
        labelNames: ["route", "status"],
        registers,
      }),
      sseDropped: new Counter({
        name: "ocp_api_sse_dropped_total",
        help: "Event-stream clients dropped for not reading",
        registers,
      }),
    },
  };
}
