// Request/response over libp2p streams: one length-prefixed request, then
// response frames `code ‖ payload`. Caps, time limits, rate and concurrency
// limits (per peer and over all peers) are enforced here, so handlers only
// produce payloads.
import { isProtocolError } from "@ocp/protocol";
import * as lp from "it-length-prefixed";
import type { BoundSnapshot } from "../../metrics/bounds.js";
import type { NetworkMetrics } from "../../metrics/network.js";
import { decrement, increment } from "../../util/counts.js";
import { abortAfter } from "../../util/timeout.js";
import { RequestError, RequestErrorCode } from "../errors.js";
import type { Host, HostStream } from "../host.js";
import type { ReqRespOptions } from "../options.js";
import {
  decodeErrorMessage,
  encodeVarint,
  errorFrame,
  framingFault,
  isResponseCode,
  responseFrameHeader,
} from "./framing.js";
import { REQRESP_PROTOCOLS, ReqRespProtocolName, type ReqRespProtocolSpec } from "./protocols.js";
import { PeerRateLimiter } from "./rateLimiter.js";
import { type ReqRespHandler, ResponseCode, ResponseError } from "./types.js";

export interface ReqRespModules {
  host: Host;
  metrics: NetworkMetrics | null;
  /** Called for each inbound request that was rate limited (peer scoring hook). */
  onRateLimited?(peer: string, protocol: ReqRespProtocolName): void;
}

/** Per-request overrides of the client time limits. */
export interface RequestOptions {
  ttfbTimeoutMs?: number;
  respTimeoutMs?: number;
  signal?: AbortSignal;
}

const ERROR_CODE_OF: Record<Exclude<ResponseCode, ResponseCode.SUCCESS>, RequestErrorCode> = {
  [ResponseCode.INVALID_REQUEST]: RequestErrorCode.INVALID_REQUEST,
  [ResponseCode.SERVER_ERROR]: RequestErrorCode.SERVER_ERROR,
  [ResponseCode.RESOURCE_UNAVAILABLE]: RequestErrorCode.RESOURCE_UNAVAILABLE,
  [ResponseCode.RATE_LIMITED]: RequestErrorCode.RATE_LIMITED,
};

// Buckets that refilled completely are dropped this often.
const RATE_LIMITER_PRUNE_MS = 60_000;
/** The key of the buckets over all peers (no peer id has this form). */
const ALL_PEERS = "*";

export class ReqResp {
  private readonly handlers = new Map<ReqRespProtocolName, ReqRespHandler>();
  private readonly inboundPerPeer = new Map<string, number>();
  /** Responses in progress by protocol, and by peer and protocol (`peer\0protocol`). */
  private readonly inProgress = new Map<string, number>();
  private readonly openStreams = new Set<HostStream>();
  private readonly rateLimiter = new PeerRateLimiter();
  /**
   * Token buckets over all peers, one per protocol under the key ALL_PEERS. A
   * limiter of their own: the per-peer one may evict buckets under many peer
   * ids, and this one holds at most one per protocol, so it never does.
   */
  private readonly totalLimiter = new PeerRateLimiter();
  private pruneTimer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;

  constructor(
    private readonly opts: ReqRespOptions,
    private readonly modules: ReqRespModules,
  ) {}

  /** The protocol's caps and limits, with configured rate-limit overrides applied. */
  spec(protocol: ReqRespProtocolName): ReqRespProtocolSpec {
    const base = REQRESP_PROTOCOLS[protocol];
    const rateLimit = this.opts.rateLimits[protocol] ?? base.rateLimit;
    const totalRateLimit = this.opts.totalRateLimits[protocol] ?? base.totalRateLimit;
    const maxInProgress =
      protocol === ReqRespProtocolName.tableByDigest
        ? this.opts.maxConcurrentTableResponses
        : base.maxInProgress;
    return { ...base, rateLimit, totalRateLimit, maxInProgress };
  }

