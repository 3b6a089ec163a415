// The node's events: what it accepted, decided, signed and anchored (the API's
// event stream, the anchoring service and tests listen).
import type { EventEmitter } from "node:events";
import type { Attestation, Certificate, SignedCommitment, SszEvidence } from "@ocp/protocol";
import type { AnchoredEvent, ApiEventSource } from "./api/interfaces.js";
import type { Decision } from "./checkers/pipeline.js";

export type CertificateSource = "aggregator" | "gossip" | "sync";

export interface NodeEvents {
  commitment: [SignedCommitment];
  attestation: [Attestation];
  certificate: [Certificate, { source: CertificateSource; signedWeight: bigint }];
  evidence: [SszEvidence];
  /** This node's anchoring transaction for a slot was mined. */
  anchored: [AnchoredEvent];
  decision: [{ stream: string; slot: bigint; decision: Decision }];
  /**
   * A new block was read ahead of its confirmation; `observed`: it carries a
   * table and this node's votes for it are computed (not released).
   */
  prepared: [{ stream: string; slot: bigint; observed: boolean }];
}

/** What components need to announce an event. */
export type NodeEventSink = Pick<EventEmitter<NodeEvents>, "emit">;

/** The API's event-stream subscription over the node's events. */
export function apiEventSource(events: EventEmitter<NodeEvents>): ApiEventSource {
  return (l) => {
    events.on("commitment", l.commitment);
    events.on("attestation", l.attestation);
    events.on("certificate", l.certificate);
    events.on("evidence", l.evidence);
    events.on("anchored", l.anchored);
    return () => {
      events.off("commitment", l.commitment);
      events.off("attestation", l.attestation);
      events.off("certificate", l.certificate);
      events.off("evidence", l.evidence);
      events.off("anchored", l.anchored);
    };
  };
}
