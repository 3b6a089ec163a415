// The req/resp protocols of docs/spec.md §5 with their size caps and default
// per-peer rate limits. Payloads are SSZ; the framework itself moves bytes.
import {
  MAX_TABLE_BYTES,
  MAX_TABLE_FRAME_BYTES,
  sszCertificatesByRangeRequest,
  sszCertificatesByRangeResponse,
  sszStatus,
  sszTableByDigestRequest,
} from "@ocp/protocol";
import type { RateLimit } from "./rateLimiter.js";

/** `table_by_digest` responses in progress at once over all peers: 4 × 16 MiB at most. */
export const DEFAULT_MAX_CONCURRENT_TABLE_RESPONSES = 4;

export enum ReqRespProtocolName {
  status = "status",
  tableByDigest = "table_by_digest",
  certificatesByRange = "certificates_by_range",
}

export function reqRespProtocolId(name: ReqRespProtocolName): string {
  return `/ocp/1/${name}/ssz`;
}

export interface ReqRespProtocolSpec {
  name: ReqRespProtocolName;
  /** libp2p protocol id, `/ocp/1/<name>/ssz`. */
  protocolId: string;
  /** Largest request payload (the SSZ request type's maximum size). */
  maxRequestBytes: number;
  /** Largest payload of one response chunk. */
  maxChunkBytes: number;
  /** Most chunks in one response. */
  maxChunks: number;
  /** Largest sum of chunk payloads in one response. */
  maxResponseBytes: number;
  /** Default per-peer limit for inbound requests. */
  rateLimit: RateLimit;
  /**
   * Default limit for inbound requests over all peers: peer ids are free, so
   * a per-peer limit alone does not bound the work a party with many of them
   * asks for. Requests over it are refused as busy (not charged).
   */
  totalRateLimit?: RateLimit;
  /**
   * Responses to one peer in progress at once; more are refused as rate
   * limited (and charged). Unset: only `maxConcurrentInboundPerPeer` applies.
   */
  maxInProgressPerPeer?: number;
  /**
   * Responses in progress at once over all peers; more are refused as busy
   * (not charged: the peer did nothing wrong). Unset: no total cap.
   */
  maxInProgress?: number;
}

// Caps are the SSZ types' maximum sizes (packages/protocol/src/ssz/types.ts).
const STATUS_MAX_BYTES = sszStatus.maxSize;
const TABLE_BY_DIGEST_REQUEST_BYTES = sszTableByDigestRequest.maxSize;
const CERTIFICATES_BY_RANGE_REQUEST_BYTES = sszCertificatesByRangeRequest.maxSize;
const CERTIFICATES_RESPONSE_MAX_BYTES = sszCertificatesByRangeResponse.maxSize;

export const REQRESP_PROTOCOLS: Readonly<Record<ReqRespProtocolName, ReqRespProtocolSpec>> = {
  [ReqRespProtocolName.status]: {
    name: ReqRespProtocolName.status,
    protocolId: reqRespProtocolId(ReqRespProtocolName.status),
    maxRequestBytes: STATUS_MAX_BYTES,
    maxChunkBytes: STATUS_MAX_BYTES,
    maxChunks: 1,
    maxResponseBytes: STATUS_MAX_BYTES,
    // Exchanged once per connection; Lodestar allows 5 per 15 s.
    rateLimit: { perSecond: 1 / 3, burst: 5 },
  },
  [ReqRespProtocolName.tableByDigest]: {
    name: ReqRespProtocolName.tableByDigest,
    protocolId: reqRespProtocolId(ReqRespProtocolName.tableByDigest),
    maxRequestBytes: TABLE_BY_DIGEST_REQUEST_BYTES,
    // docs/spec.md §5: tables up to 16 MiB, sent in frames of at most 1 MiB.
    maxChunkBytes: MAX_TABLE_FRAME_BYTES,
    maxChunks: MAX_TABLE_BYTES / MAX_TABLE_FRAME_BYTES,
    maxResponseBytes: MAX_TABLE_BYTES,
    // Up to 16 MiB each: a table per slot is the normal need.
    rateLimit: { perSecond: 0.5, burst: 4 },
    // The node itself never asks peers for tables; tools that do, rarely.
    totalRateLimit: { perSecond: 1, burst: 8 },
    // A response holds its whole table (up to 16 MiB) until the peer has read
    // it or the response times out (20 s), whether or not the peer reads: one
    // at a time per peer, and `ReqRespOptions.maxConcurrentTableResponses`
    // over all peers, bound what requests can make this node hold
    // (docs/spec.md §5.4).
    maxInProgressPerPeer: 1,
    maxInProgress: DEFAULT_MAX_CONCURRENT_TABLE_RESPONSES,
  },
  [ReqRespProtocolName.certificatesByRange]: {
    name: ReqRespProtocolName.certificatesByRange,
    protocolId: reqRespProtocolId(ReqRespProtocolName.certificatesByRange),
    maxRequestBytes: CERTIFICATES_BY_RANGE_REQUEST_BYTES,
    // One chunk: the SSZ list of up to 64 certificates (docs/spec.md §5).
    maxChunkBytes: CERTIFICATES_RESPONSE_MAX_BYTES,
    maxChunks: 1,
    maxResponseBytes: CERTIFICATES_RESPONSE_MAX_BYTES,
    // 2 × 64 certificates a second lets a peer catch up on a day of slots in minutes.
    rateLimit: { perSecond: 2, burst: 8 },
    // An answer costs about 1 ms of CPU (a 64-slot read, decode and encode);
    // honest peers ask during catch-up only, each round three peers at
    // random, at most one round a second (docs/spec.md §6).
    totalRateLimit: { perSecond: 16, burst: 64 },
  },
};
