// Kept as one file: status exchange, bans and static-peer redials act on one peer table and its timers.
// Peer management: status exchange on every connection (wrong network →
// disconnect), the peer table, bans, static peers kept connected with backoff,
// and the hook that persists known peers across restarts.
import {
  bytesEqual,
  decodeStatusSsz,
  encodeStatusSsz,
  isProtocolError,
  type SszStatus,
  sszNetworkId,
  toHex,
} from "@ocp/protocol";
import type { Logger } from "pino";
import type { NetworkMetrics } from "../metrics/network.js";
import { isRequestError } from "./errors.js";
import {
  type ConnectionDirection,
  GOSSIP_D_LOW,
  type Host,
  ipOfMultiaddr,
  peerIdOfMultiaddr,
} from "./host.js";
import type { NetworkOptions } from "./options.js";
import { ReqRespProtocolName } from "./reqresp/protocols.js";
import type { ReqResp } from "./reqresp/reqResp.js";
import { ResponseCode, ResponseError } from "./reqresp/types.js";

/** Persistence of known peers (the db layer's PeerRepository implements it). */
export interface KnownPeersStore {
  /** Multiaddrs with /p2p/<id>, most recently seen first: redialed at start like learned peers. */
  load(): Promise<string[]>;
  /**
   * Records the peers connected now (multiaddrs with /p2p/<id>) as seen now;
   * called every `knownPeersSaveIntervalMs` while the set changes, and at stop.
   */
  save(addrs: string[]): Promise<void>;
}

/** The chain-dependent part of our Status; the network id comes from the options. */
export type LocalStatus = Omit<SszStatus, "network">;

export interface PeerInfo {
  peerId: string;
  /** Remote addresses of the open connections. */
  addrs: string[];
  direction: ConnectionDirection;
  /** The peer's Status, once exchanged. */
  status: SszStatus | undefined;
  /** Gossipsub score. */
  score: number;
  connectedAtMs: number;
  isStatic: boolean;
}

export enum PeerDisconnectReason {
  NETWORK_MISMATCH = "network_mismatch",
  STATUS_FAILED = "status_failed",
  BANNED = "banned",
  REQUESTED = "requested",
  /** More than maxSendBacklogBytes waited unsent for it. */
  SEND_BACKLOG = "send_backlog",
}

export interface PeerManagerModules {
  host: Host;
  reqResp: ReqResp;
  metrics: NetworkMetrics | null;
  logger: Logger;
  getStatus: () => LocalStatus;
  getScore: (peer: string) => number;
  /** Gossipsub's graylist threshold: a connected peer scoring below it is banned. */
  graylistThreshold: number;
  knownPeers?: KnownPeersStore;
  onPeerConnected?(peer: PeerInfo): void;
  onPeerDisconnected?(peer: string): void;
}

interface PeerEntry {
  direction: ConnectionDirection;
  status: SszStatus | undefined;
  connectedAtMs: number;
  /** Reported through onPeerConnected (status exchanged, same network). */
  announced: boolean;
}

interface RedialPeer {
  addr: string;
  failures: number;
  timer: NodeJS.Timeout | undefined;
  /** Static peers are always kept; bootstrap and learned peers only while below `targetPeers`. */
  isStatic: boolean;
  /** Learned from the network (not configured): forgotten after LEARNED_PEER_MAX_FAILURES failed dials. */
  learned: boolean;
}

const STATUS_RETRY_DELAY_MS = 500;
/**
 * Dials in a row that a learned peer may fail before it is forgotten: with the
 * redial backoff (1 s doubling) that is about a minute of trying, long enough
 * to outlast a restart, short enough not to chase a peer that left for good.
 */
const LEARNED_PEER_MAX_FAILURES = 6;
/** A gossip stream waits this long at most for its peer's Status before it is dropped. */
const GOSSIP_ADMISSION_TIMEOUT_MS = 30_000;

/**
 * Loopback, private (RFC 1918, RFC 4193), link-local and unspecified
 * addresses: many distinct operators can share them, so they are never banned.
 */
