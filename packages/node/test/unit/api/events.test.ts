import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import { describe, expect, it, vi } from "vitest";
import { EventHub } from "../../../src/api/events.js";

// A response whose socket never drains: everything written stays buffered.
function stuckResponse() {
  const ee = new EventEmitter();
  const res = Object.assign(ee, {
    chunks: [] as string[],
    writableLength: 0,
    destroyed: false,
    writableEnded: false,
    head: undefined as undefined | Record<string, string>,
    writeHead(_status: number, headers: Record<string, string>) {
      res.head = headers;
      return res;
    },
    write(s: string) {
      res.chunks.push(s);
      res.writableLength += s.length;
      return false;
    },
    destroy() {
      res.destroyed = true;
      ee.emit("close");
    },
    end() {
      res.writableEnded = true;
      ee.emit("close");
    },
  });
  return res;
}

describe("EventHub", () => {
  it("sends only subscribed topics, as SSE frames with ids", () => {
    const hub = new EventHub({ heartbeatMs: 0, maxBufferedBytes: 1 << 20, maxClients: 4 });
    const res = stuckResponse();
    hub.add(res as unknown as ServerResponse, new Set(["certificate"]));
    expect(res.head?.["content-type"]).toMatch(/^text\/event-stream/);
    hub.publish("commitment", { a: 1 });
    hub.publish("certificate", { b: 2 });
    const frames = res.chunks.slice(1);
    expect(frames).toEqual(['id: 0\nevent: certificate\ndata: {"b":2}\n\n']);
    hub.close();
    expect(res.writableEnded).toBe(true);
    expect(hub.size).toBe(0);
  });

  it("drops a client that stops reading, and only that one", () => {
    let drops = 0;
    const hub = new EventHub(
      { heartbeatMs: 0, maxBufferedBytes: 1000, maxClients: 4 },
      { onDrop: () => drops++ },
    );
    const slow = stuckResponse();
    const fast = stuckResponse();
    hub.add(slow as unknown as ServerResponse, new Set(["evidence"]));
    hub.add(fast as unknown as ServerResponse, new Set(["evidence"]));
    for (let i = 0; i < 100; i++) {
      hub.publish("evidence", { pad: "x".repeat(50) });
      fast.writableLength = 0; // this one's socket keeps draining
    }
    expect(slow.destroyed).toBe(true);
    expect(fast.destroyed).toBe(false);
    expect(drops).toBe(1);
    expect(hub.size).toBe(1);
    // Never more than the bound was queued for the slow client.
    expect(slow.chunks.join("").length).toBeLessThanOrEqual(1000);
    hub.close();
  });

  it("sends heartbeat comments and forgets a client on disconnect", () => {
    vi.useFakeTimers();
    try {
      const hub = new EventHub({ heartbeatMs: 20, maxBufferedBytes: 1 << 20, maxClients: 1 });
      const res = stuckResponse();
      hub.add(res as unknown as ServerResponse, new Set(["certificate"]));
      expect(hub.full).toBe(true);
      const heartbeats = () => res.chunks.filter((c) => c === ": heartbeat\n\n").length;
      vi.advanceTimersByTime(19);
      expect(heartbeats()).toBe(0);
      vi.advanceTimersByTime(51);
      expect(heartbeats()).toBe(3);
      res.emit("close");
      expect(hub.size).toBe(0);
      expect(hub.full).toBe(false);
      hub.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
