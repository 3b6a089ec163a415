// Options of the network layer (NetworkOptions) and their defaults. The node's
// NodeOptions embeds these; the CLI deep-merges flags over defaultNetworkOptions.
import type { PeerScoreParams, PeerScoreThresholds } from "@libp2p/gossipsub/score";
import { defaultGossipRpcLimits, type GossipRpcLimits } from "./gossipRpc.js";
import { DEFAULT_MAX_CONCURRENT_TABLE_RESPONSES, type ReqRespProtocolName } from "./reqresp/protocols.js";
import type { RateLimit } from "./reqresp/rateLimiter.js";
import { defaultScoringOptions, type ScoringOptions } from "./scoring.js";

export interface GossipOptions {
  /** Gossipsub mesh degree. @default 8 (Ethereum consensus p2p spec) */
  D?: number;
  /** @default 6 */
  Dlo?: number;
  /** @default 12 */
  Dhi?: number;
  /** @default 6 */
  Dlazy?: number;
  /** @default 700 (Ethereum consensus p2p spec) */
  heartbeatIntervalMs?: number;
  /**
   * Own messages go to every topic peer above the publish threshold, not only
   * to the mesh. @default true
   */
  floodPublish?: boolean;
  /**
   * A received message of at least this many data bytes is announced with
   * IDONTWANT to the other mesh peers before it is validated. @default 512
   * (gossipsub's own)
   */
  idontwantMinDataSize?: number;
  /**
   * Largest RPC frame gossipsub accepts from a peer (several messages plus control).
   * @default 1 MiB: 256 maximum-size messages
   */
  maxInboundRpcBytes: number;
  /** Element counts per RPC (subscriptions, messages, control ids). @default defaultGossipRpcLimits */
  rpcLimits: GossipRpcLimits;
  /**
   * Messages waiting for or in validation at once; beyond it new ones are IGNOREd.
   * @default 4096
   */
  maxPendingValidations: number;
  /**
   * The same, per forwarding peer: one peer cannot fill the whole queue. Its
   * stream is not read while it has GOSSIP_PEER_BACKLOG_PAUSE pending, so this
   * binds only for an RPC that brings many messages at once.
   * @default 1024: one RPC's worth (rpcLimits.maxMessages)
   */
  maxPendingValidationsPerPeer: number;
  /**
   * A validation still running after this is IGNOREd and its slot freed.
   * @default 12000: one Ethereum slot; a later verdict is of no use to the mesh
   */
  validationTimeoutMs: number;
  /**
   * A message for a slot that has not started here yet (this node's L1 head
   * behind the sender's), and at most this many slots beyond the future
   * tolerance, is held and validated again when its slot starts instead of
   * being IGNOREd and lost to gossipsub's seen cache (docs/spec.md §5.3).
   * 0 turns holding off.
   * @default 2
   */
  futureHoldSlots: number;
  /**
   * Messages held at once; beyond it they are IGNOREd at once, as without holding.
   * @default 512: the votes of a 256-key set for two slots
   */
  futureHoldMax: number;
  /**
   * The same, per forwarding peer: one peer cannot take the whole hold. Keep it
   * well below GOSSIP_PEER_BACKLOG_PAUSE (256; the config allows at most 128),
   * so that held messages alone never stop the reading of a peer's stream.
   * @default 64
   */
  futureHoldMaxPerPeer: number;
  /**
   * A held message whose slot has not started after this long is IGNOREd.
   * @default 12000: one Ethereum slot
   */
  futureHoldMs: number;
  /**
   * A message under a verifier set this node does not hold, or for a slot its
   * sets are not known current for, is held until the node's next refresh of
   * its sets from the anchor (which the message asks for) is done, at most
   * this long, and then validated again instead of being IGNOREd and lost to
   * gossipsub's seen cache (docs/spec.md §5.3). It shares the bounds of
   * `futureHoldMax` and `futureHoldMaxPerPeer`. Nothing is held when the sets
   * come from files only. 0 turns holding off.
   * @default 6000: a refresh waits at most the 2 s between refreshes a
   * message may ask for, then takes two contract reads
   */
  unknownSetHoldMs: number;
  /**
   * IGNOREs a forwarding peer may cause before each further one is charged
   * `scoring.ignorePenalty` (docs/spec.md §5.3): a token bucket of `burst`,
   * refilled at `perSecond`. Only verdicts about the message count (unknown
   * set, slot out of the window, already seen, no more weight, over a
   * builder's allowance…), not this node's own limits (queue full, timeout).
   * An honest peer forwards only what it accepted, so its IGNOREs here come
   * from this node lagging (head, sets) or from races, at most the votes of
   * one set per slot.
   * @default { burst: 4096, perSecond: 512 }: a full 4,096-key set's votes at
   * once, and above one such set per 12 s slot (341/s) sustained
   */
  ignoreBudget: { burst: number; perSecond: number };
  /** Overrides over the peer score params (topic params come through the scoring hook). */
  scoreParams: Partial<PeerScoreParams>;
  /** Overrides over `defaultGossipScoreThresholds`. */
  scoreThresholds: Partial<PeerScoreThresholds>;
}