export function isLocalIp(ip: string): boolean {
  const v4 = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(ip);
  if (v4 !== null) {
    const a = Number(v4[1]);
    const b = Number(v4[2]);
    return (
      a === 127 ||
      a === 10 ||
      a === 0 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254)
    );
  }
  const v6 = ip.toLowerCase();
  if (v6 === "::1" || v6 === "::") return true;
  if (v6.startsWith("::ffff:")) {
    // IPv4-mapped; multiaddr prints the IPv4 part in hex (::ffff:a00:1 is 10.0.0.1).
    const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(v6);
    if (hex === null) return isLocalIp(v6.slice(7));
    const hi = Number.parseInt(hex[1] as string, 16);
    const lo = Number.parseInt(hex[2] as string, 16);
    return isLocalIp(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  return /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6);
}
/** Bans remembered at once; beyond it the ban that ends soonest is forgotten. */
export const MAX_BANS = 4096;

export class PeerManager {
  private readonly peers = new Map<string, PeerEntry>();
  private readonly bans = new Map<string, number>();
  /** Bans by IP (never for local addresses): a banned peer cannot come back under a new id. */
  private readonly ipBans = new Map<string, number>();
  private readonly statusWaiters = new Map<string, ((ok: boolean) => void)[]>();
  /** Static and bootstrap peers: dialed at start and redialed with backoff. */
  private readonly redialPeers = new Map<string, RedialPeer>();
  private readonly staticPeers = new Set<string>();
  /** Dials to unconfigured peers let through by isDialDenied, until they connect or time out. */
  private readonly dialing = new Map<string, number>();
  /** Peers dialed on request (`Network.dial`): an explicit dial is never gated by the peer count. */
  private readonly requested = new Set<string>();
  private readonly networkId: Uint8Array;
  private readonly timers = new Set<NodeJS.Timeout>();
  private scoreTimer: NodeJS.Timeout | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  /** Peer ids of the last saved known-peer list (a save is skipped while it does not change). */
  private lastSaved = "";
  private running = false;
  /** Bans forgotten early to stay within MAX_BANS. */
  bansEvicted = 0;

  constructor(
    private readonly opts: NetworkOptions,
    private readonly modules: PeerManagerModules,
  ) {
    this.networkId = sszNetworkId(opts.network);
    for (const addr of opts.bootstrapPeers) {
      this.redialPeers.set(peerIdOfMultiaddr(addr), {
        addr,
        failures: 0,
        timer: undefined,
        isStatic: false,
        learned: false,
      });
    }
    for (const addr of opts.staticPeers) {
      const peer = peerIdOfMultiaddr(addr);
      this.staticPeers.add(peer);
      this.redialPeers.set(peer, { addr, failures: 0, timer: undefined, isStatic: true, learned: false });
    }
  }

  /** Our Status as sent to peers. */
  localStatus(): SszStatus {
    return { network: this.networkId, ...this.modules.getStatus() };
  }

  /** Registers the status handler; call before the host starts so peers can ask at once. */
  async init(): Promise<void> {
    await this.modules.reqResp.registerHandler(ReqRespProtocolName.status, (req) =>
      this.onStatusRequest(req),
    );
    this.modules.host.onPeerConnect((peer) => this.onConnect(peer));
    this.modules.host.onPeerDisconnect((peer) => this.onDisconnect(peer));
  }

  /** After the host started: dial static and persisted peers. */
  async start(): Promise<void> {
    this.running = true;
    this.scoreTimer = setInterval(() => this.checkScores(), this.opts.scoring.checkIntervalMs);
    this.scoreTimer.unref();
    // The peers of the previous run, saved while it ran: a node that crashed
    // and whose bootstrap peers are gone too still finds its way back. They are
    // learned peers (given up after a few failed dials), at most targetPeers
    // (docs/spec.md §5.5).
    let learned = 0;
    for (const addr of await this.loadKnownPeers()) {
      if (learned >= this.opts.targetPeers) break;
      const peer = peerIdOfMultiaddr(addr);
      if (this.redialPeers.has(peer)) continue;
      this.redialPeers.set(peer, { addr, failures: 0, timer: undefined, isStatic: false, learned: true });
      learned++;
    }
    if (learned > 0) this.modules.logger.info({ peers: learned }, "dialing peers known from the last run");
    for (const peer of this.redialPeers.keys()) void this.dialRedial(peer);
    if (this.modules.knownPeers !== undefined && this.opts.knownPeersSaveIntervalMs > 0) {
      this.saveTimer = setInterval(() => void this.saveKnownPeers(), this.opts.knownPeersSaveIntervalMs);
      this.saveTimer.unref();
    }
  }

