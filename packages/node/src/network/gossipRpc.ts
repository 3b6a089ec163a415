// A look at each inbound gossipsub RPC frame before gossipsub decodes it: the
// wire format is walked without allocating, counted against our limits, and the
// frame is judged (forward, or drop and charge the sender). Pure: no libp2p here.

/** Element counts one RPC may carry (same meaning as gossipsub's DecodeRPCLimits). */
export interface GossipRpcLimits {
  maxSubscriptions: number;
  maxMessages: number;
  maxIhaveMessageIDs: number;
  maxIwantMessageIDs: number;
  maxIdontwantMessageIDs: number;
  maxControlMessages: number;
  maxPeerInfos: number;
}

/**
 * Our limits, from our own traffic (docs/spec.md §5 sizes):
 * - subscriptions 16: a peer has 4 topics; one RPC may (un)subscribe each once
 *   (8 entries), doubled for a resubscribe in the same frame.
 * - messages 1024: a publish or a forward carries one message; only an IWANT
 *   reply carries more, and it answers the ids we asked for after an IHAVE
 *   covering 3 heartbeats (2.1 s). The heaviest honest topic is attestations:
 *   a 4,096-key set (the largest set) votes once per 12 s slot, ~720 votes in
 *   2.1 s. 1,024 keeps that whole, and a 1 MiB frame holds ~3,000 votes, so
 *   the cap binds before the byte limit for vote floods.
 * - IHAVE / IWANT ids per entry 1024: the same 2.1 s of one topic's ids.
 * - IDONTWANT ids 512: gossipsub sends at most 512 per heartbeat (its own default).
 * - control entries 16: one IHAVE / GRAFT / PRUNE / IWANT per topic (4) per
 *   kind, with room for piggybacked retries.
 * - peer infos 16: gossipsub's PX list length (prunePeers).
 */
export const defaultGossipRpcLimits: GossipRpcLimits = {
  maxSubscriptions: 16,
  maxMessages: 1024,
  maxIhaveMessageIDs: 1024,
  maxIwantMessageIDs: 1024,
  maxIdontwantMessageIDs: 512,
  maxControlMessages: 16,
  maxPeerInfos: 16,
};

export type GossipRpcDropReason =
  /** Not a well-formed RPC (bad varint, length past the end, unknown wire type). */
  | "undecodable"
  /** Well formed, but more elements than `GossipRpcLimits` allow. */
  | "over_limit"
  /** A message on a topic we do not subscribe to (honest peers send only subscribed topics). */
  | "unsubscribed_topic"
  /** A message carrying from/seqno/signature/key: our topics are StrictNoSign. */
  | "signature_policy"
  /** Control message ids beyond the peer's rate (the gate's token bucket). */
  | "over_rate"
  /** Charged, not dropped: (un)subscriptions to topics that are not ours. */
  | "unknown_topic_subscription";

export type GossipRpcVerdict =
  | {
      ok: true;
      messages: number;
      /** IHAVE, IWANT and IDONTWANT message ids (for the per-peer control rate). */
      controlIds: number;
      /** (Un)subscriptions to topics that are not ours: harmless to gossipsub, but charged. */
      foreignSubscriptions: number;
    }
  | { ok: false; reason: GossipRpcDropReason };

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

class Malformed extends Error {}
class OverLimit extends Error {}
const MALFORMED = new Malformed();
const OVER_LIMIT = new OverLimit();

/** A cursor over one protobuf message (a sub-range of the frame). */
class Reader {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  /** A uint32 varint (keys, lengths): at most 5 bytes, below 2^32, as protobuf encoders write them. */
  uint32(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw MALFORMED;
      const b = this.buf[this.pos++]!;
      if (i === 4 && b > 0x0f) throw MALFORMED;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw MALFORMED;
  }

  /** Any varint value (up to 10 bytes), skipped. */
  skipVarint(): void {
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw MALFORMED;
      if ((this.buf[this.pos++]! & 0x80) === 0) return;
    }
    throw MALFORMED;
  }

  /** Field number and wire type of the next field; field 0 does not exist. */
  key(): number {
    const k = this.uint32();
    if (k < 8) throw MALFORMED;
    return k;
  }

  /** Start offset of a length-delimited field's bytes; the cursor moves past it. */
  len(): number {
    const n = this.uint32();
    const start = this.pos;
    if (n > this.end - start) throw MALFORMED;
    this.pos = start + n;
    return start;
  }

  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.skipVarint();
        return;
      case WIRE_I64:
        if (this.end - this.pos < 8) throw MALFORMED;
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.len();
        return;
      case WIRE_I32:
        if (this.end - this.pos < 4) throw MALFORMED;
        this.pos += 4;
        return;
      default:
        // Groups (3, 4) and the undefined types 6, 7: not in the gossipsub schema.
        throw MALFORMED;
    }
  }
}

