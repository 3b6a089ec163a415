import { describe, expect, it } from "vitest";
import {
  INBOUND_STREAM_BURST,
  INBOUND_STREAMS_PER_SECOND,
  type InboundStreamAbuse,
  InboundStreamAbuseError,
  InboundStreamGuard,
  MAX_NEGOTIATION_BYTES,
  type NegotiatingStream,
} from "../../../src/network/inboundStreams.js";

type Listener = (evt: { data: { byteLength: number } }) => void;

/** A new inbound stream: the test delivers arrivals to every listener, as libp2p dispatches them. */
class FakeStream implements NegotiatingStream {
  protocol = "";
  aborted: Error | undefined;
  readonly listeners = new Set<Listener>();
  /** What was put back for a handler that had not started listening yet. */
  readonly unshifted: unknown[] = [];

  addEventListener(_type: "message", l: Listener): void {
    this.listeners.add(l);
  }
  removeEventListener(_type: "message", l: Listener): void {
    this.listeners.delete(l);
  }
  listenerCount(): number {
    return this.listeners.size;
  }
  unshift(data: never): void {
    this.unshifted.push(data);
  }
  abort(err: Error): void {
    this.aborted = err;
  }
  /** One arrival of `n` bytes, dispatched to the listeners present when it comes. */
  arrive(n: number): { byteLength: number } {
    const data = { byteLength: n };
    for (const l of [...this.listeners]) l({ data });
    return data;
  }
}

function guard(clock: { t: number }) {
  const abuse: InboundStreamAbuse[] = [];
  const g = new InboundStreamGuard(
    (r) => abuse.push(r),
    () => clock.t,
  );
  return { g, abuse };
}

describe("InboundStreamGuard", () => {
  it("admits a burst of new streams, then as many a second as the refill allows", () => {
    const clock = { t: 0 };
    const { g, abuse } = guard(clock);
    const streams = Array.from({ length: INBOUND_STREAM_BURST + 1 }, () => new FakeStream());
    const admitted = streams.map((s) => g.admit(s));
    expect(admitted.filter(Boolean).length).toBe(INBOUND_STREAM_BURST);
    const refused = streams[INBOUND_STREAM_BURST]!;
    expect(admitted[INBOUND_STREAM_BURST]).toBe(false);
    expect(refused.aborted).toBeInstanceOf(InboundStreamAbuseError);
    expect((refused.aborted as InboundStreamAbuseError).reason).toBe("stream_rate");
    expect(abuse).toEqual(["stream_rate"]);
    // One refill period later exactly one more is admitted.
    clock.t += 1000 / INBOUND_STREAMS_PER_SECOND;
    expect(g.admit(new FakeStream())).toBe(true);
    expect(g.admit(new FakeStream())).toBe(false);
    // A quiet connection gets its whole burst back, no more.
    clock.t += 60_000;
    let n = 0;
    while (g.admit(new FakeStream())) n++;
    expect(n).toBe(INBOUND_STREAM_BURST);
  });

  it("resets a stream that sends more than the negotiation allowance before a protocol is agreed", () => {
    const { g, abuse } = guard({ t: 0 });
    const s = new FakeStream();
    const reader: Listener = () => {};
    expect(g.admit(s)).toBe(true);
    s.addEventListener("message", reader); // the negotiation's own reader
    s.arrive(MAX_NEGOTIATION_BYTES - 8);
    s.arrive(8);
    expect(s.aborted).toBeUndefined();
    s.arrive(1);
    expect((s.aborted as InboundStreamAbuseError).reason).toBe("negotiation_bytes");
    expect(abuse).toEqual(["negotiation_bytes"]);
    // Counted once: the guard stopped listening.
    expect(s.listeners.size).toBe(1);
    s.arrive(1000);
    expect(abuse).toEqual(["negotiation_bytes"]);
  });

  it("stops counting once a protocol is agreed, and hands the first bytes after it to the handler", () => {
    const { g, abuse } = guard({ t: 0 });
    const s = new FakeStream();
    g.admit(s);
    s.arrive(40);
    s.protocol = "/ocp/1/status/ssz";
    // No handler listens yet: the arrival is put back for it, and the guard is gone.
    const first = s.arrive(4096);
    expect(s.unshifted).toEqual([first]);
    expect(s.listeners.size).toBe(0);
    s.arrive(4096);
    expect(s.aborted).toBeUndefined();
    expect(abuse).toEqual([]);
  });

  it("drops, without throwing, bytes it cannot hand back because the read side closed", () => {
    const { g } = guard({ t: 0 });
    const s = new FakeStream();
    g.admit(s);
    s.protocol = "/ipfs/id/1.0.0";
    s.unshift = () => {
      throw new Error("Cannot push data onto a stream that is closed");
    };
    expect(() => s.arrive(100)).not.toThrow();
    expect(s.listeners.size).toBe(0);
  });

  it("does not put back what a handler already listening received", () => {
    const { g } = guard({ t: 0 });
    const s = new FakeStream();
    g.admit(s);
    s.protocol = "/meshsub/1.2.0";
    const handler: Listener = () => {};
    s.addEventListener("message", handler);
    s.arrive(MAX_NEGOTIATION_BYTES * 4);
    expect(s.unshifted).toEqual([]);
    expect([...s.listeners]).toEqual([handler]);
    expect(s.aborted).toBeUndefined();
  });
});
