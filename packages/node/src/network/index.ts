// Public surface of the network layer.
export {
  GossipAction,
  GossipActionError,
  GossipErrorCode,
  isGossipActionError,
  isRequestError,
  NetworkErrorCode,
  RequestError,
  RequestErrorCode,
} from "./errors.js";
export {
  type AcceptedGossipMessage,
  Gossip,
  type GossipAcceptedHandler,
  type GossipMessage,
  type GossipOutcome,
  type GossipPublishResult,
  type GossipValidationResult,
  type GossipValidatorFn,
  gossipTopicScoreParams,
} from "./gossip.js";
export {
  type ConnectionDirection,
  defaultGossipScoreThresholds,
  generatePeerKey,
  gossipMessageId,
  type HostStream,
  type PublishOutcome,
  peerIdFromPeerKey,
  peerIdOfMultiaddr,
} from "./host.js";
export {
  INBOUND_STREAM_BURST,
  INBOUND_STREAMS_PER_SECOND,
  type InboundStreamAbuse,
  MAX_NEGOTIATION_BYTES,
} from "./inboundStreams.js";
export { Network, type NetworkEvents, type NetworkModules } from "./network.js";
export {
  defaultNetworkOptions,
  type GossipOptions,
  MIN_SEND_BACKLOG_BYTES,
  type NetworkOptions,
  type NetworkOptionsInput,
  type ReqRespOptions,
  resolveNetworkOptions,
} from "./options.js";
export {
  type KnownPeersStore,
  type LocalStatus,
  MAX_BANS,
  PeerDisconnectReason,
  type PeerInfo,
  PeerManager,
} from "./peers.js";
export {
  REQRESP_PROTOCOLS,
  ReqRespProtocolName,
  type ReqRespProtocolSpec,
  reqRespProtocolId,
} from "./reqresp/protocols.js";
export { PeerRateLimiter, type RateLimit } from "./reqresp/rateLimiter.js";
export { ReqResp, type RequestOptions } from "./reqresp/reqResp.js";
export { type ReqRespHandler, type ReqRespRequest, ResponseCode, ResponseError } from "./reqresp/types.js";
export {
  AppPenalties,
  decayFactor,
  defaultScoringOptions,
  derivePeerScoreParams,
  deriveTopicScoreParams,
  maxPositiveScore,
  messagesPerSlot,
  type ScoringOptions,
  topicScoreCap,
} from "./scoring.js";
export {
  GOSSIP_KINDS,
  GOSSIP_MAX_BYTES,
  GossipKind,
  gossipTopic,
  isValidNetworkName,
  parseGossipTopic,
} from "./topics.js";