  /** Serves `protocol` with `handler`; replaces a previous handler. May be called before or after start. */
  async registerHandler(protocol: ReqRespProtocolName, handler: ReqRespHandler): Promise<void> {
    const known = this.handlers.has(protocol);
    this.handlers.set(protocol, handler);
    if (this.started && !known) await this.handleProtocol(protocol);
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const protocol of this.handlers.keys()) await this.handleProtocol(protocol);
    this.pruneTimer = setInterval(() => this.rateLimiter.prune(), RATE_LIMITER_PRUNE_MS);
    this.pruneTimer.unref();
  }

  /** Sizes of the bounded state, for `Network.bounds()`. */
  bounds(): Record<string, BoundSnapshot> {
    return {
      reqRespRateLimitBuckets: {
        size: this.rateLimiter.size,
        limit: this.rateLimiter.maxBuckets,
        dropped: this.rateLimiter.evicted,
      },
    };
  }

  /** Stops serving and aborts every open stream; idempotent. */
  async stop(): Promise<void> {
    if (this.stopped || !this.started) {
      this.stopped = true;
      return;
    }
    this.stopped = true;
    clearInterval(this.pruneTimer);
    for (const protocol of this.handlers.keys()) {
      await this.modules.host.unhandle(this.spec(protocol).protocolId).catch(() => undefined);
    }
    for (const stream of this.openStreams) stream.abort(new Error("network stopping"));
    this.openStreams.clear();
  }

  private async handleProtocol(protocol: ReqRespProtocolName): Promise<void> {
    const spec = this.spec(protocol);
    await this.modules.host.handle(
      spec.protocolId,
      (stream, peer) => void this.onInbound(protocol, stream, peer),
      {
        // libp2p's own per-connection cap sits above ours, so our typed
        // RATE_LIMITED answer is what a peer normally sees.
        maxInboundStreams: this.opts.maxConcurrentInboundPerPeer * 2,
      },
    );
  }

  // --- server side ---------------------------------------------------------

  private async onInbound(protocol: ReqRespProtocolName, stream: HostStream, peer: string): Promise<void> {
    const { metrics } = this.modules;
    const count = (result: string): void => metrics?.reqRespInbound.inc({ protocol, result });
    if (this.stopped) {
      stream.abort(new Error("network stopping"));
      return;
    }
    const spec = this.spec(protocol);
    const concurrent = increment(this.inboundPerPeer, peer) - 1;
    this.openStreams.add(stream);
    try {
      if (concurrent >= this.opts.maxConcurrentInboundPerPeer) {
        this.modules.onRateLimited?.(peer, protocol);
        await this.sendError(stream, ResponseCode.RATE_LIMITED, "too many concurrent requests");
        count(ResponseCode[ResponseCode.RATE_LIMITED]);
        return;
      }
      const peerKey = `${peer}\u0000${protocol}`;
      if ((this.inProgress.get(peerKey) ?? 0) >= (spec.maxInProgressPerPeer ?? Infinity)) {
        this.modules.onRateLimited?.(peer, protocol);
        await this.sendError(stream, ResponseCode.RATE_LIMITED, `one ${protocol} response at a time`);
        count(ResponseCode[ResponseCode.RATE_LIMITED]);
        return;
      }
      // [rate limit] per peer and protocol, before reading anything.
      if (!this.rateLimiter.tryTake(peer, protocol, spec.rateLimit)) {
        this.modules.onRateLimited?.(peer, protocol);
        await this.sendError(stream, ResponseCode.RATE_LIMITED, "rate limited");
        count(ResponseCode[ResponseCode.RATE_LIMITED]);
        return;
      }
      // Over all peers: the peer did nothing wrong, so it is not charged.
      if (
        (this.inProgress.get(protocol) ?? 0) >= (spec.maxInProgress ?? Infinity) ||
        (spec.totalRateLimit !== undefined &&
          !this.totalLimiter.tryTake(ALL_PEERS, protocol, spec.totalRateLimit))
      ) {
        await this.sendError(stream, ResponseCode.RATE_LIMITED, "busy: try later");
        count("busy");
        return;
      }
      increment(this.inProgress, protocol);
      increment(this.inProgress, peerKey);
      try {
        await this.serve(protocol, spec, stream, peer, count);
      } finally {
        decrement(this.inProgress, protocol);
        decrement(this.inProgress, peerKey);
      }
    } catch (e) {
      // Defensive: nothing above should throw, but a handler must never crash the node.
      count("stream_error");
      stream.abort(e as Error);
    } finally {
      decrement(this.inboundPerPeer, peer);
      this.openStreams.delete(stream);
    }
  }

  /** Reads the request of an admitted stream and writes the handler's response. */
  private async serve(
    protocol: ReqRespProtocolName,
    spec: ReqRespProtocolSpec,
    stream: HostStream,
    peer: string,
    count: (result: string) => void,
  ): Promise<void> {
    let timedOut = false;
    const requestTimer = setTimeout(() => {
      timedOut = true;
      stream.abort(new Error("request timeout"));
    }, this.opts.requestTimeoutMs);
    let data: Uint8Array;
    try {
      data = await readOneFrame(stream.source, spec.maxRequestBytes);
      // One request per stream: anything the peer sends after it is dropped
      // on arrival, not kept until the stream ends (docs/spec.md §5.4).
      stream.closeRead();
    } catch (e) {
      if (timedOut) {
        count("request_timeout");
        return;
      }
      const fault = framingFault(e);
      if (fault === undefined) {
        count("stream_error");
        stream.abort(e as Error);
        return;
      }
      const why =
        fault === "too_large"
          ? `request over ${spec.maxRequestBytes} bytes`
          : `malformed request framing (${fault})`;
      await this.sendError(stream, ResponseCode.INVALID_REQUEST, why);
      count(ResponseCode[ResponseCode.INVALID_REQUEST]);
      return;
    } finally {
      clearTimeout(requestTimer);
    }

    const handler = this.handlers.get(protocol);
    if (handler === undefined) {
      await this.sendError(stream, ResponseCode.SERVER_ERROR, "no handler");
      count(ResponseCode[ResponseCode.SERVER_ERROR]);
      return;
    }
    let respTimedOut = false;
    const respTimer = setTimeout(() => {
      respTimedOut = true;
      stream.abort(new Error("response timeout"));
    }, this.opts.respTimeoutMs);
    const outcome = { code: ResponseCode.SUCCESS };
    try {
      await stream.sink(responseFrames(spec, handler, { protocol, data, peer }, outcome));
      count(ResponseCode[outcome.code]);
      stream.close().catch(() => undefined);
    } catch (e) {
      count(respTimedOut ? "response_timeout" : "stream_error");
      stream.abort(e as Error);
    } finally {
      clearTimeout(respTimer);
    }
  }

  private async sendError(stream: HostStream, code: ResponseCode, message: string): Promise<void> {
    // Nothing more is read from a stream answered with an error.
    stream.closeRead();
    const timer = setTimeout(
      () => stream.abort(new Error("error response timeout")),
      this.opts.requestTimeoutMs,
    );
    try {
      await stream.sink([errorFrame(code, message)]);
      await stream.close();
    } catch {
      stream.abort(new Error("error response failed"));
    } finally {
      clearTimeout(timer);
    }
  }

  // --- client side ---------------------------------------------------------

  /**
   * Sends `payload` to `peer` and returns the response chunk payloads.
   * Throws only RequestError (a RequestErrorCode says what went wrong).
   */
  async request(
    peer: string,
    protocol: ReqRespProtocolName,
    payload: Uint8Array,
    reqOpts: RequestOptions = {},
  ): Promise<Uint8Array[]> {
    try {
      const chunks = await this.doRequest(peer, protocol, payload, reqOpts);
      this.modules.metrics?.reqRespOutbound.inc({ protocol, result: "ok" });
      return chunks;
    } catch (e) {
      const err =
        e instanceof RequestError
          ? e
          : new RequestError(
              RequestErrorCode.STREAM_ERROR,
              protocol,
              peer,
              (e as Error)?.message ?? String(e),
            );
      this.modules.metrics?.reqRespOutbound.inc({ protocol, result: err.code });
      throw err;
    }
  }

  private async doRequest(
    peer: string,
    protocol: ReqRespProtocolName,
    payload: Uint8Array,
    reqOpts: RequestOptions,
  ): Promise<Uint8Array[]> {
    const spec = REQRESP_PROTOCOLS[protocol] as ReqRespProtocolSpec | undefined;
    const fail = (code: RequestErrorCode, detail?: string): RequestError =>
      new RequestError(code, String(protocol), peer, detail);
    if (spec === undefined) throw fail(RequestErrorCode.UNKNOWN_PROTOCOL);
    if (this.stopped || !this.started) throw fail(RequestErrorCode.STOPPED);
    if (payload.length > spec.maxRequestBytes)
      throw fail(RequestErrorCode.REQUEST_TOO_LARGE, `${payload.length} > ${spec.maxRequestBytes} bytes`);

    const dialSignal = AbortSignal.any([
      // Not AbortSignal.timeout: inside AbortSignal.any, Node 20 loses it at the next GC (util/timeout.ts).
      abortAfter(this.opts.dialTimeoutMs),
      ...(reqOpts.signal ? [reqOpts.signal] : []),
    ]);
    let stream: HostStream;
    try {
      stream = await this.modules.host.newStream(peer, spec.protocolId, dialSignal);
    } catch (e) {
      throw fail(RequestErrorCode.DIAL_ERROR, (e as Error).message);
    }
    this.openStreams.add(stream);

    let timeout: RequestErrorCode | undefined;
    const expire = (code: RequestErrorCode) => () => {
      timeout = code;
      stream.abort(fail(code));
    };
    const ttfbTimer = setTimeout(
      expire(RequestErrorCode.TTFB_TIMEOUT),
      reqOpts.ttfbTimeoutMs ?? this.opts.ttfbTimeoutMs,
    );
    const respTimer = setTimeout(
      expire(RequestErrorCode.RESP_TIMEOUT),
      reqOpts.respTimeoutMs ?? this.opts.respTimeoutMs,
    );
    const onAbort = (): void => stream.abort(fail(RequestErrorCode.STOPPED, "aborted by caller"));
    reqOpts.signal?.addEventListener("abort", onAbort, { once: true });
    let ok = false;
    try {
      await stream.sink([encodeVarint(payload.length), payload]);
      const chunks: Uint8Array[] = [];
      let total = 0;
      // +1: the code byte travels inside each frame.
      for await (const frame of lp.decode(stream.source, { maxDataLength: spec.maxChunkBytes + 1 })) {
        clearTimeout(ttfbTimer);
        const bytes = frame.subarray();
        const code = bytes[0];
        if (code === undefined) throw fail(RequestErrorCode.INVALID_RESPONSE, "empty frame");
        if (!isResponseCode(code))
          throw fail(RequestErrorCode.INVALID_RESPONSE, `unknown response code ${code}`);
        const body = bytes.subarray(1);
        if (code !== ResponseCode.SUCCESS) throw fail(ERROR_CODE_OF[code], decodeErrorMessage(body));
        total += body.length;
        if (chunks.length + 1 > spec.maxChunks || total > spec.maxResponseBytes)
          throw fail(
            RequestErrorCode.RESPONSE_TOO_LARGE,
            `over ${spec.maxChunks} chunks or ${spec.maxResponseBytes} bytes`,
          );
        chunks.push(body);
      }
      if (chunks.length === 0)
        throw fail(RequestErrorCode.INVALID_RESPONSE, "stream closed without a response");
      ok = true;
      return chunks;
    } catch (e) {
      if (timeout !== undefined) throw fail(timeout);
      if (this.stopped) throw fail(RequestErrorCode.STOPPED);
      if (e instanceof RequestError) throw e;
      const fault = framingFault(e);
      if (fault === "too_large") throw fail(RequestErrorCode.RESPONSE_TOO_LARGE, (e as Error).message);
      if (fault !== undefined) throw fail(RequestErrorCode.INVALID_RESPONSE, (e as Error).message);
      throw fail(RequestErrorCode.STREAM_ERROR, (e as Error)?.message ?? String(e));
    } finally {
      clearTimeout(ttfbTimer);
      clearTimeout(respTimer);
      reqOpts.signal?.removeEventListener("abort", onAbort);
      this.openStreams.delete(stream);
      if (ok) stream.close().catch(() => undefined);
      else stream.abort(new Error("request failed"));
    }
  }
}

