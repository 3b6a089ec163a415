// The node's network: one libp2p host with gossip, req/resp and peer
// management wired together behind a `(opts, modules)` component with start/stop.
import "../polyfill.js";
import { EventEmitter } from "node:events";
import type { TopicScoreParams } from "@libp2p/gossipsub/score";
import { ProtocolError } from "@ocp/protocol";
import { type Logger, pino } from "pino";
import type { Registry } from "prom-client";
import type { BoundsReport } from "../metrics/bounds.js";
import type { NetworkMetrics } from "../metrics/network.js";
import { NetworkErrorCode } from "./errors.js";
import {
  type AcceptedGossipMessage,
  Gossip,
  type GossipAcceptedHandler,
  type GossipPublishResult,
  type GossipValidatorFn,
  gossipTopicScoreParams,
} from "./gossip.js";
import { createHost, defaultGossipScoreThresholds, type Host, type HostStream } from "./host.js";
import type { NetworkOptions, NetworkOptionsInput } from "./options.js";
import { resolveNetworkOptions } from "./options.js";
import {
  type KnownPeersStore,
  type LocalStatus,
  MAX_BANS,
  PeerDisconnectReason,
  type PeerInfo,
  PeerManager,
} from "./peers.js";
import type { ReqRespProtocolName } from "./reqresp/protocols.js";
import { ReqResp, type RequestOptions } from "./reqresp/reqResp.js";
import type { ReqRespHandler } from "./reqresp/types.js";
import { AppPenalties, derivePeerScoreParams, deriveTopicScoreParams } from "./scoring.js";
import { type GossipKind, isValidNetworkName } from "./topics.js";

/** Time for the PRUNEs of a graceful leave to be written before connections close (local work only). */
const LEAVE_PRUNE_FLUSH_MS = 200;
export interface NetworkModules {
  /**
   * Protobuf-encoded libp2p private key, or its loader (run at start);
   * generated when absent (read `network.privateKey` to persist it).
   */
  privateKey?: Uint8Array | (() => Promise<Uint8Array | undefined>);
  logger?: Logger;
  /** The network's counters (metrics/metrics.ts); null or absent: not counted. */
  metrics?: NetworkMetrics | null;
  /** libp2p's own metrics (connections, streams, protocol bytes) land in this registry. */
  metricsRegistry?: Registry;
  /** Chain part of our Status (set ids, slots); zeros and no sets when absent. */
  getStatus?: () => LocalStatus;
  knownPeers?: KnownPeersStore;
  /**
   * Gossip topic score params per kind, replacing the ones derived from
   * `opts.scoring` (network/scoring.ts) for the kinds given.
   */
  topicScoreParams?: Partial<Record<GossipKind, TopicScoreParams>>;
  /** Application-specific gossipsub score per peer, added to the network's own req/resp penalties. */
  appSpecificScore?: (peer: string) => number;
  /** Waits for a slot to start (gossip/GossipModules.awaitSlot); messages from the future are IGNOREd at once without it. */
  awaitSlot?: (slot: bigint, aheadSlots: number, maxMs: number) => Promise<boolean> | null;
  /** Waits for a successful set refresh (gossip/GossipModules.awaitSets); messages under unknown sets are IGNOREd at once without it. */
  awaitSets?: (maxMs: number) => Promise<boolean> | null;
}

export interface NetworkEvents {
  /** A peer on our network finished the status exchange. */
  "peer:connected": [PeerInfo];
  /** A peer previously reported by peer:connected is gone. */
  "peer:disconnected": [string];
  /** A gossip message was accepted (after the kind's own handler ran). */
  "gossip:accepted": [AcceptedGossipMessage];
}

export class Network {
  readonly opts: NetworkOptions;
  readonly metrics: NetworkMetrics | null;
  readonly events = new EventEmitter<NetworkEvents>();
  /** Gossipsub's graylist threshold in force (defaults merged with `gossip.scoreThresholds`). */
  readonly graylistThreshold: number;
  /** Req/resp abuse penalties feeding the application-specific score. */
  readonly penalties: AppPenalties;
  private readonly logger: Logger;
  private host_: Host | undefined;
  private gossip_: Gossip | undefined;
  private reqResp_: ReqResp | undefined;
  private peers_: PeerManager | undefined;
  private readonly pendingSubscriptions: [
    GossipKind,
    GossipValidatorFn,
    GossipAcceptedHandler | undefined,
  ][] = [];
  private readonly pendingHandlers: [ReqRespProtocolName, ReqRespHandler][] = [];
  private state: "new" | "starting" | "started" | "stopping" | "stopped" = "new";
  private stopPromise: Promise<void> | undefined;

