// Counters of the network layer: gossip validation outcomes, publishes,
// req/resp results in both directions, and peer lifecycle events.
import { Counter, type Registry } from "prom-client";
import { GOSSIP_KINDS } from "../network/topics.js";

export interface NetworkMetrics {
  /** Every gossip validation outcome: result accept|ignore|reject, code "" on accept. */
  gossipValidation: Counter<"kind" | "result" | "code">;
  /** Local publishes: result ok|no_peers|error. */
  gossipPublish: Counter<"kind" | "result">;
  /** REJECTs given after gossipsub's message cache dropped the message (charged on the app score). */
  gossipLateRejects: Counter<"kind">;
  /** Gossip RPC frames dropped unread before gossipsub, by reason (network/gossipRpc.ts). */
  gossipRpcDropped: Counter<"reason">;
  /**
   * Gossip messages that arrived in frames passed to gossipsub, every copy
   * counted: over the sum of `gossipValidation` (each distinct message is
   * validated once), one plus the duplicates per message.
   */
  gossipMessagesReceived: Counter;
  /**
   * Messages for a slot not started yet (docs/spec.md §5.3): result held (waiting
   * for the slot), due (validated again), expired, full (hold bound reached) or
   * too_far (beyond futureHoldSlots); the last two are IGNOREd at once.
   */
  gossipFutureHold: Counter<"kind" | "result">;
  /**
   * Messages under a verifier set this node does not hold, or for a slot its
   * sets are not known current for (docs/spec.md §5.3): result held (waiting
   * for a set refresh), due (validated again), expired (no successful refresh
   * in time) or full (hold bound reached, IGNOREd at once).
   */
  gossipSetHold: Counter<"kind" | "result">;
  /** Gossip messages IGNOREd beyond the forwarding peer's allowance, each charged to it (docs/spec.md §5.3). */
  gossipIgnoreOverBudget: Counter<"kind">;
  /** Errors thrown by on-accepted handlers (the message was already accepted). */
  gossipHandlerError: Counter<"kind">;
  /** Inbound requests by outcome: a response code name, or timeout|stream_error. */
  reqRespInbound: Counter<"protocol" | "result">;
  /** Outbound requests by outcome: "ok" or a RequestErrorCode. */
  reqRespOutbound: Counter<"protocol" | "result">;
  /** Peer lifecycle: connected, disconnected, status_ok, status_network_mismatch, status_failed, graylisted, banned, redial. */
  peerEvents: Counter<"event">;
  /**
   * Connections the liveness monitor looked at (docs/spec.md §5.5): result ok
   * or failed (pinged; a failed one is closed), skipped (something arrived on
   * it within pingIntervalMs).
   */
  livenessChecks: Counter<"result">;
}

/** The network's counters in `registry` (created once, by metrics/metrics.ts for a node). */
export function createNetworkMetrics(registry: Registry): NetworkMetrics {
  const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const m: NetworkMetrics = {
    gossipValidation: counter("ocp_gossip_validation_total", "Gossip validation outcomes", [
      "kind",
      "result",
      "code",
    ]),
    gossipPublish: counter("ocp_gossip_publish_total", "Local gossip publishes", ["kind", "result"]),
    gossipLateRejects: counter(
      "ocp_gossip_late_rejects_total",
      "REJECTs given after the message left gossipsub's message cache",
      ["kind"],
    ),
    gossipMessagesReceived: counter(
      "ocp_gossip_messages_received_total",
      "Gossip messages in frames passed to gossipsub, every copy (duplicates included)",
      [],
    ),
    gossipRpcDropped: counter("ocp_gossip_rpc_dropped_total", "Gossip RPC frames dropped unread, by reason", [
      "reason",
    ]),
    gossipFutureHold: counter(
      "ocp_gossip_future_hold_total",
      "Gossip messages for a slot not started yet, held or not",
      ["kind", "result"],
    ),
    gossipSetHold: counter(
      "ocp_gossip_set_hold_total",
      "Gossip messages under a verifier set not held here, held for a set refresh or not",
      ["kind", "result"],
    ),
    gossipIgnoreOverBudget: counter(
      "ocp_gossip_ignore_over_budget_total",
      "Gossip messages IGNOREd beyond the forwarding peer's allowance (charged to it)",
      ["kind"],
    ),
    gossipHandlerError: counter("ocp_gossip_handler_error_total", "On-accepted handler errors", ["kind"]),
    reqRespInbound: counter("ocp_reqresp_inbound_total", "Inbound req/resp outcomes", ["protocol", "result"]),
    reqRespOutbound: counter("ocp_reqresp_outbound_total", "Outbound req/resp outcomes", [
      "protocol",
      "result",
    ]),
    peerEvents: counter("ocp_peer_events_total", "Peer lifecycle events", ["event"]),
    livenessChecks: counter(
      "ocp_p2p_liveness_checks_total",
      "Connections the liveness monitor looked at: pinged (ok, failed) or skipped as busy",
      ["result"],
    ),
  };
  // Exposed at 0 from the start: the alert on misbehaving peers
  // (deploy/prometheus/ocp-alerts.yml) sees a series before the first event.
  for (const event of [
    "banned",
    "send_backlog_overflow",
    "ping_abuse",
    "stream_rate",
    "negotiation_bytes",
    "bad_response",
  ])
    m.peerEvents.inc({ event }, 0);
  for (const kind of GOSSIP_KINDS) m.gossipIgnoreOverBudget.inc({ kind }, 0);
  return m;
}