/** Reads exactly one length-prefixed frame of at most `maxBytes`. */
async function readOneFrame(source: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  for await (const frame of lp.decode(source, { maxDataLength: maxBytes })) return frame.subarray();
  throw Object.assign(new Error("stream ended before the request"), { name: "UnexpectedEOFError" });
}

/** Response frames from a handler; a handler error becomes one final error frame. */
async function* responseFrames(
  spec: ReqRespProtocolSpec,
  handler: ReqRespHandler,
  req: Parameters<ReqRespHandler>[0],
  outcome: { code: ResponseCode },
): AsyncGenerator<Uint8Array> {
  let chunks = 0;
  let total = 0;
  try {
    for await (const chunk of handler(req)) {
      chunks++;
      total += chunk.length;
      // Our own handler broke the protocol's caps: refuse rather than send.
      if (chunk.length > spec.maxChunkBytes || chunks > spec.maxChunks || total > spec.maxResponseBytes)
        throw new ResponseError(ResponseCode.SERVER_ERROR, "response over the protocol caps");
      yield responseFrameHeader(ResponseCode.SUCCESS, chunk.length);
      yield chunk;
    }
  } catch (e) {
    const code =
      e instanceof ResponseError
        ? e.code
        : isProtocolError(e)
          ? ResponseCode.INVALID_REQUEST
          : ResponseCode.SERVER_ERROR;
    outcome.code = code;
    // Messages of unexpected errors stay local: they may describe our internals.
    const message = e instanceof ResponseError || isProtocolError(e) ? e.message : "internal error";
    yield errorFrame(code, message);
  }
}