  constructor(
    opts: NetworkOptionsInput,
    private readonly modules: NetworkModules = {},
  ) {
    this.opts = resolveNetworkOptions(opts);
    if (!isValidNetworkName(this.opts.network))
      throw new ProtocolError(
        NetworkErrorCode.INVALID_NETWORK_NAME,
        `invalid network name "${this.opts.network}"`,
      );
    this.logger = modules.logger ?? pino({ level: "silent" });
    this.metrics = modules.metrics ?? null;
    this.events.setMaxListeners(100);
    this.graylistThreshold =
      this.opts.gossip.scoreThresholds.graylistThreshold ?? defaultGossipScoreThresholds.graylistThreshold;
    this.penalties = new AppPenalties(this.opts.scoring.penaltyHalfLifeMs, 4 * this.opts.maxConnections);
  }

  async start(): Promise<void> {
    if (this.state !== "new") return;
    this.state = "starting";
    const { opts, modules, metrics, logger } = this;
    let peers: PeerManager | undefined;
    const thresholds = { ...defaultGossipScoreThresholds, ...opts.gossip.scoreThresholds };
    const derived = deriveTopicScoreParams(opts.scoring, thresholds.graylistThreshold, opts.gossip.D ?? 8);
    const penalties = this.penalties;
    let gossipRef: Gossip | undefined;
    const privateKey =
      typeof modules.privateKey === "function" ? await modules.privateKey() : modules.privateKey;
    const host = await createHost(opts, {
      privateKey,
      isDenied: (peer) => peers?.isBanned(peer) ?? false,
      isIpDenied: (ip) => peers?.isIpBanned(ip) ?? false,
      isDialDenied: (peer) => peers?.isDialDenied(peer) ?? false,
      gossipInbound: {
        // Gossip only from peers that passed Status on our network.
        admit: (peer) => peers?.waitForStatus(peer) ?? Promise.resolve(false),
        backlog: (peer) => gossipRef?.backlog(peer) ?? 0,
        backlogBelow: (peer, n) => gossipRef?.backlogBelow(peer, n) ?? Promise.resolve(),
        onDropped: (peer, reason) => {
          metrics?.gossipRpcDropped.inc({ reason });
          penalties.penalize(peer, opts.scoring.badRpcPenalty);
          // Banned as soon as its penalties alone pass the graylist, not at the next score check.
          peers?.checkPeerScore(peer, penalties.score(peer));
        },
        onMessages: (n) => metrics?.gossipMessagesReceived.inc(n),
      },
      appSpecificScore: (peer) =>
        penalties.score(peer) +
        (modules.appSpecificScore?.(peer) ?? 0) +
        // Peer exchange is accepted only from peers scoring at least acceptPXThreshold: the
        // operator's bootstrap and static peers start there; others must earn it.
        (peers?.isConfiguredPeer(peer) ? thresholds.acceptPXThreshold : 0),
      topicScoreParams: gossipTopicScoreParams(opts.network, { ...derived, ...modules.topicScoreParams }),
      scoreParams: derivePeerScoreParams(opts.scoring, opts.localNetwork, thresholds.gossipThreshold),
      ...(modules.metricsRegistry ? { metricsRegistry: modules.metricsRegistry } : {}),
      onLivenessCheck: (result) => metrics?.livenessChecks.inc({ result }),
      // More than two pings at once, or a ping stream left idle (docs/spec.md §5.5): that stream is reset already.
      onPingAbuse: (peer, reason) => {
        metrics?.peerEvents.inc({ event: "ping_abuse" });
        logger.debug({ peer, reason }, "ping stream reset");
        penalties.penalize(peer, opts.scoring.rateLimitPenalty);
      },
      // Too many new streams, or too many bytes before a protocol was agreed (docs/spec.md §5.5):
      // that stream is reset already. Honest peers do neither; ten within a half-life graylist.
      onStreamAbuse: (peer, reason) => {
        metrics?.peerEvents.inc({ event: reason });
        logger.debug({ peer, reason }, "inbound stream reset");
        penalties.penalize(peer, opts.scoring.badRpcPenalty);
        peers?.checkPeerScore(peer, penalties.score(peer));
      },
      // It stopped reading what it is sent (docs/spec.md §5.5): its connection is closed already.
      onSendBacklogOverflow: (peer, where) => {
        metrics?.peerEvents.inc({ event: "send_backlog_overflow" });
        logger.warn(
          { peer, where, maxBytes: opts.maxSendBacklogBytes },
          "peer does not read what it is sent",
        );
        if (peer === undefined || peers === undefined) return;
        if (opts.sendBacklogBanMs > 0)
          void peers.ban(peer, opts.sendBacklogBanMs, "unsent bytes over the bound");
        else void peers.disconnect(peer, PeerDisconnectReason.SEND_BACKLOG);
      },
    });
    const reqResp = new ReqResp(opts.reqResp, {
      host,
      metrics,
      // Every refused request lowers the peer's score; enough of them graylist it.
      onRateLimited: (peer) => penalties.penalize(peer, opts.scoring.rateLimitPenalty),
    });
    const gossip = new Gossip(
      { ...opts.gossip, network: opts.network },
      {
        host,
        metrics,
        logger,
        onAccepted: (m) => this.events.emit("gossip:accepted", m),
        onLateReject: (peer) => penalties.penalize(peer, opts.scoring.rejectPenalty),
        // IGNOREs past what honest forwarding explains are charged; banned once they graylist.
        onIgnoreOverBudget: (peer) => {
          penalties.penalize(peer, opts.scoring.ignorePenalty);
          peers?.checkPeerScore(peer, penalties.score(peer));
        },
        ...(modules.awaitSlot ? { awaitSlot: modules.awaitSlot } : {}),
        ...(modules.awaitSets ? { awaitSets: modules.awaitSets } : {}),
      },
    );
    gossipRef = gossip;
    peers = new PeerManager(opts, {
      host,
      reqResp,
      metrics,
      logger,
      getStatus: modules.getStatus ?? (() => ({ setIds: [], latestCertifiedSlot: 0n, headSlot: 0n })),
      getScore: (peer) => host.pubsub.getScore(peer),
      graylistThreshold: thresholds.graylistThreshold,
      knownPeers: modules.knownPeers,
      onPeerConnected: (p) => this.events.emit("peer:connected", p),
      onPeerDisconnected: (p) => this.events.emit("peer:disconnected", p),
    });
    this.host_ = host;
    this.reqResp_ = reqResp;
    this.gossip_ = gossip;
    this.peers_ = peers;

    for (const [kind, validate, onAccepted] of this.pendingSubscriptions)
      gossip.subscribe(kind, validate, onAccepted);
    for (const [protocol, handler] of this.pendingHandlers) await reqResp.registerHandler(protocol, handler);
    await peers.init();
    // Req/resp handlers exist before the host accepts connections; gossipsub
    // accepts subscriptions only once started (it announces them to peers).
    await reqResp.start();
    await host.start();
    gossip.start();
    await peers.start();
    this.state = "started";
    logger.info({ peerId: host.peerId, addrs: host.getMultiaddrs() }, "network started");
  }