export interface ReqRespOptions {
  /** Time to open a stream (dial + protocol negotiation). @default 5000 */
  dialTimeoutMs: number;
  /** Client: time from sending the request to the first response byte. @default 5000 */
  ttfbTimeoutMs: number;
  /** Client and server: time for the whole response. @default 20000 (16 MiB table at ≥ 1 MiB/s) */
  respTimeoutMs: number;
  /** Server: time for the requester to deliver its request. @default 5000 */
  requestTimeoutMs: number;
  /** Server: concurrent inbound streams per peer, over all protocols. @default 8 */
  maxConcurrentInboundPerPeer: number;
  /**
   * Server: `table_by_digest` responses in progress at once over all peers
   * (each holds its table, up to 16 MiB, until read or timed out); one per
   * peer. @default 4
   */
  maxConcurrentTableResponses: number;
  /** Per-peer token buckets per protocol, overriding `defaultRateLimits`. */
  rateLimits: Partial<Record<ReqRespProtocolName, RateLimit>>;
  /** Token buckets over all peers per protocol, overriding the protocols' `totalRateLimit`. */
  totalRateLimits: Partial<Record<ReqRespProtocolName, RateLimit>>;
}

export interface NetworkOptions {
  /** Network name: part of every gossip topic and hashed into Status. @default "devnet" */
  network: string;
  /** @default ["/ip4/127.0.0.1/tcp/0"]: local only until told otherwise */
  listenAddrs: string[];
  /** Addresses to announce instead of the listen addresses. @default [] */
  announceAddrs: string[];
  /**
   * Multiaddrs with /p2p/<id>, dialed at start and redialed with backoff
   * (like static peers) whenever the node has fewer than `targetPeers`. @default []
   */
  bootstrapPeers: string[];
  /** Connected peers below which bootstrap peers are redialed. @default 16 */
  targetPeers: number;
  /** Multiaddrs with /p2p/<id>, kept connected: redialed with backoff whenever lost. @default [] */
  staticPeers: string[];
  /**
   * Gossipsub peer exchange: PRUNEs we send carry other peers (signed peer
   * records), and PRUNEs from peers scoring at least acceptPXThreshold (our
   * bootstrap and static peers, or peers that earned it) make us dial the
   * peers they carry. A node that knows one bootstrap peer learns the rest
   * of the network this way. @default true
   */
  peerExchange: boolean;
  /**
   * All peers may share one IP (devnets, tests): lifts libp2p's per-host inbound
   * rate limit and turns off gossipsub's IP-colocation penalty. @default false
   */
  localNetwork: boolean;
  /** Upper bound on open connections. @default 64 */
  maxConnections: number;
  /**
   * Inbound connections accepted from one IP while this many are open from it.
   * @default 8 (16384 with localNetwork, where every peer shares 127.0.0.1)
   */
  maxConnectionsPerIp: number;
  /** @default 10000 */
  dialTimeoutMs: number;
  /**
   * A connection nothing arrived on for this long is pinged (network/liveness.ts,
   * docs/spec.md §5.5); a ping that fails or times out closes the connection,
   * which is how a peer that vanished without a FIN (crash of its host, a cut
   * link, a frozen process) is noticed: within 1.5 × pingIntervalMs +
   * pingTimeoutMs of the last thing it sent. A link that carries gossip is
   * never pinged, and a quiet one by one end only (the ping is traffic at the
   * other). Each ping opens a stream (yamux, multistream negotiation), about
   * 2.5 ms of CPU per peer on this machine, so the interval sets the idle cost
   * per peer. 30 s is Lighthouse's and Lodestar's order of magnitude for their
   * own eth2 pings (15–20 s).
   * @default 30000
   */
  pingIntervalMs: number;
  /**
   * Longest a ping may take before the connection is closed.
   * @default 15000
   */
  pingTimeoutMs: number;
  /**
   * Writes to a connection are joined until the job that made them ends
   * (0), or, on a busy connection, until this many milliseconds after its
   * last write: fewer noise frames, socket writes and packets, for at most
   * that much latency per hop. The first write after a quiet window is not
   * held. A closing connection sends what is still held before its socket
   * closes. Not the default: on loopback, 5-node gossip of one message every
   * 5 ms (every connection always busy) took p50 / p99 8.8 / 22.5 ms with
   * 10 ms against 1.2 / 5.7 ms without. Measured under the earlier rule
   * (the first write opened the window): with 10 ms in an 8-slot 32-host sim
   * (50–150 ms links), 14 % fewer packets, 10 % less CPU, certificate p99
   * 0.17 against 0.24 of the slot (one pair of runs); with 5 ms on the
   * loopback 8-node × 8-key benchmark, CPU and latency within the run-to-run
   * noise (5 runs each). Under this rule, 10 ms on that benchmark: 53.1 and
   * 57.0 ms CPU per node per slot against 54.6 and 59.8 with 0 (alternating
   * whole runs).
   * @default 0
   */
  writeCoalesceMs: number;
  /**
   * The connected peers worth dialing after a restart (past Status, score not
   * below zero, at most targetPeers) are saved this often when they changed,
   * and at stop: a node that crashed, and whose bootstrap peers are gone as
   * well, redials them at start. 0 saves at stop only. @default 30000
   */
  knownPeersSaveIntervalMs: number;
  /** Static peer redial backoff: first delay, doubling up to the max. @default 1000 / 60000 */
  staticPeerRedialMinMs: number;
  staticPeerRedialMaxMs: number;
  /** Status requests on connect: attempts before giving up on a peer. @default 3 */
  statusAttempts: number;
  /** How long a ban from `banPeer` lasts by default. @default 3_600_000 (1 h) */
  banDurationMs: number;
  /**
   * Ban of a peer (not a static one) that never completed Status in
   * `statusAttempts`; 0 only disconnects it. @default 60_000
   */
  statusFailureBanMs: number;
  /**
   * Bytes this node holds unsent for one peer, per stream and per connection,
   * before it drops and bans that peer (docs/spec.md §5.5). A peer that keeps
   * its link busy but stops reading what it is sent is never pinged and would
   * otherwise make the node keep every gossip message meant for it, for as
   * long as it stays. The bound: one slot of the largest verifier set's votes
   * (4,096 attestations of about 350 bytes, 1.4 MB) still waiting for a peer
   * whose reading is one slot behind, with room for certificates; req/resp
   * answers wait for the peer to read each 64 KiB piece and stay far below it.
   * At `maxConnections` peers it bounds what readers can make the node hold
   * (64 × 2 MiB per stream, the noise layer and the socket).
   * @default 2 MiB (at least 128 KiB)
   */
  maxSendBacklogBytes: number;
  /** Ban of a peer whose unsent bytes passed maxSendBacklogBytes; 0 only disconnects it. @default 600_000 */
  sendBacklogBanMs: number;
  gossip: GossipOptions;
  reqResp: ReqRespOptions;
  /** Peer scoring: the rates topic score params are derived from, graylist bans, penalties. */
  scoring: ScoringOptions;
}

