// Kept as one file: every libp2p import stays behind the Host interface here, so an upgrade is one module.
// The libp2p host: every libp2p and gossipsub import of the node lives in this
// module, behind the small Host interface, so a libp2p upgrade stays local.
import "../polyfill.js";
import { hash, randomBytes } from "node:crypto";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from "@libp2p/crypto/keys";
import {
  type GossipSub,
  gossipsub,
  type Message,
  StrictNoSign,
  TopicValidatorResult,
} from "@libp2p/gossipsub";
import type { PeerScoreParams, PeerScoreThresholds } from "@libp2p/gossipsub/score";
import { identify } from "@libp2p/identify";
import type {
  Connection,
  ConnectionEncrypter,
  MessageStream,
  MultiaddrConnection,
  PeerId,
  PrivateKey,
  SecuredConnection,
  Stream,
  StreamMuxer,
  StreamMuxerFactory,
} from "@libp2p/interface";
import type { Registrar } from "@libp2p/interface-internal";
import { peerIdFromPrivateKey, peerIdFromString } from "@libp2p/peer-id";
import { prometheusMetrics } from "@libp2p/prometheus-metrics";
import { tcp } from "@libp2p/tcp";
import { type Multiaddr, multiaddr } from "@multiformats/multiaddr";
import { concatBytes, ProtocolError } from "@ocp/protocol";
import { createLibp2p, type Libp2p } from "libp2p";
import type { Registry } from "prom-client";
import { decrement, increment } from "../util/counts.js";
import { yieldToIo } from "../util/yield.js";
import { NetworkErrorCode } from "./errors.js";
import { ControlIdBudget, FrameSplitter, type GossipRpcDropReason, inspectGossipRpc } from "./gossipRpc.js";
import { type InboundStreamAbuse, InboundStreamGuard, type NegotiatingStream } from "./inboundStreams.js";
import { LinkActivity, type LivenessLink, LivenessMonitor, type LivenessResult } from "./liveness.js";
import { MIN_SEND_BACKLOG_BYTES, type NetworkOptions } from "./options.js";
import { answerPings, PING_BYTES, type PingAbuse } from "./pingResponder.js";
import { GOSSIP_KINDS, gossipTopic } from "./topics.js";

export { TopicValidatorResult };