  /** Graceful and idempotent: stops redials, unsubscribes, aborts streams, stops libp2p. */
  stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    const prev = this.state;
    this.state = "stopping";
    if (prev !== "new") {
      await this.peers_?.stop();
      this.gossip_?.stop();
      // Unsubscribing sends PRUNEs with peer exchange to our mesh peers (gossipsub
      // builds them asynchronously): give them a moment to reach the streams, which
      // the host's stop then closes gracefully, so our peers learn each other.
      if (this.opts.peerExchange) await new Promise((r) => setTimeout(r, LEAVE_PRUNE_FLUSH_MS));
      await this.reqResp_?.stop();
      await this.host_?.stop();
    }
    this.events.removeAllListeners();
    this.state = "stopped";
  }

  get isStarted(): boolean {
    return this.state === "started";
  }

  private get host(): Host {
    if (this.host_ === undefined)
      throw new ProtocolError(NetworkErrorCode.NOT_STARTED, "network not started");
    return this.host_;
  }

  get peerId(): string {
    return this.host.peerId;
  }

  /** Protobuf-encoded libp2p private key (persist it to keep the peer id). */
  get privateKey(): Uint8Array {
    return this.host.privateKey;
  }

  getMultiaddrs(): string[] {
    return this.host.getMultiaddrs();
  }

  /** Subscribes `kind` with its validator (before or after start). */
  subscribe<T>(
    kind: GossipKind,
    validate: GossipValidatorFn<T>,
    onAccepted?: GossipAcceptedHandler<T>,
  ): void {
    if (this.gossip_ === undefined)
      this.pendingSubscriptions.push([
        kind,
        validate as GossipValidatorFn,
        onAccepted as GossipAcceptedHandler,
      ]);
    else this.gossip_.subscribe(kind, validate, onAccepted);
  }

  unsubscribe(kind: GossipKind): void {
    this.gossip_?.unsubscribe(kind);
  }

  publish(kind: GossipKind, data: Uint8Array): Promise<GossipPublishResult> {
    return this.gossip.publish(kind, data);
  }

  get gossip(): Gossip {
    if (this.gossip_ === undefined)
      throw new ProtocolError(NetworkErrorCode.NOT_STARTED, "network not started");
    return this.gossip_;
  }

  /** Serves a req/resp protocol (before or after start). */
  async registerHandler(protocol: ReqRespProtocolName, handler: ReqRespHandler): Promise<void> {
    if (this.reqResp_ === undefined) this.pendingHandlers.push([protocol, handler]);
    else await this.reqResp_.registerHandler(protocol, handler);
  }

  /** Response chunk payloads, or a RequestError. */
  async request(
    peer: string,
    protocol: ReqRespProtocolName,
    payload: Uint8Array,
    opts?: RequestOptions,
  ): Promise<Uint8Array[]> {
    if (this.reqResp_ === undefined)
      throw new ProtocolError(NetworkErrorCode.NOT_STARTED, "network not started");
    return this.reqResp_.request(peer, protocol, payload, opts);
  }

  get peers(): PeerManager {
    if (this.peers_ === undefined)
      throw new ProtocolError(NetworkErrorCode.NOT_STARTED, "network not started");
    return this.peers_;
  }

  getPeers(): PeerInfo[] {
    return this.peers_?.getPeers() ?? [];
  }

  /** Dials a multiaddr with /p2p/<id>; resolves with the peer id. */
  async dial(addr: string): Promise<string> {
    const id = /\/p2p\/([^/]+)$/.exec(addr)?.[1];
    if (id !== undefined) this.peers_?.allowRequestedDial(id);
    return this.host.dial(addr, AbortSignal.timeout(this.opts.dialTimeoutMs));
  }

  disconnect(peer: string): Promise<void> {
    return this.peers.disconnect(peer, PeerDisconnectReason.REQUESTED);
  }

  ban(peer: string, durationMs?: number, reason?: string): Promise<void> {
    return this.peers.ban(peer, durationMs, reason);
  }

  /** Gossipsub score of a peer as this node sees it (kept for an hour after it leaves). */
  getPeerScore(peer: string): number {
    return this.host_?.pubsub.getScore(peer) ?? 0;
  }

  /** Sizes of the network's bounded state against their limits (tests, health). */
  bounds(): BoundsReport {
    const g = this.gossip_;
    return {
      gossipPendingValidations: {
        size: g?.pendingValidations ?? 0,
        limit: this.opts.gossip.maxPendingValidations,
        dropped: g?.queueFullDrops ?? 0,
      },
      peerBans: { size: this.peers_?.banCount ?? 0, limit: MAX_BANS, dropped: this.peers_?.bansEvicted ?? 0 },
      appPenalties: {
        size: this.penalties.size,
        limit: this.penalties.maxPeers,
        dropped: this.penalties.evicted,
      },
      ...this.reqResp_?.bounds(),
    };
  }

  /** Charges a peer whose forwarded signatures failed in a BLS batch (chain/bls/verifier.ts). */
  penalizeBlsFailure(peer: string): void {
    this.penalties.penalize(peer, this.opts.scoring.blsFailurePenalty);
    this.peers_?.checkPeerScore(peer, this.penalties.score(peer));
  }

  /**
   * Charges a peer whose req/resp answer carried what an honest peer never
   * sends: a certificate that fails validation, one outside the range asked
   * for, bytes that do not decode (sync/certificates.ts). As much as a gossip
   * REJECT; enough of them graylist and ban the peer.
   */
  penalizeBadResponse(peer: string): void {
    this.metrics?.peerEvents.inc({ event: "bad_response" });
    this.penalties.penalize(peer, this.opts.scoring.rejectPenalty);
    this.peers_?.checkPeerScore(peer, this.penalties.score(peer));
  }

  /** A raw stream on any protocol: for tests and diagnostics of hostile peers. */
  openRawStream(peer: string, protocolId: string): Promise<HostStream> {
    return this.host.newStream(peer, protocolId, AbortSignal.timeout(this.opts.reqResp.dialTimeoutMs));
  }
}
