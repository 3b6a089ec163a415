// Counters of the network layer: gossip validation outcomes, publishes,
// req/resp results in both directions, and peer lifecycle events.
import type { Registry } from "prom-client";
import { type CounterVec, createCounterVec } from "./counter.js";

export interface NetworkMetrics {
  /** Every gossip validation outcome: result accept|ignore|reject, code "" on accept. */
  gossipValidation: CounterVec<"kind" | "result" | "code">;
  /** Local publishes: result ok|no_peers|error. */
  gossipPublish: CounterVec<"kind" | "result">;
  /** REJECTs given after gossipsub's message cache dropped the message (charged on the app score). */
  gossipLateRejects: CounterVec<"kind">;
  /** Gossip RPC frames dropped unread before gossipsub, by reason (network/gossipRpc.ts). */
  gossipRpcDropped: CounterVec<"reason">;
  /** Errors thrown by on-accepted handlers (the message was already accepted). */
  gossipHandlerError: CounterVec<"kind">;
  /** Inbound requests by outcome: a response code name, or timeout|stream_error. */
  reqRespInbound: CounterVec<"protocol" | "result">;
  /** Outbound requests by outcome: "ok" or a RequestErrorCode. */
  reqRespOutbound: CounterVec<"protocol" | "result">;
  /** Peer lifecycle: connected, disconnected, status_ok, status_network_mismatch, status_failed, graylisted, banned, redial. */
  peerEvents: CounterVec<"event">;
}

/** Network counters; registered in `registry` when given (the node's Prometheus registry). */
export function createNetworkMetrics(registry?: Registry): NetworkMetrics {
  return {
    gossipValidation: createCounterVec(
      registry,
      "ocp_gossip_validation_total",
      "Gossip validation outcomes",
      ["kind", "result", "code"],
    ),
    gossipPublish: createCounterVec(registry, "ocp_gossip_publish_total", "Local gossip publishes", [
      "kind",
      "result",
    ]),
    gossipLateRejects: createCounterVec(
      registry,
      "ocp_gossip_late_rejects_total",
      "REJECTs given after the message left gossipsub's message cache",
      ["kind"],
    ),
    gossipRpcDropped: createCounterVec(
      registry,
      "ocp_gossip_rpc_dropped_total",
      "Gossip RPC frames dropped unread, by reason",
      ["reason"],
    ),
    gossipHandlerError: createCounterVec(
      registry,
      "ocp_gossip_handler_error_total",
      "On-accepted handler errors",
      ["kind"],
    ),
    reqRespInbound: createCounterVec(registry, "ocp_reqresp_inbound_total", "Inbound req/resp outcomes", [
      "protocol",
      "result",
    ]),
    reqRespOutbound: createCounterVec(registry, "ocp_reqresp_outbound_total", "Outbound req/resp outcomes", [
      "protocol",
      "result",
    ]),
    peerEvents: createCounterVec(registry, "ocp_peer_events_total", "Peer lifecycle events", ["event"]),
  };
}