/** A bidirectional byte stream of one req/resp exchange. */
export interface HostStream {
  /** Incoming bytes; throws if the stream is reset or aborted. */
  readonly source: AsyncIterable<Uint8Array>;
  /** Writes every chunk of `source`, then closes the writing side. */
  sink(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void>;
  /** Resets the stream immediately; pending reads and writes fail. */
  abort(err: Error): void;
  /** Closes the writing side once what was written is sent (the peer may still write). */
  close(): Promise<void>;
  /**
   * Stops reading: what is buffered and whatever the peer sends from now on
   * is dropped on arrival instead of waiting in memory for a reader.
   */
  closeRead(): void;
}

export type ConnectionDirection = "inbound" | "outbound";

export interface HostConnection {
  peer: string;
  remoteAddr: string;
  direction: ConnectionDirection;
}

/** A gossip message that passed gossipsub's own checks and awaits our verdict. */
export interface HostGossipMessage {
  topic: string;
  data: Uint8Array;
  msgId: string;
  /** Peer that forwarded the message to us (not necessarily its author: messages are unsigned). */
  from: string;
}

export type PublishOutcome = "sent" | "no_peers" | "duplicate";

export interface HostPubSub {
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  /** Never throws for "no peers" or "duplicate": those are outcomes, see PublishOutcome. */
  publish(topic: string, data: Uint8Array): Promise<{ outcome: PublishOutcome; recipients: number }>;
  /** Every message received on a subscribed topic, before validation. */
  onMessage(handler: (msg: HostGossipMessage) => void): void;
  /** Verdict for a message handed to onMessage; only ACCEPT forwards it. */
  reportValidationResult(msgId: string, from: string, result: TopicValidatorResult): void;
  getScore(peer: string): number;
  getMeshPeers(topic: string): string[];
  getSubscribers(topic: string): string[];
}

export interface Host {
  readonly peerId: string;
  /** Protobuf-encoded private key (libp2p's format): what the caller persists. */
  readonly privateKey: Uint8Array;
  readonly pubsub: HostPubSub;
  start(): Promise<void>;
  stop(): Promise<void>;
  getMultiaddrs(): string[];
  handle(
    protocol: string,
    handler: (stream: HostStream, peer: string) => void,
    opts: { maxInboundStreams: number },
  ): Promise<void>;
  unhandle(protocol: string): Promise<void>;
  newStream(peer: string, protocol: string, signal: AbortSignal): Promise<HostStream>;
  /** Dials a multiaddr with /p2p/<id>; resolves with the remote peer id. */
  dial(addr: string, signal: AbortSignal): Promise<string>;
  hangUp(peer: string): Promise<void>;
  getConnections(peer?: string): HostConnection[];
  /** Addresses the peer announced (identify), with /p2p/<id> appended. */
  getPeerAddrs(peer: string): Promise<string[]>;
  /** Remembers addresses for a peer so later dials by id can use them. */
  addPeerAddrs(peer: string, addrs: string[]): Promise<void>;
  onPeerConnect(handler: (peer: string) => void): void;
  onPeerDisconnect(handler: (peer: string) => void): void;
}

/** Admission of a peer's inbound gossip stream and the pace it is read at. */
export interface GossipInboundControl {
  /** Resolves true once the peer passed Status, false when it never will (the stream is dropped). */
  admit(peer: string): Promise<boolean>;
  /** Messages from this peer still waiting for or in validation. */
  backlog(peer: string): number;
  /** Resolves once the peer's backlog is below `n`. */
  backlogBelow(peer: string, n: number): Promise<void>;
  /** A frame was dropped unread; the sender is charged for it. */
  onDropped(peer: string, reason: GossipRpcDropReason): void;
  /**
   * A frame carrying `messages` gossip messages (> 0) passed inspection and
   * goes to gossipsub: every copy counts, duplicates included.
   */
  onMessages?(messages: number): void;
}

export interface HostModules {
  /** Protobuf-encoded libp2p private key; a new Ed25519 key is generated when absent. */
  privateKey?: Uint8Array;
  /** Connection gater: true refuses dials to and connections from this peer. */
  isDenied(peer: string): boolean;
  /** Connection gater: true refuses our own dials to this peer (checked besides `isDenied`). */
  isDialDenied?(peer: string): boolean;
  /** Connection gater: true refuses inbound connections from this IP (IP bans). */
  isIpDenied?(ip: string): boolean;
  /** Gates inbound gossip streams; without it every stream goes to gossipsub as is. */
  gossipInbound?: GossipInboundControl;
  /** Application component of the gossipsub score (the peer manager's opinion). */
  appSpecificScore?(peer: string): number;
  /** Gossipsub topic score params keyed by full topic string (the scoring hook). */
  topicScoreParams?: PeerScoreParams["topics"];
  /** Global gossipsub score params (network/scoring.ts derives them); `gossip.scoreParams` overrides. */
  scoreParams?: Partial<Omit<PeerScoreParams, "topics" | "appSpecificScore">>;
  /** libp2p's own metrics (connections, streams, protocol bytes) land in this registry. */
  metricsRegistry?: Registry;
  /** Each connection the liveness monitor looked at (network/liveness.ts): pinged ok, failed, or skipped as busy. */
  onLivenessCheck?(result: LivenessResult): void;
  /**
   * A connection was closed because more than `maxSendBacklogBytes` waited
   * unsent for its peer (`peer` undefined when the connection had no peer yet).
   * Called once per connection; when a stream passed the bound, before its
   * connection is closed.
   */
  onSendBacklogOverflow?(peer: string | undefined, where: SendBacklogLayer): void;
  /** A ping stream was reset: more than two pings at once, or none for a minute (network/pingResponder.ts). */
  onPingAbuse?(peer: string, reason: PingAbuse): void;
  /** A stream the peer opened was reset before negotiation (docs/spec.md §5.5): too many, or too many bytes. */
  onStreamAbuse?(peer: string, reason: InboundStreamAbuse): void;
}

/** A new Ed25519 libp2p identity, protobuf-encoded (persist it to keep the peer id). */
export async function generatePeerKey(): Promise<Uint8Array> {
  return encodePrivateKey(await newPrivateKey());
}

/** Peer id string of a protobuf-encoded private key. Throws ProtocolError on malformed bytes. */
export function peerIdFromPeerKey(key: Uint8Array): string {
  return peerIdFromPrivateKey(decodePrivateKey(key)).toString();
}

async function newPrivateKey(): Promise<PrivateKey> {
  return await generateKeyPair("Ed25519");
}

function decodePrivateKey(key: Uint8Array): PrivateKey {
  try {
    return privateKeyFromProtobuf(key);
  } catch (e) {
    throw new ProtocolError(NetworkErrorCode.INVALID_PRIVATE_KEY, (e as Error).message);
  }
}

function encodePrivateKey(key: PrivateKey): Uint8Array {
  return privateKeyToProtobuf(key);
}

/** Parses a peer id string; ProtocolError on garbage. */
export function parsePeerId(peer: string): PeerId {
  try {
    return peerIdFromString(peer);
  } catch (e) {
    throw new ProtocolError(NetworkErrorCode.INVALID_PEER_ID, `${peer}: ${(e as Error).message}`);
  }
}

/** The /p2p/<id> component of a multiaddr string; ProtocolError when missing or malformed. */
export function peerIdOfMultiaddr(addr: string): string {
  let id: string | null;
  try {
    // The last /p2p/ component names the peer (earlier ones would be relays).
    id =
      multiaddr(addr)
        .getComponents()
        .findLast((c) => c.name === "p2p")?.value ?? null;
  } catch (e) {
    throw new ProtocolError(NetworkErrorCode.INVALID_MULTIADDR, `${addr}: ${(e as Error).message}`);
  }
  if (id === null) throw new ProtocolError(NetworkErrorCode.INVALID_MULTIADDR, `${addr}: no /p2p/<peer id>`);
  return id;
}

/** Gossipsub message id (docs/spec.md §5): the first 20 bytes of sha256(data). */
export function gossipMessageId(data: Uint8Array): Uint8Array {
  // One-shot hash: no Hash object per message (every duplicate copy is hashed too).
  return new Uint8Array(hash("sha256", data, "buffer").subarray(0, 20));
}

// Gossipsub mesh parameters, taken from the Ethereum consensus p2p spec
// (p2p-interface.md, "The gossipsub parameters"), the deployment closest to
// ours: small messages, a few hundred peers, slot-paced traffic.
const GOSSIP_D = 8; // mesh degree
export const GOSSIP_D_LOW = 6;
const GOSSIP_D_HIGH = 12;
const GOSSIP_D_LAZY = 6; // peers that get IHAVE gossip each heartbeat
export const GOSSIP_HEARTBEAT_MS = 700;
const GOSSIP_FANOUT_TTL_MS = 60_000;
export const GOSSIP_MCACHE_LENGTH = 6; // heartbeats a message stays retrievable by IWANT
const GOSSIP_MCACHE_GOSSIP = 3; // heartbeats a message is advertised in IHAVE
// How long gossipsub remembers a message id (its own dedup, before our
// validators). It need only outlast the message's circulation: IWANT serves
// it for GOSSIP_MCACHE_LENGTH heartbeats (~4 s). A copy arriving later is
// decoded and met by the validators' own seen caches and slot window, which
// span the retention window, and IGNOREd without a signature check. Ethereum
// keeps ids for an epoch (~384 s), but every id costs memory: at a burst of
// 150 messages/s, 384 s is ~60k ids; 60 s keeps it under 10k.
const GOSSIP_SEEN_TTL_MS = 60_000;

/**
 * Score thresholds of Lodestar/Lighthouse (scoringParameters.ts): the
 * graylist sits far below any penalty a peer gets from a few bad messages.
 * Our topic score params (network/scoring.ts) are derived against them.
 */
export const defaultGossipScoreThresholds: PeerScoreThresholds = {
  gossipThreshold: -4000,
  publishThreshold: -8000,
  graylistThreshold: -16000,
  acceptPXThreshold: 100,
  opportunisticGraftThreshold: 5,
};

// Many nodes on 127.0.0.1 (FACTS pitfall): libp2p's default of 5 inbound
// connections per second per host and 10 pending upgrades drop dials.
const LOCAL_INBOUND_CONNECTION_THRESHOLD = 10_000;
const LOCAL_MAX_INCOMING_PENDING = 1_000;
/** libp2p's ping protocol: 32-byte chunks echoed (answered by network/pingResponder.ts). */
const PING_PROTOCOL = "/ipfs/ping/1.0.0";
/** Ping streams a peer may have open to this node at once (libp2p's own default). */
const PING_MAX_INBOUND_STREAMS = 2;
/** Multiaddr code of /p2p/<peer id>. */
const P2P_CODE = 421;

/**
 * Resolves once `stream` may be written again (its `drain`), rejects if it
 * closes first. Not the stream's own `onDrain()`: @libp2p/utils 7.4 keeps the
 * promise of the first drain and hands it out again, so every later
 * `onDrain()` resolves at once and the writer never waits.
 */
async function drained(stream: MessageStream): Promise<void> {
  while (stream.writableNeedsDrain) {
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        stream.removeEventListener("drain", onDrain);
        stream.removeEventListener("close", onClose);
      };
      const onDrain = (): void => {
        done();
        resolve();
      };
      const onClose = (evt: Event): void => {
        done();
        reject((evt as Event & { error?: Error }).error ?? new Error("stream closed while waiting to write"));
      };
      stream.addEventListener("drain", onDrain);
      stream.addEventListener("close", onClose);
    });
  }
}