  /** Stops redials and persists the known peers; idempotent. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.scoreTimer);
    clearInterval(this.saveTimer);
    for (const peer of [...this.statusWaiters.keys()]) this.settleStatusWaiters(peer, false);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.redialPeers.values()) clearTimeout(s.timer);
    await this.saveKnownPeers();
  }

  getPeers(): PeerInfo[] {
    const out: PeerInfo[] = [];
    for (const [peerId, entry] of this.peers) out.push(this.info(peerId, entry));
    return out;
  }

  getPeer(peer: string): PeerInfo | undefined {
    const entry = this.peers.get(peer);
    return entry === undefined ? undefined : this.info(peer, entry);
  }

  isBanned(peer: string): boolean {
    const until = this.bans.get(peer);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.bans.delete(peer);
    return false;
  }

  /**
   * A bootstrap or static peer: configured by the operator, so its gossipsub
   * peer exchange is trusted (network.ts gives it the acceptPXThreshold).
   */
  isConfiguredPeer(peer: string): boolean {
    const s = this.redialPeers.get(peer);
    return s !== undefined && !s.learned;
  }

  /**
   * Connection gater for our outbound dials: never to a banned peer, and to a
   * peer that is not one of our configured peers only while we have fewer than
   * gossipsub's D_lo peers: enough for a mesh. Peer exchange is for finding
   * the network, not for growing the peer set: every PX dial lands as an
   * inbound connection elsewhere, and a 32-host run that let PX dial up to
   * targetPeers (16) doubled the peers per node (10 → 21) and the bytes per
   * slot with them (floodPublish, IHAVE, D_high meshes).
   */
  isDialDenied(peer: string): boolean {
    if (this.isBanned(peer)) return true;
    if (this.peers.has(peer) || this.isConfiguredPeer(peer) || this.requested.has(peer)) return false;
    // Dials still in flight count: a PRUNE carries up to 16 peers, dialed all at once.
    const now = Date.now();
    for (const [p, until] of this.dialing) if (until <= now) this.dialing.delete(p);
    if (this.dialing.has(peer)) return false;
    if (this.peers.size + this.dialing.size >= (this.opts.gossip.Dlo ?? GOSSIP_D_LOW)) return true;
    this.dialing.set(peer, now + this.opts.dialTimeoutMs);
    return false;
  }

  /** Lets a dial asked for by the operator (or a test) through the peer-count gate; bans still apply. */
  allowRequestedDial(peer: string): void {
    // Bounded: one entry per explicit dial, kept until the peer disconnects.
    if (this.requested.size < 1024) this.requested.add(peer);
  }

  isIpBanned(ip: string): boolean {
    const until = this.ipBans.get(ip);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.ipBans.delete(ip);
    return false;
  }

  /**
   * Resolves true once `peer` passed the Status exchange on our network, false
   * when it disconnects or fails it first: gossip streams wait on this.
   */
  waitForStatus(peer: string): Promise<boolean> {
    if (this.peers.get(peer)?.announced === true) return Promise.resolve(true);
    if (!this.running || this.isBanned(peer)) return Promise.resolve(false);
    return new Promise((resolve) => {
      const t = setTimeout(() => settle(false), GOSSIP_ADMISSION_TIMEOUT_MS);
      const settle = (ok: boolean): void => {
        clearTimeout(t);
        resolve(ok);
      };
      const list = this.statusWaiters.get(peer);
      if (list === undefined) this.statusWaiters.set(peer, [settle]);
      else list.push(settle);
    });
  }

  private settleStatusWaiters(peer: string, ok: boolean): void {
    const list = this.statusWaiters.get(peer);
    if (list === undefined) return;
    this.statusWaiters.delete(peer);
    for (const settle of list) settle(ok);
  }

