import type { MessageStream } from "@libp2p/interface";
import { describe, expect, it, vi } from "vitest";
import { COALESCE_MAX_BYTES, coalescingStream } from "../../../src/network/host.js";

/** The part of a connection the muxer writes to: records each send; `full` makes it ask for 'drain'. */
class RecordingConn extends EventTarget {
  readonly sent: Uint8Array[] = [];
  full = false;
  #closed = false;
  readonly log = Object.assign(() => {}, { newScope: () => "scoped" });
  send(data: Uint8Array): boolean {
    if (this.#closed) throw new Error("closed");
    this.sent.push(data.slice());
    return !this.full;
  }
  close(): void {
    this.#closed = true;
  }
}

// The flush runs once the microtask queue drains: after it, before any I/O.
const turn = () => new Promise<void>((r) => setImmediate(r));
const bytes = (...xs: number[]) => Uint8Array.from(xs);

function wrap(conn: RecordingConn, max?: number): MessageStream {
  return coalescingStream(conn as unknown as MessageStream, max).stream;
}

describe("coalescingStream", () => {
  it("joins one job's sends into one write, in order", async () => {
    const conn = new RecordingConn();
    const s = wrap(conn);
    expect(s.send(bytes(1, 2))).toBe(true);
    expect(s.send(bytes(3))).toBe(true);
    // A muxer frame arrives as a list: header and data.
    expect(s.send({ subarray: () => bytes(4, 5, 6) } as never)).toBe(true);
    expect(conn.sent).toHaveLength(0);
    await turn();
    expect(conn.sent).toEqual([bytes(1, 2, 3, 4, 5, 6)]);
    s.send(bytes(7));
    await turn();
    expect(conn.sent).toEqual([bytes(1, 2, 3, 4, 5, 6), bytes(7)]);
  });

  it("flushes once the job's microtasks have run, without waiting for I/O", async () => {
    const conn = new RecordingConn();
    const s = wrap(conn);
    s.send(bytes(1));
    s.send(bytes(2));
    // One microtask later (no I/O, no timers) the joined write has gone out.
    await Promise.resolve();
    expect(conn.sent).toEqual([bytes(1, 2)]);
  });

  it("with a window, a quiet connection's first send goes out at once and later ones join until the window ends", async () => {
    let t = 1_000;
    vi.useFakeTimers();
    try {
      const conn = new RecordingConn();
      const s = coalescingStream(conn as unknown as MessageStream, COALESCE_MAX_BYTES, 5, () => t).stream;
      const advance = async (ms: number) => {
        t += ms;
        await vi.advanceTimersByTimeAsync(ms);
      };
      // Quiet: written once the job's microtasks have run, not held for the window.
      s.send(bytes(1));
      await Promise.resolve();
      expect(conn.sent).toEqual([bytes(1)]);
      // Busy: sends within 5 ms of that write wait for the window's end, together.
      await advance(2);
      s.send(bytes(2));
      await advance(1);
      s.send(bytes(3));
      await advance(1);
      expect(conn.sent).toHaveLength(1);
      await advance(1);
      expect(conn.sent).toEqual([bytes(1), bytes(2, 3)]);
      // Still busy (written at t+5): the next send waits for the next window.
      await advance(1);
      s.send(bytes(4));
      await advance(3);
      expect(conn.sent).toHaveLength(2);
      await advance(1);
      expect(conn.sent).toEqual([bytes(1), bytes(2, 3), bytes(4)]);
      // Quiet again after a whole window without writes: at once.
      await advance(6);
      s.send(bytes(5));
      await Promise.resolve();
      expect(conn.sent).toEqual([bytes(1), bytes(2, 3), bytes(4), bytes(5)]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a flush (a closing connection) writes what the window holds at once, and the window's timer then writes nothing", async () => {
    vi.useFakeTimers();
    try {
      const conn = new RecordingConn();
      const t = 1_000;
      const { stream, flush } = coalescingStream(
        conn as unknown as MessageStream,
        COALESCE_MAX_BYTES,
        5,
        () => t,
      );
      stream.send(bytes(0));
      await Promise.resolve();
      // Within the window of that write: held, until the close flushes it.
      stream.send(bytes(1));
      stream.send(bytes(2));
      flush();
      expect(conn.sent).toEqual([bytes(0), bytes(1, 2)]);
      await vi.advanceTimersByTimeAsync(10);
      expect(conn.sent).toEqual([bytes(0), bytes(1, 2)]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("writes at once when a job's bytes reach the limit", () => {
    const conn = new RecordingConn();
    const s = wrap(conn, 4);
    s.send(bytes(1, 2));
    expect(conn.sent).toHaveLength(0);
    s.send(bytes(3, 4, 5));
    expect(conn.sent).toEqual([bytes(1, 2, 3, 4, 5)]);
    expect(COALESCE_MAX_BYTES).toBeGreaterThanOrEqual(16 * 1024);
  });

  it("answers false only while the connection waits for 'drain'", async () => {
    const conn = new RecordingConn();
    const s = wrap(conn);
    conn.full = true;
    expect(s.send(bytes(1))).toBe(true);
    await turn();
    // The connection refused more: the muxer must wait for its 'drain'.
    expect(s.send(bytes(2))).toBe(false);
    conn.full = false;
    conn.dispatchEvent(new Event("drain"));
    expect(s.send(bytes(3))).toBe(true);
    await turn();
    expect(conn.sent).toEqual([bytes(1), bytes(2, 3)]);
  });

  it("drops what is left for a connection that closed, without throwing", async () => {
    const conn = new RecordingConn();
    const s = wrap(conn);
    s.send(bytes(1));
    conn.close();
    await turn();
    expect(conn.sent).toHaveLength(0);
  });

  it("passes everything else through to the connection", () => {
    const conn = new RecordingConn();
    const s = wrap(conn) as unknown as RecordingConn;
    // Own fields stay as they are (the logger is a function with properties).
    expect(s.log.newScope()).toBe("scoped");
    // Methods run on the connection itself, whose private state a proxy cannot reach.
    s.close();
    expect(() => conn.send(bytes(1))).toThrow("closed");
    let heard = false;
    s.addEventListener("drain", () => {
      heard = true;
    });
    conn.dispatchEvent(new Event("drain"));
    expect(heard).toBe(true);
  });
});