/** Largest piece a req/resp answer is handed to its stream in (see wrapStream). */
const SEND_PIECE_BYTES = 64 * 1024;

function wrapStream(stream: Stream): HostStream {
  return {
    source: (async function* () {
      for await (const chunk of stream) yield chunk.subarray();
    })(),
    sink: async (source) => {
      for await (const chunk of source) {
        // send() buffers past a full window; wait for drain so a slow reader
        // holds back our writes instead of growing our buffer, and send in
        // pieces so that what waits is at most one piece (a table frame is
        // 1 MiB): far below maxSendBacklogBytes.
        for (let i = 0; i < chunk.length; i += SEND_PIECE_BYTES) {
          if (!stream.send(chunk.subarray(i, i + SEND_PIECE_BYTES))) await drained(stream);
        }
      }
      await stream.close();
    },
    abort: (err) => stream.abort(err),
    close: () => stream.close(),
    closeRead: () => {
      stream.closeRead().catch(() => undefined);
    },
  };
}

/** What the inbound gate needs of a raw connection: its remote address and its close event. */
export type InboundConnection = Pick<MultiaddrConnection, "remoteAddr" | "addEventListener">;

/**
 * The connection gater's first check on an inbound TCP connection, before any
 * handshake: true refuses it. Refused are IPs the node banned (`isIpDenied`)
 * and IPs that already hold `maxPerIp` open connections. Connections count
 * from accept to close, so ones still upgrading count too and a burst cannot
 * slip past the limit.
 */
export function inboundConnectionGate(
  maxPerIp: number,
  isIpDenied?: (ip: string) => boolean,
): (conn: InboundConnection) => boolean {
  const byIp = new Map<string, number>();
  return (conn) => {
    const ip = ipOfMultiaddr(conn.remoteAddr.toString());
    if (ip === undefined) return false;
    if (isIpDenied?.(ip)) return true;
    if ((byIp.get(ip) ?? 0) >= maxPerIp) return true;
    increment(byIp, ip);
    conn.addEventListener("close", () => decrement(byIp, ip), { once: true });
    return false;
  };
}

