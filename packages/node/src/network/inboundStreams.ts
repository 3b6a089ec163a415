// What one connection's peer may make the node do with the streams it opens
// (docs/spec.md §5.5, "Streams a peer opens"). Every new stream costs the
// node a muxer stream, a protocol negotiation and, once agreed, a peer-store
// write, whatever the peer sends on it; and during negotiation the node
// answers every protocol it is offered, one at a time, for as long as the
// peer keeps offering. Both are bounded here, per connection, before any of
// it runs. No libp2p import: host.ts hands each inbound stream over.
import { type RateLimit, type TokenBucketState, takeToken } from "./reqresp/rateLimiter.js";

/** Why a stream was reset before the node would negotiate or answer on it. */
export type InboundStreamAbuse = "stream_rate" | "negotiation_bytes";

/**
 * New streams per connection: a bucket of `burst`, refilled at `perSecond`.
 * An honest peer opens a gossip stream, an identify stream and a Status
 * request when it connects, then a ping per quiet interval and req/resp
 * requests, which are rate-limited per protocol at under 3 a second in all
 * (reqresp/protocols.ts, bursts of 17 in all). 32 and 8 a second leave room
 * for that several times over; past them each stream is reset at once.
 */
export const INBOUND_STREAM_BURST = 32;
export const INBOUND_STREAMS_PER_SECOND = 8;

/**
 * Bytes a peer may send on a stream before its protocol is agreed. A dialer
 * sends the multistream-select header (20 bytes) with its first proposal and
 * waits for each answer before the next; our protocol ids are under 40 bytes,
 * and libp2p's dialers send nothing else before the answer. 512 leaves room
 * for a dozen such proposals. Without a bound the node answers "na" to every
 * proposal it is sent: a peer sending 8-byte proposals as fast as it could
 * held a node's event loop for 0.5–0.7 s at a time and used more than a core.
 */
export const MAX_NEGOTIATION_BYTES = 512;

/** The part of a newly opened inbound stream the guard uses. */
export interface NegotiatingStream {
  /** Empty until the protocol is agreed. */
  readonly protocol: string;
  addEventListener(type: "message", listener: (evt: { data: { byteLength: number } }) => void): void;
  removeEventListener(type: "message", listener: (evt: { data: { byteLength: number } }) => void): void;
  listenerCount(type: "message"): number;
  /** Puts bytes back at the front of what the stream has to read. */
  unshift(data: never): void;
  abort(err: Error): void;
}

export class InboundStreamAbuseError extends Error {
  constructor(readonly reason: InboundStreamAbuse) {
    super(reason === "stream_rate" ? "too many new streams" : "too many bytes before a protocol was agreed");
    this.name = "InboundStreamAbuseError";
  }
}

/**
 * One connection's inbound streams. `admit` is called for each stream the
 * peer opens, before the node negotiates on it; a stream it refuses has been
 * reset and reported through `onAbuse`.
 */
export class InboundStreamGuard {
  private readonly bucket: TokenBucketState;

  constructor(
    private readonly onAbuse: (reason: InboundStreamAbuse) => void,
    private readonly now: () => number = () => performance.now(),
    private readonly limit: RateLimit = {
      burst: INBOUND_STREAM_BURST,
      perSecond: INBOUND_STREAMS_PER_SECOND,
    },
    private readonly maxNegotiationBytes = MAX_NEGOTIATION_BYTES,
  ) {
    this.bucket = { tokens: limit.burst, updatedMs: now() };
  }

  /** True if the node may negotiate on `stream`; false if it was reset. */
  admit(stream: NegotiatingStream): boolean {
    if (!takeToken(this.bucket, this.limit, this.now())) {
      this.refuse(stream, "stream_rate");
      return false;
    }
    this.watchNegotiation(stream);
    return true;
  }

  /**
   * Counts what arrives on `stream` until its protocol is agreed. The count
   * listens beside the negotiation's own reader. The first arrival after the
   * agreement ends it: if no handler listens yet, that arrival is put back
   * for the handler (a stream with no listener keeps what arrives until one
   * is added), so the handler loses nothing.
   */
  private watchNegotiation(stream: NegotiatingStream): void {
    let bytes = 0;
    const onMessage = (evt: { data: { byteLength: number } }): void => {
      if (stream.protocol !== "") {
        stream.removeEventListener("message", onMessage);
        if (stream.listenerCount("message") === 0) {
          try {
            stream.unshift(evt.data as never);
          } catch {
            // Its read side closed meanwhile: there is nobody to hand the bytes to.
          }
        }
        return;
      }
      bytes += evt.data.byteLength;
      if (bytes > this.maxNegotiationBytes) {
        stream.removeEventListener("message", onMessage);
        this.refuse(stream, "negotiation_bytes");
      }
    };
    stream.addEventListener("message", onMessage);
  }

  private refuse(stream: NegotiatingStream, reason: InboundStreamAbuse): void {
    stream.abort(new InboundStreamAbuseError(reason));
    this.onAbuse(reason);
  }
}
