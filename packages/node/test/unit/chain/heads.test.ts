// The WebSocket head stream against a real WebSocket server on 127.0.0.1:
// subscription, pushed heads, refusals, reconnects, and clean stop.
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { waitFor as until } from "../../../../../test/utils/wait.js";
import { type L1Head, parseHeadNotification, WsHeadStream } from "../../../src/chain/l1/heads.js";

const H = (n: number) => `0x${n.toString(16).padStart(64, "0")}`;
const header = (n: number) => ({ number: `0x${n.toString(16)}`, hash: H(n), parentHash: H(n - 1) });
const note = (sub: string, result: unknown) => ({
  jsonrpc: "2.0",
  method: "eth_subscription",
  params: { subscription: sub, result },
});

describe("parseHeadNotification", () => {
  it("accepts only well-formed newHeads notifications of our subscription", () => {
    expect(parseHeadNotification(note("0x1", header(10)), "0x1")).toEqual({
      number: 10n,
      hash: H(10),
      parentHash: H(9),
    });
    expect(parseHeadNotification(note("0x2", header(10)), "0x1")).toBeUndefined();
    expect(parseHeadNotification(note("0x1", header(10)), undefined)).toBeUndefined();
    expect(parseHeadNotification(note("0x1", { ...header(10), number: "10" }), "0x1")).toBeUndefined();
    expect(
      parseHeadNotification(note("0x1", { ...header(10), number: `0x${"f".repeat(17)}` }), "0x1"),
    ).toBeUndefined();
    expect(parseHeadNotification(note("0x1", { ...header(10), hash: "0x12" }), "0x1")).toBeUndefined();
    expect(parseHeadNotification(note("0x1", null), "0x1")).toBeUndefined();
    expect(parseHeadNotification({ id: 1, result: "0x1" }, "0x1")).toBeUndefined();
    expect(parseHeadNotification("junk", "0x1")).toBeUndefined();
  });
});

describe("WsHeadStream", () => {
  let server: WebSocketServer | undefined;
  let stream: WsHeadStream | undefined;
  afterEach(async () => {
    stream?.stop();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
  });

  /** A newHeads server; `refuse` answers the subscription with an error. */
  async function serve(opts: { refuse?: boolean } = {}): Promise<{ url: string; push: (n: number) => void }> {
    server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise((r) => server!.once("listening", r));
    server.on("connection", (ws) => {
      ws.on("message", (raw) => {
        const req = JSON.parse(raw.toString());
        if (req.method !== "eth_subscribe" || req.params[0] !== "newHeads") return;
        ws.send(
          JSON.stringify(
            opts.refuse
              ? { jsonrpc: "2.0", id: req.id, error: { code: -32601, message: "not supported" } }
              : { jsonrpc: "2.0", id: req.id, result: "0xabc" },
          ),
        );
      });
    });
    const push = (n: number) => {
      for (const c of server!.clients) c.send(JSON.stringify(note("0xabc", header(n))));
    };
    return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, push };
  }

  it("delivers pushed heads, reports up/down, and reconnects after the server drops it", async () => {
    const { url, push } = await serve();
    const heads: L1Head[] = [];
    const live: boolean[] = [];
    stream = new WsHeadStream(url, { reconnectMs: 20 });
    stream.start(
      (h) => heads.push(h),
      (l) => live.push(l),
    );
    await until(() => stream!.live);
    push(5);
    // Garbage between notifications is ignored.
    for (const c of server!.clients) c.send("not json");
    push(6);
    await until(() => heads.length === 2);
    expect(heads.map((h) => h.number)).toEqual([5n, 6n]);
    expect(heads[1]!.parentHash).toBe(H(5));

    for (const c of server!.clients) c.terminate();
    await until(() => live.length >= 2 && stream!.live);
    expect(live.slice(0, 3)).toEqual([true, false, true]);
    push(7);
    await until(() => heads.length === 3);
    expect(heads[2]!.number).toBe(7n);
  });

  it("treats a refused subscription as down and keeps retrying", async () => {
    const { url } = await serve({ refuse: true });
    let connections = 0;
    server!.on("connection", () => connections++);
    stream = new WsHeadStream(url, { reconnectMs: 10, maxReconnectMs: 20 });
    stream.start(() => {});
    await until(() => connections >= 3);
    expect(stream.live).toBe(false);
  });

  it("stops: no reconnects and no heads after stop()", async () => {
    const { url, push } = await serve();
    let connections = 0;
    server!.on("connection", () => connections++);
    const heads: L1Head[] = [];
    stream = new WsHeadStream(url, { reconnectMs: 10 });
    stream.start((h) => heads.push(h));
    await until(() => stream!.live);
    stream.stop();
    expect(stream.live).toBe(false);
    push(9);
    await new Promise((r) => setTimeout(r, 100));
    expect(heads).toEqual([]);
    expect(connections).toBe(1);
  });

  it("refuses a non-WebSocket URL", () => {
    expect(() => new WsHeadStream("http://127.0.0.1:8545")).toThrow(/ws\(s\) URL/);
  });
});