  /**
   * Refuses the peer for `durationMs` (connection gater) and disconnects it.
   * Its IPs outside local networks are refused as long.
   */
  async ban(peer: string, durationMs = this.opts.banDurationMs, reason = "unspecified"): Promise<void> {
    if (!this.bans.has(peer) && this.bans.size >= MAX_BANS) this.evictBan();
    this.bans.set(peer, Date.now() + durationMs);
    for (const c of this.modules.host.getConnections(peer)) {
      const ip = ipOfMultiaddr(c.remoteAddr);
      if (ip === undefined || isLocalIp(ip)) continue;
      // The same bound as peer-id bans: the oldest is forgotten first.
      if (!this.ipBans.has(ip) && this.ipBans.size >= MAX_BANS) {
        const oldest = this.ipBans.keys().next().value;
        if (oldest !== undefined) this.ipBans.delete(oldest);
      }
      this.ipBans.set(ip, Date.now() + durationMs);
    }
    this.modules.metrics?.peerEvents.inc({ event: "banned" });
    this.modules.logger.info({ peer, reason, durationMs }, "peer banned");
    await this.disconnect(peer, PeerDisconnectReason.BANNED);
  }

  unban(peer: string): void {
    this.bans.delete(peer);
  }

  get banCount(): number {
    return this.bans.size;
  }

  /**
   * Persistent offenders: a peer whose gossipsub score fell below the graylist
   * threshold (gossipsub already ignores its RPCs) is banned and disconnected.
   * Static peers are the operator's choice and stay (gossipsub never
   * graylists them either: they are its direct peers).
   */
  checkScores(): void {
    const now = Date.now();
    for (const [peer, until] of this.bans) if (until <= now) this.bans.delete(peer);
    for (const [ip, until] of this.ipBans) if (until <= now) this.ipBans.delete(ip);
    for (const peer of this.peers.keys()) {
      if (this.staticPeers.has(peer) || this.isBanned(peer)) continue;
      this.checkPeerScore(peer, this.modules.getScore(peer));
    }
  }

  /** Bans `peer` now when `score` is below the graylist threshold (a penalty just took it there). */
  checkPeerScore(peer: string, score: number): void {
    if (this.staticPeers.has(peer) || this.isBanned(peer) || !this.peers.has(peer)) return;
    if (score < this.modules.graylistThreshold) {
      this.modules.metrics?.peerEvents.inc({ event: "graylisted" });
      void this.ban(peer, this.opts.scoring.graylistBanMs, `score ${score.toFixed(0)} below graylist`);
    }
  }

  private evictBan(): void {
    let soonest: string | undefined;
    let min = Number.POSITIVE_INFINITY;
    for (const [peer, until] of this.bans) {
      if (until < min) {
        min = until;
        soonest = peer;
      }
    }
    if (soonest !== undefined) {
      this.bans.delete(soonest);
      this.bansEvicted++;
    }
  }

  async disconnect(
    peer: string,
    reason: PeerDisconnectReason = PeerDisconnectReason.REQUESTED,
  ): Promise<void> {
    this.modules.logger.debug({ peer, reason }, "disconnecting peer");
    await this.modules.host.hangUp(peer).catch(() => undefined);
  }

  /** Requests the peer's Status and records it; disconnects on another network. */
  async exchangeStatus(peer: string): Promise<SszStatus> {
    const chunks = await this.modules.reqResp.request(
      peer,
      ReqRespProtocolName.status,
      encodeStatusSsz(this.localStatus()),
    );
    // The status protocol allows exactly one chunk (enforced by ReqResp).
    const status = decodeStatusSsz(chunks[0] as Uint8Array);
    this.recordStatus(peer, status);
    return status;
  }

  private info(peerId: string, entry: PeerEntry): PeerInfo {
    return {
      peerId,
      addrs: this.modules.host.getConnections(peerId).map((c) => c.remoteAddr),
      direction: entry.direction,
      status: entry.status,
      score: this.modules.getScore(peerId),
      connectedAtMs: entry.connectedAtMs,
      isStatic: this.staticPeers.has(peerId),
    };
  }