const LOCAL_MAX_CONNECTIONS_PER_IP = 16_384;

/** Smallest maxSendBacklogBytes: two of the 64 KiB pieces req/resp answers are written in. */
export const MIN_SEND_BACKLOG_BYTES = 128 * 1024;

export const defaultNetworkOptions: NetworkOptions = {
  network: "devnet",
  listenAddrs: ["/ip4/127.0.0.1/tcp/0"],
  announceAddrs: [],
  bootstrapPeers: [],
  // Gossipsub's D_high (12) mesh peers plus a few more for IHAVE gossip.
  targetPeers: 16,
  staticPeers: [],
  peerExchange: true,
  localNetwork: false,
  // Gossip needs D_high = 12 mesh peers per topic plus room for churn and
  // req/resp-only peers; 64 keeps a node cheap to run.
  maxConnections: 64,
  // A few nodes behind one NAT share an IP; dozens from one address are one operator.
  maxConnectionsPerIp: 8,
  dialTimeoutMs: 10_000,
  pingIntervalMs: 30_000,
  pingTimeoutMs: 15_000,
  writeCoalesceMs: 0,
  knownPeersSaveIntervalMs: 30_000,
  staticPeerRedialMinMs: 1_000,
  staticPeerRedialMaxMs: 60_000,
  statusAttempts: 3,
  banDurationMs: 3_600_000,
  statusFailureBanMs: 60_000,
  maxSendBacklogBytes: 2 * 1024 * 1024,
  sendBacklogBanMs: 600_000,
  gossip: {
    maxInboundRpcBytes: 1024 * 1024,
    rpcLimits: defaultGossipRpcLimits,
    maxPendingValidations: 4096,
    maxPendingValidationsPerPeer: 1024,
    validationTimeoutMs: 12_000,
    futureHoldSlots: 2,
    futureHoldMax: 512,
    futureHoldMaxPerPeer: 64,
    futureHoldMs: 12_000,
    unknownSetHoldMs: 6_000,
    ignoreBudget: { burst: 4096, perSecond: 512 },
    scoreParams: {},
    scoreThresholds: {},
  },
  reqResp: {
    dialTimeoutMs: 5_000,
    ttfbTimeoutMs: 5_000,
    respTimeoutMs: 20_000,
    requestTimeoutMs: 5_000,
    maxConcurrentInboundPerPeer: 8,
    maxConcurrentTableResponses: DEFAULT_MAX_CONCURRENT_TABLE_RESPONSES,
    rateLimits: {},
    totalRateLimits: {},
  },
  scoring: defaultScoringOptions,
};

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};
export type NetworkOptionsInput = DeepPartial<NetworkOptions>;

/** `defaultNetworkOptions` with `over` merged in, one level deep for gossip, reqResp and scoring. */
export function resolveNetworkOptions(over: NetworkOptionsInput = {}): NetworkOptions {
  const d = defaultNetworkOptions;
  return {
    ...d,
    ...(over as Partial<NetworkOptions>),
    // Every peer of a local network shares 127.0.0.1: lifted unless set.
    maxConnectionsPerIp:
      over.maxConnectionsPerIp ?? (over.localNetwork ? LOCAL_MAX_CONNECTIONS_PER_IP : d.maxConnectionsPerIp),
    gossip: {
      ...d.gossip,
      ...over.gossip,
      ignoreBudget: { ...d.gossip.ignoreBudget, ...over.gossip?.ignoreBudget },
    } as GossipOptions,
    reqResp: {
      ...d.reqResp,
      ...over.reqResp,
      rateLimits: { ...d.reqResp.rateLimits, ...over.reqResp?.rateLimits },
      totalRateLimits: { ...d.reqResp.totalRateLimits, ...over.reqResp?.totalRateLimits },
    } as ReqRespOptions,
    scoring: { ...d.scoring, ...over.scoring } as ScoringOptions,
  };
}
