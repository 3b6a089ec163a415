// Typed errors of the network layer. A gossip validator throws GossipActionError
// (IGNORE = not useful now, REJECT = the sending peer is at fault); req/resp
// failures surface as RequestError with a RequestErrorCode.
import { ProtocolError } from "@ocp/protocol";

/** What gossipsub does with a message that failed validation. */
export enum GossipAction {
  /** Not useful now (duplicate, too old): drop, do not penalize the sender. */
  IGNORE = "IGNORE",
  /** The sender is at fault: drop and penalize through peer scoring. */
  REJECT = "REJECT",
}

/** Outcomes of the network layer's own pre-validation checks. */
export enum GossipErrorCode {
  /** Payload larger than the topic's maximum (docs/spec.md §5: 4 KiB). */
  MESSAGE_TOO_LARGE = "GOSSIP_ERROR_MESSAGE_TOO_LARGE",
  /** A message on a topic with no registered validator. */
  NO_VALIDATOR = "GOSSIP_ERROR_NO_VALIDATOR",
  /** Too many messages already waiting for validation. */
  QUEUE_FULL = "GOSSIP_ERROR_QUEUE_FULL",
  /** The forwarding peer has `maxPendingValidationsPerPeer` messages in validation already. */
  PEER_QUEUE_FULL = "GOSSIP_ERROR_PEER_QUEUE_FULL",
  /** The validator did not finish within `validationTimeoutMs`. */
  VALIDATION_TIMEOUT = "GOSSIP_ERROR_VALIDATION_TIMEOUT",
  /** The validator threw something that is not a GossipActionError: our fault, not the peer's. */
  VALIDATOR_FAILED = "GOSSIP_ERROR_VALIDATOR_FAILED",
}

/**
 * Thrown by gossip validators. `code` is a stable string such as
 * "ATTESTATION_ERROR_UNKNOWN_SET"; it becomes a metrics label.
 */
export class GossipActionError<C extends string = string> extends ProtocolError<C> {
  readonly action: GossipAction;

  constructor(action: GossipAction, code: C, detail?: string) {
    super(code, detail);
    this.name = "GossipActionError";
    this.action = action;
  }
}

/**
 * An IGNORE for a message whose slot has not started here yet (docs/spec.md
 * §5.3): the network layer may hold the message and validate it again once
 * `slot` starts, when this node's L1 head has caught up with the sender's.
 */
export class GossipFutureSlotError<C extends string = string> extends GossipActionError<C> {
  constructor(
    code: C,
    readonly slot: bigint,
    detail?: string,
  ) {
    super(GossipAction.IGNORE, code, detail);
    this.name = "GossipFutureSlotError";
  }
}

/**
 * [IGNORE] signed under a verifier set this node does not hold, or for a slot
 * its sets are not known to be current for (docs/spec.md §5.3): the node asks
 * the anchor for its sets, and the network layer may hold the message and
 * validate it again once that refresh is done.
 */
export class GossipUnknownSetError<C extends string = string> extends GossipActionError<C> {
  constructor(code: C, detail?: string) {
    super(GossipAction.IGNORE, code, detail);
    this.name = "GossipUnknownSetError";
  }
}

export function isGossipActionError(e: unknown): e is GossipActionError {
  return e instanceof GossipActionError;
}

/** Client-side outcomes of a req/resp request. */
export enum RequestErrorCode {
  /** The payload to send is over the protocol's request cap. */
  REQUEST_TOO_LARGE = "REQRESP_ERROR_REQUEST_TOO_LARGE",
  /** Protocol not known to this node. */
  UNKNOWN_PROTOCOL = "REQRESP_ERROR_UNKNOWN_PROTOCOL",
  /** Could not connect or negotiate the protocol. */
  DIAL_ERROR = "REQRESP_ERROR_DIAL_ERROR",
  /** No first response byte within the TTFB limit. */
  TTFB_TIMEOUT = "REQRESP_ERROR_TTFB_TIMEOUT",
  /** The whole response did not arrive within the total limit. */
  RESP_TIMEOUT = "REQRESP_ERROR_RESP_TIMEOUT",
  /** The responder answered INVALID_REQUEST. */
  INVALID_REQUEST = "REQRESP_ERROR_INVALID_REQUEST",
  /** The responder answered SERVER_ERROR. */
  SERVER_ERROR = "REQRESP_ERROR_SERVER_ERROR",
  /** The responder answered RESOURCE_UNAVAILABLE. */
  RESOURCE_UNAVAILABLE = "REQRESP_ERROR_RESOURCE_UNAVAILABLE",
  /** The responder answered RATE_LIMITED. */
  RATE_LIMITED = "REQRESP_ERROR_RATE_LIMITED",
  /** A response frame over the chunk cap, too many chunks, or over the total cap. */
  RESPONSE_TOO_LARGE = "REQRESP_ERROR_RESPONSE_TOO_LARGE",
  /** Malformed framing, unknown response code, or an empty frame. */
  INVALID_RESPONSE = "REQRESP_ERROR_INVALID_RESPONSE",
  /** The stream failed (reset, closed before any chunk…). */
  STREAM_ERROR = "REQRESP_ERROR_STREAM_ERROR",
  /** The network is stopping or stopped. */
  STOPPED = "REQRESP_ERROR_STOPPED",
}

export class RequestError extends ProtocolError<RequestErrorCode> {
  /** Protocol id the request was for. */
  readonly protocol: string;
  readonly peer: string;

  constructor(code: RequestErrorCode, protocol: string, peer: string, detail?: string) {
    super(code, detail);
    this.name = "RequestError";
    this.protocol = protocol;
    this.peer = peer;
  }
}

export function isRequestError(e: unknown): e is RequestError {
  return e instanceof RequestError;
}

/** Error codes of the network lifecycle and peer management. */
export enum NetworkErrorCode {
  NOT_STARTED = "NETWORK_ERROR_NOT_STARTED",
  INVALID_PEER_ID = "NETWORK_ERROR_INVALID_PEER_ID",
  INVALID_MULTIADDR = "NETWORK_ERROR_INVALID_MULTIADDR",
  INVALID_NETWORK_NAME = "NETWORK_ERROR_INVALID_NETWORK_NAME",
  INVALID_PRIVATE_KEY = "NETWORK_ERROR_INVALID_PRIVATE_KEY",
  PUBLISH_FAILED = "NETWORK_ERROR_PUBLISH_FAILED",
}