  private *onStatusRequest(req: { data: Uint8Array; peer: string }): Iterable<Uint8Array> {
    let theirs: SszStatus;
    try {
      theirs = decodeStatusSsz(req.data);
    } catch (e) {
      throw new ResponseError(ResponseCode.INVALID_REQUEST, isProtocolError(e) ? e.code : "bad status");
    }
    // Answer even on a mismatch, so the requester learns why it is dropped.
    yield encodeStatusSsz(this.localStatus());
    this.recordStatus(req.peer, theirs);
  }

  /** Stores a peer's status; a different network id disconnects it. */
  private recordStatus(peer: string, status: SszStatus): void {
    if (!bytesEqual(status.network, this.networkId)) {
      this.modules.metrics?.peerEvents.inc({ event: "status_network_mismatch" });
      this.modules.logger.info(
        { peer, theirs: toHex(status.network), ours: toHex(this.networkId) },
        "peer on another network",
      );
      // After the current exchange has flushed its response.
      this.later(0, () => void this.disconnect(peer, PeerDisconnectReason.NETWORK_MISMATCH));
      return;
    }
    const entry = this.peers.get(peer);
    if (entry === undefined) return; // disconnected meanwhile
    const first = entry.status === undefined;
    entry.status = status;
    if (first) this.modules.metrics?.peerEvents.inc({ event: "status_ok" });
    if (!entry.announced) {
      entry.announced = true;
      this.settleStatusWaiters(peer, true);
      this.modules.onPeerConnected?.(this.info(peer, entry));
    }
  }

  private onConnect(peer: string): void {
    if (this.isBanned(peer)) {
      void this.disconnect(peer, PeerDisconnectReason.BANNED);
      return;
    }
    const conn = this.modules.host.getConnections(peer)[0];
    this.peers.set(peer, {
      direction: conn?.direction ?? "outbound",
      status: undefined,
      connectedAtMs: Date.now(),
      announced: false,
    });
    this.modules.metrics?.peerEvents.inc({ event: "connected" });
    this.dialing.delete(peer);
    const s = this.redialPeers.get(peer);
    if (s !== undefined) {
      s.failures = 0;
      clearTimeout(s.timer);
      s.timer = undefined;
    }
    void this.statusOnConnect(peer, 1);
  }

  private async statusOnConnect(peer: string, attempt: number): Promise<void> {
    if (!this.peers.has(peer) || !this.running) return;
    try {
      await this.exchangeStatus(peer);
    } catch (e) {
      if (!this.peers.has(peer) || !this.running) return;
      // The peer said it is busy, or the stream failed: try again a little later.
      if (attempt < this.opts.statusAttempts) {
        this.later(STATUS_RETRY_DELAY_MS * attempt, () => void this.statusOnConnect(peer, attempt + 1));
        return;
      }
      this.modules.metrics?.peerEvents.inc({ event: "status_failed" });
      this.modules.logger.debug(
        { peer, err: isRequestError(e) || isProtocolError(e) ? e.code : String(e) },
        "status exchange failed",
      );
      this.settleStatusWaiters(peer, false);
      // A peer that holds a connection without ever answering is refused for a
      // while; static peers are the operator's and are retried instead.
      if (this.opts.statusFailureBanMs > 0 && !this.staticPeers.has(peer))
        await this.ban(peer, this.opts.statusFailureBanMs, "status exchange failed");
      else await this.disconnect(peer, PeerDisconnectReason.STATUS_FAILED);
    }
  }

  private onDisconnect(peer: string): void {
    const entry = this.peers.get(peer);
    this.peers.delete(peer);
    this.requested.delete(peer);
    this.settleStatusWaiters(peer, false);
    this.modules.metrics?.peerEvents.inc({ event: "disconnected" });
    if (entry?.announced) this.modules.onPeerDisconnected?.(peer);
    if (!this.running) return;
    if (this.redialPeers.has(peer)) this.scheduleRedial(peer);
    // A peer that passed Status and was not banned: remembered at the addresses it announced
    // (identify) and redialed like a bootstrap peer, so a network whose only configured peer
    // went away can find itself again.
    else if (entry?.announced && !this.isBanned(peer)) void this.learnPeer(peer);
  }

