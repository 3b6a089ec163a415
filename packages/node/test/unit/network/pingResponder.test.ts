import { afterEach, describe, expect, it, vi } from "vitest";
import {
  answerPings,
  PING_BYTES,
  type PingAbuse,
  PingAbuseError,
  type PingStream,
} from "../../../src/network/pingResponder.js";

/** A stream as the responder sees it: arrivals are dispatched by the test, sends recorded. */
class FakePingStream extends EventTarget {
  sent: Uint8Array[] = [];
  aborted: Error | undefined;
  closed = false;
  /** What `send` answers: false once the peer's window is used up. */
  writable = true;
  status = "open";
  readStatus = "readable";
  /** Arrivals while paused wait here, and come as one when reading resumes (as libp2p's do). */
  private held: Uint8Array[] = [];

  send(data: Uint8Array): boolean {
    this.sent.push(data.slice());
    return this.writable;
  }
  pause(): void {
    this.readStatus = "paused";
  }
  resume(): void {
    this.readStatus = "readable";
    const held = this.held;
    this.held = [];
    if (held.length > 0) this.arrive(Buffer.concat(held));
  }
  drain(): void {
    this.writable = true;
    this.dispatchEvent(new Event("drain"));
  }
  abort(err: Error): void {
    this.aborted = err;
    this.status = "aborted";
    this.readStatus = "closed";
    this.dispatchEvent(new Event("close"));
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  arrive(bytes: Uint8Array): void {
    if (this.readStatus === "paused") {
      this.held.push(bytes);
      return;
    }
    const evt = new Event("message") as Event & { data: { subarray(): Uint8Array } };
    evt.data = { subarray: () => bytes };
    this.dispatchEvent(evt);
  }
}

/** The fake as the responder's stream (its events carry `data` as libp2p's do). */
function answer(s: FakePingStream, idleMs?: number, onAbuse?: (r: PingAbuse) => void): void {
  answerPings(s as unknown as PingStream, idleMs, onAbuse);
}

const ping = (fill: number) => new Uint8Array(PING_BYTES).fill(fill);

afterEach(() => {
  vi.useRealTimers();
});

describe("ping responder", () => {
  it("echoes each ping, also one that arrives in pieces, and closes when the peer does", () => {
    const s = new FakePingStream();
    answer(s);
    s.arrive(ping(1));
    s.arrive(ping(2).subarray(0, 10));
    expect(s.sent).toHaveLength(1);
    s.arrive(ping(2).subarray(10));
    expect(s.sent.map((b) => b[0])).toEqual([1, 2]);
    expect(s.sent.every((b) => b.length === PING_BYTES)).toBe(true);
    s.dispatchEvent(new Event("remoteCloseWrite"));
    expect(s.closed).toBe(true);
    expect(s.aborted).toBeUndefined();
  });

  it("resets a stream on which more than two pings arrive at once, echoing none of them", () => {
    const s = new FakePingStream();
    const reasons: PingAbuse[] = [];
    answer(s, undefined, (r) => reasons.push(r));
    s.arrive(new Uint8Array(3 * PING_BYTES));
    expect(s.aborted).toBeInstanceOf(PingAbuseError);
    expect(reasons).toEqual(["burst"]);
    expect(s.sent).toHaveLength(0);
    // Later arrivals are not looked at.
    s.arrive(ping(3));
    expect(s.sent).toHaveLength(0);
  });

  it("stops reading while an echo waits to be sent, and goes on once it is out", () => {
    const s = new FakePingStream();
    const reasons: PingAbuse[] = [];
    answer(s, undefined, (r) => reasons.push(r));
    s.writable = false; // the peer's window is used up, or the connection is busy
    s.arrive(ping(1));
    expect(s.readStatus).toBe("paused");
    // What arrives meanwhile waits in the stream (bounded by the window the muxer no longer grants).
    s.arrive(ping(2));
    expect(s.sent.map((b) => b[0])).toEqual([1]);
    s.drain();
    expect(s.readStatus).toBe("readable");
    expect(s.sent.map((b) => b[0])).toEqual([1, 2]);
    expect(reasons).toEqual([]);
    expect(s.aborted).toBeUndefined();
  });

  it("resets a stream whose peer sent more pings while its echo waited", () => {
    const s = new FakePingStream();
    const reasons: PingAbuse[] = [];
    answer(s, undefined, (r) => reasons.push(r));
    s.writable = false;
    s.arrive(ping(1));
    for (let i = 2; i < 10; i++) s.arrive(ping(i));
    s.drain();
    expect(reasons).toEqual(["burst"]);
    expect((s.aborted as PingAbuseError).reason).toBe("burst");
  });

  it("resets a stream left without a whole ping for the idle time, counted from the last one", () => {
    vi.useFakeTimers();
    const s = new FakePingStream();
    const reasons: PingAbuse[] = [];
    answer(s, 1000, (r) => reasons.push(r));
    vi.advanceTimersByTime(900);
    s.arrive(ping(1));
    vi.advanceTimersByTime(900);
    expect(s.aborted).toBeUndefined();
    s.arrive(ping(2).subarray(0, 5)); // a piece does not count
    vi.advanceTimersByTime(100);
    expect(reasons).toEqual(["idle"]);
  });

  it("stops its timer once the stream is closed", () => {
    vi.useFakeTimers();
    const s = new FakePingStream();
    const reasons: PingAbuse[] = [];
    answer(s, 1000, (r) => reasons.push(r));
    s.dispatchEvent(new Event("close"));
    vi.advanceTimersByTime(5000);
    expect(reasons).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