/** The IP of a multiaddr (`/ip4/…` or `/ip6/…`), undefined for other kinds. */
export function ipOfMultiaddr(addr: string): string | undefined {
  try {
    const first = multiaddr(addr).getComponents()[0];
    return first !== undefined && (first.name === "ip4" || first.name === "ip6") ? first.value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A pending-validation backlog at which a peer's gossip stream stops being
 * read: its further RPCs wait in its own yamux window and TCP socket (the
 * sender is paused) instead of in our memory and event loop. Reading resumes
 * at half of it. 256 is two BLS batches (maxBufferedSets 128); an honest
 * peer forwards one slot's votes of a 128-key set in one go.
 */
export const GOSSIP_PEER_BACKLOG_PAUSE = 256;

/**
 * Messages of one peer's frames handed to gossipsub per event-loop turn. An
 * honest peer's frames carry one message each, so a slot's burst from it goes
 * through in a turn or two; a 1,024-message frame goes alone.
 */
const GOSSIP_MESSAGES_PER_TURN = 64;

/** Bytes of whole frames queued for inspection before the stream is paused. */
const GOSSIP_QUEUE_PAUSE_BYTES = 2 * 1024 * 1024;

/** A 'message' event as libp2p streams emit them (`data`). */
class FrameEvent extends Event {
  constructor(readonly data: Uint8Array) {
    super("message");
  }
}

/** A 'close' event carrying the stream's error, if any. */
class CloseEvent extends Event {
  constructor(readonly error: Error | undefined) {
    super("close");
  }
}

/**
 * What gossipsub reads instead of the raw inbound stream: the same stream
 * events, but 'message' carries one whole RPC frame that passed our
 * inspection (network/gossipRpc.ts). Bad frames are dropped unread and
 * charged; frames are delivered in slices of GOSSIP_MESSAGES_PER_TURN
 * messages, one slice per event-loop turn, so one peer's RPCs cannot run back
 * to back while other sockets wait; the raw stream is paused
 * (its sender stops getting window) while frames queue up or while the peer's
 * messages wait for validation.
 */
export class GatedGossipStream extends EventTarget {
  private readonly splitter: FrameSplitter;
  private readonly budget = new ControlIdBudget(performance.now());
  private readonly queue: { bytes: Uint8Array; messages: number }[] = [];
  private queuedBytes = 0;
  private draining = false;
  private backlogPaused = false;

  constructor(
    private readonly raw: Stream,
    private readonly peer: string,
    private readonly control: GossipInboundControl,
    maxFrameBytes: number,
    private readonly limits: GossipRpcLimitsLike,
    private readonly topics: readonly Uint8Array[],
  ) {
    super();
    this.splitter = new FrameSplitter(maxFrameBytes);
    raw.addEventListener("message", (e) => this.onData(e.data.subarray()));
    raw.addEventListener("close", (e) => this.dispatchEvent(new CloseEvent(e.error)), { once: true });
    raw.addEventListener("remoteCloseWrite", () => this.dispatchEvent(new Event("remoteCloseWrite")), {
      once: true,
    });
  }

  // The stream surface gossipsub uses besides events.
  get status() {
    return this.raw.status;
  }
  get writeStatus() {
    return this.raw.writeStatus;
  }
  get protocol() {
    return this.raw.protocol;
  }
  close(options?: { signal?: AbortSignal }): Promise<void> {
    return this.raw.close(options);
  }
  abort(err: Error): void {
    this.raw.abort(err);
  }

  private onData(chunk: Uint8Array): void {
    let frames: ReturnType<FrameSplitter["push"]>;
    try {
      frames = this.splitter.push(chunk);
    } catch {
      // Announced over the frame limit: the stream cannot be resynchronised.
      this.control.onDropped(this.peer, "over_limit");
      this.raw.abort(new Error("gossip frame too large"));
      return;
    }
    for (const f of frames) {
      const verdict = inspectGossipRpc(f.body, this.limits, this.topics);
      if (!verdict.ok) {
        this.control.onDropped(this.peer, verdict.reason);
        // No honest peer sends such a frame: its stream is reset, so each one
        // costs the sender a new stream rather than a few bytes.
        this.raw.abort(new Error(`gossip frame dropped: ${verdict.reason}`));
        return;
      }
      if (verdict.controlIds > 0 && !this.budget.take(verdict.controlIds, performance.now())) {
        this.control.onDropped(this.peer, "over_rate");
        continue;
      }
      // Forwarded (gossipsub ignores topics outside allowedTopics), but charged.
      if (verdict.foreignSubscriptions > 0) this.control.onDropped(this.peer, "unknown_topic_subscription");
      if (verdict.messages > 0) this.control.onMessages?.(verdict.messages);
      this.queue.push({ bytes: f.prefixed, messages: verdict.messages });
      this.queuedBytes += f.prefixed.length;
    }
    if (this.queuedBytes > GOSSIP_QUEUE_PAUSE_BYTES) pauseReading(this.raw);
    // Never rejects into the void: a stream closing mid-drain just ends it.
    if (!this.draining && this.queue.length > 0)
      this.drain().catch(() => this.raw.abort(new Error("gossip drain failed")));
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      // The first slice goes in the turn its bytes arrived in, as libp2p
      // delivers a stream's data: waiting a turn put every gossip hop behind
      // all the I/O of that turn (docs/spec.md §9.7). In paired 8 × 8 runs
      // (4, halves swapped) nodes held certificates 2.5 ms earlier on average
      // for 1.5 % less CPU.
      let first = true;
      while (this.queue.length > 0 && this.raw.status === "open") {
        // A turn for everyone else between this peer's slices of frames.
        if (!first) await yieldToIo();
        first = false;
        if (this.control.backlog(this.peer) >= GOSSIP_PEER_BACKLOG_PAUSE) {
          // Backpressure: stop the window until this peer's validations drain.
          this.backlogPaused = true;
          pauseReading(this.raw);
          await this.control.backlogBelow(this.peer, GOSSIP_PEER_BACKLOG_PAUSE / 2);
          this.backlogPaused = false;
        }
        // Up to GOSSIP_MESSAGES_PER_TURN messages per turn (at least one frame):
        // gossipsub handles a frame's messages back to back once it has it.
        let messages = 0;
        while (this.queue.length > 0 && messages < GOSSIP_MESSAGES_PER_TURN) {
          const next = this.queue.shift()!;
          this.queuedBytes -= next.bytes.length;
          messages += Math.max(1, next.messages);
          this.dispatchEvent(new FrameEvent(next.bytes));
        }
        if (this.queuedBytes < GOSSIP_QUEUE_PAUSE_BYTES / 2 && !this.backlogPaused) resumeReading(this.raw);
      }
    } finally {
      this.draining = false;
    }
    resumeReading(this.raw);
  }
}

/** Where a peer's unsent bytes passed the bound: a muxed stream, the noise session, or the TCP connection. */
export type SendBacklogLayer = "stream" | "session" | "socket";

interface BacklogLink {
  peer: string | undefined;
  reported: boolean;
}

/** The library's abort of a stream whose unsent bytes passed its maxWriteBufferLength. */
function isWriteBacklogAbort(e: Error | undefined): boolean {
  return e?.name === "StreamBufferError" && e.message.startsWith("Write buffer");
}

/**
 * Bounds what the node holds unsent for one peer (docs/spec.md §5.5). Each
 * layer a connection buffers in gets the library's own `maxWriteBufferLength`
 * (past it, that layer aborts itself): the TCP connection, the noise session
 * over it, and every muxed stream (yamux's stream options). Gossipsub writes
 * to its outbound stream without waiting for the peer to read, so a peer that
 * keeps its window shut makes that stream pass the bound first. The guard
 * sees the abort, reports the peer once per connection, and closes the whole
 * connection: with only the stream gone the peer would stay connected, in
 * the mesh, with nothing able to reach it.
 */
class SendBacklogGuard {
  private readonly links = new WeakMap<MessageStream, BacklogLink>();

  constructor(
    readonly maxBytes: number,
    private readonly report: (peer: string | undefined, where: SendBacklogLayer) => void,
  ) {}

  /** A connection past its handshake: `raw` under `session`, `peer` at the other end. */
  secured(raw: MessageStream, session: MessageStream, peer: string): void {
    const link: BacklogLink = { peer, reported: false };
    this.links.set(session, link);
    raw.maxWriteBufferLength = this.maxBytes;
    session.maxWriteBufferLength = this.maxBytes;
    this.watch(raw, link, "socket");
    this.watch(session, link, "session");
  }

  /** The peer at the other end of `session` (known once its handshake is done). */
  peerOf(session: MessageStream): string | undefined {
    return this.links.get(session)?.peer;
  }

  /** Every stream the muxer over `session` opens is watched (the ones this node writes to unasked). */
  muxed(session: MessageStream, muxer: StreamMuxer): void {
    const link = this.links.get(session) ?? { peer: undefined, reported: false };
    const create = muxer.createStream.bind(muxer);
    muxer.createStream = async (options) => {
      const stream = await create(options);
      this.watch(stream, link, "stream", session);
      return stream;
    };
  }

  private watch(s: MessageStream, link: BacklogLink, where: SendBacklogLayer, session?: MessageStream): void {
    s.addEventListener(
      "close",
      (evt) => {
        if (!isWriteBacklogAbort(evt.error)) return;
        if (!link.reported) {
          link.reported = true;
          this.report(link.peer, where);
        }
        session?.abort(evt.error!);
      },
      { once: true },
    );
  }
}

type StreamListener = Parameters<StreamMuxer["addEventListener"]>[1];

/**
 * Each stream the peer opens on `muxer` goes past `guard` before libp2p
 * negotiates on it (docs/spec.md §5.5, "Streams a peer opens"): libp2p's
 * listener for new streams is wrapped as it is added, so the muxer's own
 * handling of streams that arrive before any listener is unchanged.
 */
function guardInboundStreams(muxer: StreamMuxer, guard: InboundStreamGuard): void {
  const wrapped = new WeakMap<object, StreamListener>();
  const add = muxer.addEventListener.bind(muxer);
  const remove = muxer.removeEventListener.bind(muxer);
  muxer.addEventListener = ((type: string, listener: StreamListener, options?: unknown) => {
    if (type !== "stream" || listener == null) return add(type as "stream", listener, options as never);
    let w = wrapped.get(listener);
    if (w === undefined) {
      w = (evt: CustomEvent<Stream>) => {
        if (!guard.admit(evt.detail as unknown as NegotiatingStream)) return;
        if (typeof listener === "function") listener.call(muxer, evt);
        else listener.handleEvent(evt);
      };
      wrapped.set(listener, w);
    }
    return add("stream", w, options as never);
  }) as StreamMuxer["addEventListener"];
  muxer.removeEventListener = ((type: string, listener: StreamListener, options?: unknown) => {
    const w = type === "stream" && listener != null ? (wrapped.get(listener) ?? listener) : listener;
    return remove(type as "stream", w, options as never);
  }) as StreamMuxer["removeEventListener"];
}

/** Writes joined in one job go out at up to this size; a larger batch is written at once. */
export const COALESCE_MAX_BYTES = 64 * 1024;

/**
 * The muxer factory with every connection's inbound streams guarded
 * (guardInboundStreams) and its frames joined for
 * `writeCoalesceMs` (with 0, per job: until the microtask queue drains).
 * Each gossip RPC to each peer is its own muxer frame, and each frame
 * would be its own noise frame (an AEAD seal with a 16-byte tag) and socket
 * write; a slot's votes are validated in batches and forwarded together, so
 * dozens of frames leave for one peer in one job. Joined, they cost one seal
 * and one write, and the receiver one read and one decrypt. The muxer sees an
 * ordinary MessageStream, so nothing reaches into library internals.
 */
function coalescingMuxer<C>(
  factory: (components: C) => StreamMuxerFactory,
  windowMs: number,
  backlog: SendBacklogGuard,
  onStreamAbuse: (peer: string, reason: InboundStreamAbuse) => void,
): (components: C) => StreamMuxerFactory {
  return (components) => {
    const inner = factory(components);
    return {
      protocol: inner.protocol,
      createStreamMuxer: (conn) => {
        const joined = coalescingStream(conn, COALESCE_MAX_BYTES, windowMs);
        const muxer = inner.createStreamMuxer(joined.stream);
        backlog.muxed(conn, muxer);
        const peer = backlog.peerOf(conn);
        guardInboundStreams(
          muxer,
          new InboundStreamGuard((reason) => {
            if (peer !== undefined) onStreamAbuse(peer, reason);
          }),
        );
        // A connection closes its muxer (the streams' last frames, a GoAway)
        // and then the socket under it: what the window still holds goes out
        // in between, not lost with the socket.
        const close = muxer.close.bind(muxer);
        muxer.close = async (options) => {
          try {
            await close(options);
          } finally {
            joined.flush();
          }
        };
        return muxer;
      },
    };
  };
}

/**
 * `conn` with `send` buffered until the microtask queue drains (or
 * COALESCE_MAX_BYTES): later than that would hold messages behind other
 * sockets' work. With `windowMs` > 0, a busy connection is written at most
 * once per window: sends made within `windowMs` of the last write wait until
 * the window is over and go out together (fewer, larger writes and packets),
 * while the first send after a quiet window goes out as without one, so a
 * lone message (a Status answer, the first vote of a slot) is not delayed.
 * Back-pressure is the connection's own: `send` answers false only while the
 * connection itself waits for 'drain', which it will emit. A graceful close
 * flushes first (the muxer's `close`, see coalescingMuxer); bytes still
 * buffered when the connection is aborted are dropped, as unsent bytes are
 * on any aborted stream. `now` is the clock (ms) the window is measured on.
 * Returns the wrapped stream and the flush of what it holds (for a close).
 */
export function coalescingStream(
  conn: MessageStream,
  maxBytes: number = COALESCE_MAX_BYTES,
  windowMs = 0,
  now: () => number = Date.now,
): { stream: MessageStream; flush: () => void } {
  let parts: Uint8Array[] = [];
  let size = 0;
  let pending = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastWrite = Number.NEGATIVE_INFINITY;
  let needsDrain = false;
  conn.addEventListener("drain", () => {
    needsDrain = false;
  });
  const flush = (): void => {
    pending = false;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (parts.length === 0) return;
    const chunk = parts.length === 1 ? parts[0]! : concatBytes(...parts);
    parts = [];
    size = 0;
    if (windowMs > 0) lastWrite = now();
    try {
      if (!conn.send(chunk)) needsDrain = true;
    } catch {
      // Closed meanwhile: its unsent bytes go with it.
    }
  };
  const send = (data: Uint8Array | { subarray(): Uint8Array }): boolean => {
    const bytes = oneBuffer(data);
    parts.push(bytes);
    size += bytes.length;
    if (size >= maxBytes) flush();
    else if (!pending) {
      pending = true;
      const wait = windowMs > 0 ? lastWrite + windowMs - now() : 0;
      if (wait > 0) timer = setTimeout(flush, wait);
      else queueMicrotask(flush);
    }
    return !needsDrain;
  };
  return { stream: withSend(conn, send), flush };
}

/** A send's data as one buffer (a list is joined into a copy). */
function oneBuffer(data: Uint8Array | { subarray(): Uint8Array }): Uint8Array {
  return data instanceof Uint8Array ? data : data.subarray();
}

/**
 * `conn` with its `send` replaced. Everything else is the connection's own;
 * its methods are bound to it (they use private state), its own fields (e.g.
 * the `log` function) are not.
 */
function withSend<S extends MessageStream>(conn: S, send: MessageStream["send"]): S {
  return new Proxy(conn, {
    get(target, prop) {
      if (prop === "send") return send;
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" && !Object.hasOwn(target, prop) ? v.bind(target) : v;
    },
  });
}

/**
 * The connection encrypter with each of its sends reaching the socket as one
 * buffer. Noise hands the connection under it a list per message, its 2-byte
 * length and then the sealed bytes, and the TCP connection writes a list one
 * buffer at a time: two write calls per message and, with Nagle's algorithm
 * off (libp2p's TCP default), two packets, the first carrying 2 bytes. Joined,
 * a message is one write, and one packet when it fits one; the join copies
 * the message once (at most 64 KiB: noise's limit). Only what this node sends
 * is copied, so a peer cannot make it copy more than it sends anyway.
 */
function wholeMessageEncrypter<C>(
  factory: (components: C) => ConnectionEncrypter,
  activity: LinkActivity,
  backlog: SendBacklogGuard,
): (components: C) => ConnectionEncrypter {
  return (components) => {
    const inner = factory(components);
    const joined = (conn: MessageStream): MessageStream =>
      withSend(conn, (data) => conn.send(oneBuffer(data)));
    // Once the handshake is done (noise reads the connection by then), each
    // arrival on the raw connection is recorded for the liveness monitor.
    // A connection without an address (none over TCP) has no record: it is always pinged.
    const secured = <R extends SecuredConnection>(conn: MessageStream, result: R): R => {
      backlog.secured(conn, result.connection, result.remotePeer.toString());
      const addr = (conn as Partial<MultiaddrConnection>).remoteAddr;
      if (addr === undefined) return result;
      const key = linkKey(addr);
      activity.touch(key);
      conn.addEventListener("message", () => activity.touch(key));
      conn.addEventListener("close", () => activity.forget(key), { once: true });
      return result;
    };
    return {
      protocol: inner.protocol,
      secureInbound: async (conn, options) => secured(conn, await inner.secureInbound(joined(conn), options)),
      secureOutbound: async (conn, options) =>
        secured(conn, await inner.secureOutbound(joined(conn), options)),
    };
  };
}

/** A connection's key in LinkActivity: its remote address without /p2p (as the raw connection knows it). */
function linkKey(addr: Multiaddr): string {
  return addr.decapsulateCode(P2P_CODE).toString();
}

/**
 * One ping over its own stream: 32 random bytes out, the same 32 back. A peer
 * that answers the protocol negotiation with "unsupported" is there too.
 */
async function echoPing(conn: Connection, signal: AbortSignal): Promise<void> {
  let stream: Stream | undefined;
  const onAbort = (): void => stream?.abort(signal.reason as Error);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    stream = await conn.newStream(PING_PROTOCOL, { signal, runOnLimitedConnection: true });
    const sent = randomBytes(PING_BYTES);
    stream.send(sent);
    const parts: Uint8Array[] = [];
    let got = 0;
    for await (const chunk of stream) {
      parts.push(chunk.subarray());
      got += chunk.byteLength;
      if (got >= PING_BYTES) break;
    }
    const echo = concatBytes(...parts);
    if (echo.length !== PING_BYTES || !sent.equals(echo)) throw new Error("ping: the echo differs");
    await stream.close({ signal });
  } catch (e) {
    stream?.abort(e as Error);
    if ((e as Error).name === "UnsupportedProtocolError") return;
    throw e;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

function livenessLink(conn: Connection): LivenessLink {
  return {
    key: linkKey(conn.remoteAddr),
    ping: (signal) => echoPing(conn, signal),
    abort: (err) => conn.abort(err),
  };
}

/** Pauses a readable stream that is still open (pause throws on a closing one). */
function pauseReading(stream: Stream): void {
  if (stream.readStatus === "readable" && stream.status === "open") stream.pause();
}

/** Resumes a paused stream that is still open (resume throws on a closing one). */
function resumeReading(stream: Stream): void {
  if (stream.readStatus === "paused" && stream.status === "open") stream.resume();
}

type GossipRpcLimitsLike = Parameters<typeof inspectGossipRpc>[1];

/**
 * `components` whose registrar stops reading each inbound stream before its
 * handler sees it: for a service that only answers (identify), so that what
 * the peer sends on such a stream is dropped on arrival instead of waiting
 * unread in the stream's buffer.
 */
function withReadlessRegistrar<C extends { registrar: Registrar }>(components: C): C {
  let readless: Registrar | undefined;
  return new Proxy(components, {
    get(target, prop, receiver) {
      if (prop !== "registrar") return Reflect.get(target, prop, receiver);
      readless ??= withHandle(target.registrar, (protocol, handler, options) =>
        target.registrar.handle(
          protocol,
          (stream, connection) => {
            stream.closeRead().catch(() => undefined);
            return handler(stream, connection);
          },
          options,
        ),
      );
      return readless;
    },
  });
}

/** `registrar` with its `handle` replaced; everything else is its own. */
function withHandle(registrar: Registrar, handle: Registrar["handle"]): Registrar {
  return new Proxy(registrar, {
    get(target, prop) {
      if (prop === "handle") return handle;
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/**
 * The registrar gossipsub is built with: the same registrar, except that the
 * stream handler gossipsub registers is wrapped by our gate. This is the
 * component seam libp2p gives every service; gossipsub's own code is untouched.
 */
function gatedRegistrar(
  registrar: Registrar,
  control: GossipInboundControl,
  maxFrameBytes: number,
  limits: GossipRpcLimitsLike,
  topics: readonly Uint8Array[],
): Registrar {
  const handle: Registrar["handle"] = (protocol, handler, options) =>
    registrar.handle(
      protocol,
      async (stream, connection) => {
        const peer = connection.remotePeer.toString();
        // Nothing is read before Status; paused, the stream stops granting the
        // sender window, so at most one window of its data waits here.
        pauseReading(stream);
        if (!(await control.admit(peer))) {
          stream.abort(new Error("gossip before status"));
          return;
        }
        if (stream.status !== "open") return;
        // Gossipsub reads our stream of inspected frames, through the same events.
        const gated = new GatedGossipStream(stream, peer, control, maxFrameBytes, limits, topics);
        await handler(gated as unknown as Stream, connection);
        resumeReading(stream);
      },
      options,
    );
  return withHandle(registrar, handle);
}

function connectionInfo(c: Connection): HostConnection {
  return { peer: c.remotePeer.toString(), remoteAddr: c.remoteAddr.toString(), direction: c.direction };
}

type GossipsubService = GossipSub & {
  // Present at runtime, missing from the declared interface (FACTS pitfall).
  getMeshPeers(topic: string): string[];
  getScore(peer: string): number;
  reportMessageValidationResult(msgId: string, from: string, result: TopicValidatorResult): void;
};

/** Creates (but does not start) the libp2p host. */
export async function createHost(opts: NetworkOptions, modules: HostModules): Promise<Host> {
  const privateKey =
    modules.privateKey === undefined ? await newPrivateKey() : decodePrivateKey(modules.privateKey);
  const g = opts.gossip;

  const scoreParams: Partial<PeerScoreParams> = {
    ...modules.scoreParams,
    // Disabled on local networks: every peer shares 127.0.0.1 (FACTS pitfall).
    ...(opts.localNetwork ? { IPColocationFactorWeight: 0 } : {}),
    appSpecificScore: (peer) => modules.appSpecificScore?.(peer) ?? 0,
    topics: modules.topicScoreParams ?? {},
  };

  const topics = GOSSIP_KINDS.map((kind) => gossipTopic(opts.network, kind));
  const topicBytes = topics.map((t) => new TextEncoder().encode(t));
  const limits = opts.gossip.rpcLimits;
  const denyInbound = inboundConnectionGate(opts.maxConnectionsPerIp, modules.isIpDenied);
  const activity = new LinkActivity();
  if (!(opts.maxSendBacklogBytes >= MIN_SEND_BACKLOG_BYTES))
    throw new RangeError(`maxSendBacklogBytes must be at least ${MIN_SEND_BACKLOG_BYTES}`);
  const backlog = new SendBacklogGuard(opts.maxSendBacklogBytes, (peer, where) =>
    modules.onSendBacklogOverflow?.(peer, where),
  );

  // libp2p's components object is a proxy over its services: ours answers
  // `registrar` with the gated one and passes everything else through.
  const withGatedRegistrar = <C extends { registrar: Registrar }>(
    components: C,
    control: GossipInboundControl,
  ): C => {
    let gated: Registrar | undefined;
    return new Proxy(components, {
      get(target, prop, receiver) {
        if (prop !== "registrar") return Reflect.get(target, prop, receiver);
        gated ??= gatedRegistrar(target.registrar, control, g.maxInboundRpcBytes, limits, topicBytes);
        return gated;
      },
    });
  };

  const directPeers = opts.staticPeers.map((addr) => ({
    id: parsePeerId(peerIdOfMultiaddr(addr)),
    addrs: [multiaddr(addr)],
  }));

  const libp2p = await createLibp2p({
    start: false,
    privateKey,
    addresses: { listen: opts.listenAddrs, announce: opts.announceAddrs },
    transports: [tcp()],
    connectionEncrypters: [wholeMessageEncrypter(noise(), activity, backlog)],
    // Liveness is the monitor's (network/liveness.ts), not a second ping per link.
    // Every muxed stream holds at most maxSendBacklogBytes unsent (SendBacklogGuard).
    streamMuxers: [
      coalescingMuxer(
        yamux({ enableKeepAlive: false, streamOptions: { maxWriteBufferLength: opts.maxSendBacklogBytes } }),
        opts.writeCoalesceMs,
        backlog,
        (peer, reason) => modules.onStreamAbuse?.(peer, reason),
      ),
    ],
    connectionManager: {
      maxConnections: opts.maxConnections,
      dialTimeout: opts.dialTimeoutMs,
      ...(opts.localNetwork
        ? {
            inboundConnectionThreshold: LOCAL_INBOUND_CONNECTION_THRESHOLD,
            maxIncomingPendingConnections: LOCAL_MAX_INCOMING_PENDING,
          }
        : {}),
    },
    // libp2p's monitor pings every connection, busy or not, from both ends;
    // ours (LivenessMonitor, started with the host) pings quiet ones only.
    connectionMonitor: { enabled: false },
    ...(modules.metricsRegistry
      ? // Process-wide defaults are the node's business, not libp2p's.
        {
          metrics: prometheusMetrics({
            registry: modules.metricsRegistry,
            collectDefaultMetrics: false,
            // Without this it clears the registry, erasing the node's own series.
            preserveExistingMetrics: true,
          }),
        }
      : {}),
    connectionGater: {
      denyDialPeer: async (peer) =>
        modules.isDenied(peer.toString()) || (modules.isDialDenied?.(peer.toString()) ?? false),
      denyInboundConnection: async (maConn) => denyInbound(maConn),
      denyInboundEncryptedConnection: async (peer) => modules.isDenied(peer.toString()),
      denyOutboundEncryptedConnection: async (peer) => modules.isDenied(peer.toString()),
    },
    services: {
      // Its answer is all it writes; it reads nothing on the streams it answers.
      identify: (components: Parameters<ReturnType<typeof identify>>[0]) =>
        identify()(withReadlessRegistrar(components)),
      pubsub: (components: Parameters<ReturnType<typeof gossipsub>>[0]) =>
        gossipsub({
          globalSignaturePolicy: StrictNoSign,
          msgIdFn: (msg: Message) => gossipMessageId(msg.data),
          msgIdToStrFn: (id: Uint8Array) => Buffer.from(id).toString("hex"),
          // No fastMsgIdFn: a sha256 of ≤ 4 KiB costs a few µs, and a second
          // (non-spec) id would only add a cache to keep consistent.
          // Our validators run after gossipsub hands us the message; only
          // ACCEPT forwards it (reportMessageValidationResult).
          asyncValidation: true,
          // Kept false: a publish with no topic peers then fails *without*
          // marking the message seen, so the caller may publish it again once
          // the mesh has formed. The host reports it as outcome "no_peers".
          allowPublishToZeroTopicPeers: false,
          ignoreDuplicatePublishError: false,
          // Own messages go to every topic peer above publishThreshold, not just the mesh.
          floodPublish: g.floodPublish ?? true,
          // A PRUNE (mesh over D_high, or a peer leaving the topic at shutdown) carries up to
          // 16 other peers with their signed peer records; the pruned peer dials them only
          // when our score is at least acceptPXThreshold (network.ts: configured peers).
          doPX: opts.peerExchange,
          emitSelf: false,
          fallbackToFloodsub: false,
          D: g.D ?? GOSSIP_D,
          Dlo: g.Dlo ?? GOSSIP_D_LOW,
          Dhi: g.Dhi ?? GOSSIP_D_HIGH,
          Dlazy: g.Dlazy ?? GOSSIP_D_LAZY,
          heartbeatInterval: g.heartbeatIntervalMs ?? GOSSIP_HEARTBEAT_MS,
          ...(g.idontwantMinDataSize === undefined ? {} : { idontwantMinDataSize: g.idontwantMinDataSize }),
          fanoutTTL: GOSSIP_FANOUT_TTL_MS,
          mcacheLength: GOSSIP_MCACHE_LENGTH,
          mcacheGossip: GOSSIP_MCACHE_GOSSIP,
          seenTTL: GOSSIP_SEEN_TTL_MS,
          // One RPC may batch several messages plus control data; 4 KiB
          // messages make 1 MiB ample while bounding what a peer can push.
          maxInboundDataLength: g.maxInboundRpcBytes,
          directPeers,
          scoreParams: { ...scoreParams, ...g.scoreParams },
          scoreThresholds: { ...defaultGossipScoreThresholds, ...g.scoreThresholds },
          // Only our four topics enter gossipsub's tables (subscriptions, messages).
          allowedTopics: topics,
          decodeRpcLimits: limits,
        })(
          modules.gossipInbound === undefined
            ? components
            : withGatedRegistrar(components, modules.gossipInbound),
        ),
    },
  });
  const typed = libp2p as unknown as Libp2p<{ pubsub: GossipsubService }>;
  // Pings are answered by our own responder, which holds at most two pings per
  // stream (one muxer window while an echo waits to be sent); libp2p's queued
  // whatever a peer sent while it did not read the echoes.
  await libp2p.handle(
    PING_PROTOCOL,
    (stream, connection) => {
      const peer = connection.remotePeer.toString();
      answerPings(stream, undefined, (reason) => modules.onPingAbuse?.(peer, reason));
    },
    { maxInboundStreams: PING_MAX_INBOUND_STREAMS, runOnLimitedConnection: true },
  );
  const liveness = new LivenessMonitor(
    { intervalMs: opts.pingIntervalMs, timeoutMs: opts.pingTimeoutMs },
    {
      links: () =>
        typed
          .getConnections()
          .filter((c) => c.status === "open")
          .map(livenessLink),
      activity,
      ...(modules.onLivenessCheck ? { onResult: modules.onLivenessCheck } : {}),
    },
  );
  return new Libp2pHost(typed, encodePrivateKey(privateKey), liveness);
}

class Libp2pHost implements Host {
  readonly peerId: string;
  readonly pubsub: HostPubSub;

  constructor(
    private readonly libp2p: Libp2p<{ pubsub: GossipsubService }>,
    readonly privateKey: Uint8Array,
    private readonly liveness: LivenessMonitor,
  ) {
    this.peerId = libp2p.peerId.toString();
    const gs = libp2p.services.pubsub;
    this.pubsub = {
      subscribe: (topic) => gs.subscribe(topic),
      unsubscribe: (topic) => gs.unsubscribe(topic),
      publish: async (topic, data) => {
        try {
          const res = await gs.publish(topic, data);
          return { outcome: "sent", recipients: res.recipients.length };
        } catch (e) {
          const message = (e as Error).message;
          if (message === "PublishError.NoPeersSubscribedToTopic")
            return { outcome: "no_peers", recipients: 0 };
          if (message === "PublishError.Duplicate") return { outcome: "duplicate", recipients: 0 };
          throw new ProtocolError(NetworkErrorCode.PUBLISH_FAILED, message);
        }
      },
      onMessage: (handler) => {
        gs.addEventListener("gossipsub:message", (evt) => {
          const { propagationSource, msgId, msg } = evt.detail;
          handler({ topic: msg.topic, data: msg.data, msgId, from: propagationSource.toString() });
        });
      },
      reportValidationResult: (msgId, from, result) => gs.reportMessageValidationResult(msgId, from, result),
      getScore: (peer) => gs.getScore(peer),
      getMeshPeers: (topic) => gs.getMeshPeers(topic),
      getSubscribers: (topic) => gs.getSubscribers(topic).map((p) => p.toString()),
    };
  }

  async start(): Promise<void> {
    await this.libp2p.start();
    this.liveness.start();
  }

  async stop(): Promise<void> {
    this.liveness.stop();
    await this.libp2p.stop();
  }

  getMultiaddrs(): string[] {
    return this.libp2p.getMultiaddrs().map((a) => a.toString());
  }

  async handle(
    protocol: string,
    handler: (stream: HostStream, peer: string) => void,
    opts: { maxInboundStreams: number },
  ): Promise<void> {
    await this.libp2p.handle(
      protocol,
      (stream, connection) => handler(wrapStream(stream), connection.remotePeer.toString()),
      { maxInboundStreams: opts.maxInboundStreams },
    );
  }

  async unhandle(protocol: string): Promise<void> {
    await this.libp2p.unhandle(protocol);
  }

  async newStream(peer: string, protocol: string, signal: AbortSignal): Promise<HostStream> {
    const stream = await this.libp2p.dialProtocol(parsePeerId(peer), protocol, { signal });
    return wrapStream(stream);
  }

  async dial(addr: string, signal: AbortSignal): Promise<string> {
    const conn = await this.libp2p.dial(multiaddr(addr), { signal });
    return conn.remotePeer.toString();
  }

  async hangUp(peer: string): Promise<void> {
    await this.libp2p.hangUp(parsePeerId(peer));
  }

  getConnections(peer?: string): HostConnection[] {
    const conns =
      peer === undefined ? this.libp2p.getConnections() : this.libp2p.getConnections(parsePeerId(peer));
    return conns.filter((c) => c.status === "open").map(connectionInfo);
  }

  async getPeerAddrs(peer: string): Promise<string[]> {
    try {
      const p = await this.libp2p.peerStore.get(parsePeerId(peer));
      return p.addresses.map((a) => `${a.multiaddr.toString()}/p2p/${peer}`);
    } catch {
      return []; // unknown peer
    }
  }

  async addPeerAddrs(peer: string, addrs: string[]): Promise<void> {
    await this.libp2p.peerStore.merge(parsePeerId(peer), {
      multiaddrs: addrs.map((a) => multiaddr(a).decapsulateCode(P2P_CODE)), // strip /p2p/<id>
    });
  }

  onPeerConnect(handler: (peer: string) => void): void {
    this.libp2p.addEventListener("peer:connect", (evt) => handler(evt.detail.toString()));
  }

  onPeerDisconnect(handler: (peer: string) => void): void {
    this.libp2p.addEventListener("peer:disconnect", (evt) => handler(evt.detail.toString()));
  }
}