  /** Adds a disconnected peer to the redial set at its announced address; bounded by `targetPeers`. */
  private async learnPeer(peer: string): Promise<void> {
    let learned = 0;
    for (const s of this.redialPeers.values()) if (s.learned) learned++;
    if (learned >= this.opts.targetPeers) return;
    const addr = (await this.modules.host.getPeerAddrs(peer)).find((a) => ipOfMultiaddr(a) !== undefined);
    if (addr === undefined || !this.running || this.redialPeers.has(peer) || this.peers.has(peer)) return;
    this.redialPeers.set(peer, { addr, failures: 0, timer: undefined, isStatic: false, learned: true });
    this.modules.metrics?.peerEvents.inc({ event: "learned" });
    this.scheduleRedial(peer);
  }

  private async dialRedial(peer: string): Promise<void> {
    const s = this.redialPeers.get(peer);
    if (s === undefined || !this.running || this.peers.has(peer)) return;
    // A bootstrap peer is only needed while we are short of peers; look again later.
    if (!s.isStatic && this.peers.size >= this.opts.targetPeers) return this.scheduleRedial(peer);
    // Banned: tried again once the ban ends (scheduleRedial waits for it).
    if (this.isBanned(peer)) return this.scheduleRedial(peer);
    try {
      await this.modules.host.dial(s.addr, AbortSignal.timeout(this.opts.dialTimeoutMs));
      s.failures = 0;
    } catch {
      s.failures++;
      if (s.learned && s.failures >= LEARNED_PEER_MAX_FAILURES) {
        this.redialPeers.delete(peer);
        return;
      }
      this.scheduleRedial(peer);
    }
  }

  private scheduleRedial(peer: string): void {
    const s = this.redialPeers.get(peer);
    if (s === undefined || !this.running) return;
    clearTimeout(s.timer);
    // Exponential backoff: min, 2·min, 4·min … capped at max; never before a ban ends.
    const backoff = Math.min(
      this.opts.staticPeerRedialMaxMs,
      this.opts.staticPeerRedialMinMs * 2 ** s.failures,
    );
    const banLeft = (this.bans.get(peer) ?? 0) - Date.now();
    s.timer = setTimeout(
      () => {
        s.timer = undefined;
        this.modules.metrics?.peerEvents.inc({ event: "redial" });
        void this.dialRedial(peer);
      },
      Math.max(backoff, banLeft),
    );
  }

  private async loadKnownPeers(): Promise<string[]> {
    if (this.modules.knownPeers === undefined) return [];
    try {
      const addrs = await this.modules.knownPeers.load();
      // Skip unusable entries instead of failing the start.
      return addrs.filter((a) => {
        try {
          return peerIdOfMultiaddr(a) !== this.modules.host.peerId;
        } catch {
          return false;
        }
      });
    } catch (e) {
      this.modules.logger.warn({ err: e }, "could not load known peers");
      return [];
    }
  }

  /**
   * Saves the peers worth dialing after a restart: connected, past Status on
   * our network, not scored below zero, best score first, at most
   * targetPeers. Skipped when that set did not change since the last save.
   */
  private async saveKnownPeers(): Promise<void> {
    if (this.modules.knownPeers === undefined) return;
    try {
      const chosen = [...this.peers]
        .filter(([, e]) => e.announced)
        .map(([peer]) => ({ peer, score: this.modules.getScore(peer) }))
        .filter((p) => p.score >= 0)
        .sort((a, b) => b.score - a.score)
        .slice(0, this.opts.targetPeers)
        .map((p) => p.peer);
      const key = [...chosen].sort().join(",");
      if (key === this.lastSaved) return;
      const addrs: string[] = [];
      for (const peer of chosen) addrs.push(...(await this.modules.host.getPeerAddrs(peer)));
      await this.modules.knownPeers.save(addrs);
      this.lastSaved = key;
    } catch (e) {
      this.modules.logger.warn({ err: e }, "could not save known peers");
    }
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }
}