function bytesAt(buf: Uint8Array, start: number, end: number, want: Uint8Array): boolean {
  if (end - start !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (buf[start + i] !== want[i]) return false;
  return true;
}

/**
 * Judges one RPC frame body (the bytes after the length prefix) against
 * `limits` and the topics we subscribe to (UTF-8 bytes). Never throws.
 */
export function inspectGossipRpc(
  body: Uint8Array,
  limits: GossipRpcLimits,
  subscribedTopics: readonly Uint8Array[],
): GossipRpcVerdict {
  try {
    return inspect(body, limits, subscribedTopics);
  } catch (e) {
    if (e === OVER_LIMIT) return { ok: false, reason: "over_limit" };
    return { ok: false, reason: "undecodable" };
  }
}

/**
 * Expected wire type per field number, as gossipsub's rpc.proto declares
 * them. Its decoder reads a known field by the schema whatever wire type the
 * frame claims, so a mismatch is malformed here. VARINT32: a varint read as uint32.
 */
type Schema = readonly (number | undefined)[];
const VARINT32 = 8;
const L2 = WIRE_LEN;
const RPC_SCHEMA: Schema = [undefined, L2, L2, L2]; // subscriptions, messages, control
const SUBOPTS_SCHEMA: Schema = [undefined, VARINT32, L2]; // subscribe, topic
const MESSAGE_SCHEMA: Schema = [undefined, L2, L2, L2, L2, L2, L2]; // from, data, seqno, topic, signature, key
const CONTROL_SCHEMA: Schema = [undefined, L2, L2, L2, L2, L2]; // ihave, iwant, graft, prune, idontwant
const IHAVE_SCHEMA: Schema = [undefined, L2, L2]; // topicID, messageIDs
const IDS_SCHEMA: Schema = [undefined, L2]; // IWANT / IDONTWANT messageIDs
const GRAFT_SCHEMA: Schema = [undefined, L2]; // topicID
const PRUNE_SCHEMA: Schema = [undefined, L2, L2, WIRE_VARINT]; // topicID, peers, backoff (uint64)
const PEERINFO_SCHEMA: Schema = [undefined, L2, L2]; // peerID, signedPeerRecord

/** Walks the fields of one message; `visit` gets each known length-delimited field's range. */
function fields(
  r: Reader,
  schema: Schema,
  visit?: (field: number, start: number, end: number) => void,
): void {
  while (r.pos < r.end) {
    const key = r.key();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    const expected = schema[field];
    if (expected === undefined) {
      r.skip(wire);
      continue;
    }
    if (wire !== (expected === VARINT32 ? WIRE_VARINT : expected)) throw MALFORMED;
    if (expected === VARINT32) r.uint32();
    else if (wire === WIRE_LEN) {
      const start = r.len();
      visit?.(field, start, r.pos);
    } else r.skip(wire);
  }
}

function inspect(
  body: Uint8Array,
  limits: GossipRpcLimits,
  subscribedTopics: readonly Uint8Array[],
): GossipRpcVerdict {
  let subscriptions = 0;
  let foreignSubscriptions = 0;
  let messages = 0;
  let foreign = false;
  let signed = false;
  const ids = { n: 0 };
  fields(new Reader(body, 0, body.length), RPC_SCHEMA, (field, start, end) => {
    const sub = new Reader(body, start, end);
    if (field === 1) {
      if (++subscriptions > limits.maxSubscriptions) throw OVER_LIMIT;
      let ours = false;
      fields(sub, SUBOPTS_SCHEMA, (f, s, e) => {
        if (f === 2) ours = subscribedTopics.some((t) => bytesAt(body, s, e, t));
      });
      if (!ours) foreignSubscriptions++;
    } else if (field === 2) {
      if (++messages > limits.maxMessages) throw OVER_LIMIT;
      let topicOk = false;
      fields(sub, MESSAGE_SCHEMA, (f, s, e) => {
        if (f === 4) topicOk = subscribedTopics.some((t) => bytesAt(body, s, e, t));
        // from, seqno, signature, key: absent under StrictNoSign
        else if (f !== 2) signed = true;
      });
      if (!topicOk) foreign = true;
    } else {
      control(sub, limits, ids);
    }
  });
  if (foreign) return { ok: false, reason: "unsubscribed_topic" };
  if (signed) return { ok: false, reason: "signature_policy" };
  return { ok: true, messages, controlIds: ids.n, foreignSubscriptions };
}

/** Walks one control entry, counting its repeated field `idField` against `max`. */
function countIds(r: Reader, schema: Schema, idField: number, max: number, nested?: Schema): number {
  let n = 0;
  fields(r, schema, (f, s, e) => {
    if (f !== idField) return;
    if (++n > max) throw OVER_LIMIT;
    if (nested !== undefined) fields(new Reader(r.buf, s, e), nested);
  });
  return n;
}

function control(r: Reader, limits: GossipRpcLimits, ids: { n: number }): void {
  const entries = [0, 0, 0, 0, 0, 0];
  fields(r, CONTROL_SCHEMA, (field, start, end) => {
    if (++entries[field]! > limits.maxControlMessages) throw OVER_LIMIT;
    const sub = new Reader(r.buf, start, end);
    if (field === 1) ids.n += countIds(sub, IHAVE_SCHEMA, 2, limits.maxIhaveMessageIDs);
    else if (field === 2) ids.n += countIds(sub, IDS_SCHEMA, 1, limits.maxIwantMessageIDs);
    else if (field === 3) fields(sub, GRAFT_SCHEMA);
    else if (field === 4) countIds(sub, PRUNE_SCHEMA, 2, limits.maxPeerInfos, PEERINFO_SCHEMA);
    else ids.n += countIds(sub, IDS_SCHEMA, 1, limits.maxIdontwantMessageIDs);
  });
}

/**
 * Control message ids one peer may send per second, and the burst. An honest
 * peer gossips each heartbeat (0.7 s) at most the ids of 3 heartbeats per
 * topic (≤ 1,024 each, 4 topics: ~5,900/s), answers IWANTs with as many, and
 * sends ≤ 512 IDONTWANT ids per heartbeat; 8,192/s covers it.
 */
export const CONTROL_IDS_PER_SECOND = 8192;
export const CONTROL_IDS_BURST = 16_384;

/** A token bucket over control ids, per peer stream. `now` in ms. */
export class ControlIdBudget {
  private tokens: number;
  private last: number;

  constructor(
    now: number,
    private readonly perSecond = CONTROL_IDS_PER_SECOND,
    private readonly burst = CONTROL_IDS_BURST,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes `n` ids; false (and nothing taken) when the peer is over its rate. */
  take(n: number, now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
    if (n > this.tokens) return false;
    this.tokens -= n;
    return true;
  }
}

/** What `FrameSplitter.push` returns per complete frame. */
export interface RpcFrame {
  /** Length prefix and body, as received (what gossipsub's own decoder reads). */
  prefixed: Uint8Array;
  /** The body alone (a view into `prefixed`). */
  body: Uint8Array;
}

/**
 * Splits a byte stream into unsigned-varint length-prefixed frames (the
 * framing of gossipsub streams). A frame announced larger than `maxFrameBytes`
 * makes `push` throw: the stream cannot be resynchronised after it.
 */
export class FrameSplitter {
  private parts: Uint8Array[] = [];
  private partsBytes = 0;
  /** Bytes the frame at the head of `parts` needs (prefix + body), once its prefix is known. */
  private need: number | undefined;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes held waiting for the rest of a frame. */
  get buffered(): number {
    return this.partsBytes;
  }

  push(chunk: Uint8Array): RpcFrame[] {
    this.parts.push(chunk);
    this.partsBytes += chunk.length;
    // A large frame arrives in many chunks: they are joined once, when it is whole.
    if (this.need !== undefined && this.partsBytes < this.need) return [];
    const buf = this.parts.length === 1 ? this.parts[0]! : concat(this.parts, this.partsBytes);
    const out: RpcFrame[] = [];
    let pos = 0;
    this.need = undefined;
    for (;;) {
      const prefix = this.readPrefix(buf, pos);
      if (prefix === undefined) break;
      const [len, bodyAt] = prefix;
      if (buf.length - bodyAt < len) {
        this.need = bodyAt - pos + len;
        break;
      }
      // Copied out: the frame outlives this chunk (gossipsub keeps message views).
      const prefixed = buf.slice(pos, bodyAt + len);
      out.push({ prefixed, body: prefixed.subarray(bodyAt - pos) });
      pos = bodyAt + len;
    }
    const rest = pos === buf.length ? undefined : buf.slice(pos);
    this.parts = rest === undefined ? [] : [rest];
    this.partsBytes = rest?.length ?? 0;
    return out;
  }

  /** [body length, body offset] of the frame at `pos`, or undefined while its prefix is incomplete. */
  private readPrefix(buf: Uint8Array, pos: number): [number, number] | undefined {
    let len = 0;
    let mul = 1;
    for (let p = pos; p < buf.length; ) {
      if (p - pos >= 5) throw new RangeError("gossip frame length prefix too long");
      const b = buf[p++]!;
      len += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) {
        if (len > this.maxFrameBytes) throw new RangeError(`gossip frame of ${len} bytes`);
        return [len, p];
      }
    }
    if (buf.length - pos >= 5) throw new RangeError("gossip frame length prefix too long");
    return undefined;
  }
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
