// New L1 heads pushed over a WebSocket JSON-RPC subscription
// (`eth_subscribe("newHeads")`): a block is known the moment the node
// announces it, with no polling. Reconnects with backoff; the clock keeps a
// slow poll as a safety net while the subscription is live.
import WebSocket from "ws";
import { type Logger, nullLogger } from "../../util/logger.js";
import { redactUrl } from "./rpc.js";

export interface L1Head {
  number: bigint;
  hash: string;
  parentHash: string;
}

/** A source of pushed heads. `live` is true while heads can arrive. */
export interface HeadStream {
  readonly live: boolean;
  /** `onLive` is told each time the stream comes up or goes down. */
  start(onHead: (head: L1Head) => void, onLive?: (live: boolean) => void): void;
  stop(): void;
}

export interface WsHeadStreamOptions {
  /** First reconnect delay; doubles per failure up to `maxReconnectMs`. @default 500 */
  reconnectMs: number;
  /** @default 30_000 */
  maxReconnectMs: number;
  /** A subscribe answer must come within this. @default 5000 */
  subscribeTimeoutMs: number;
  /** Largest frame accepted (a header is ~1 KiB). @default 1 MiB */
  maxPayloadBytes: number;
}

export const defaultWsHeadStreamOptions: WsHeadStreamOptions = {
  reconnectMs: 500,
  maxReconnectMs: 30_000,
  subscribeTimeoutMs: 5000,
  maxPayloadBytes: 1024 * 1024,
};

/** Parses a newHeads notification's header; undefined when it is not one. */
export function parseHeadNotification(msg: unknown, subscription: string | undefined): L1Head | undefined {
  if (msg === null || typeof msg !== "object") return undefined;
  const m = msg as { method?: unknown; params?: { subscription?: unknown; result?: unknown } };
  if (m.method !== "eth_subscription" || m.params === null || typeof m.params !== "object") return undefined;
  if (subscription === undefined || m.params.subscription !== subscription) return undefined;
  const h = m.params.result as { number?: unknown; hash?: unknown; parentHash?: unknown } | null;
  if (h === null || typeof h !== "object") return undefined;
  if (typeof h.number !== "string" || !/^0x[0-9a-fA-F]{1,16}$/.test(h.number)) return undefined;
  if (typeof h.hash !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(h.hash)) return undefined;
  if (typeof h.parentHash !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(h.parentHash)) return undefined;
  return { number: BigInt(h.number), hash: h.hash.toLowerCase(), parentHash: h.parentHash.toLowerCase() };
}

export class WsHeadStream implements HeadStream {
  private readonly opts: WsHeadStreamOptions;
  private readonly logger: Logger;
  private ws: WebSocket | undefined;
  private subscription: string | undefined;
  private onHead: ((head: L1Head) => void) | undefined;
  private onLive: ((live: boolean) => void) | undefined;
  private running = false;
  private failures = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private subscribeTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly url: string,
    opts: Partial<WsHeadStreamOptions> = {},
    modules: { logger?: Logger } = {},
  ) {
    const u = new URL(url);
    if (u.protocol !== "ws:" && u.protocol !== "wss:") throw new Error("head stream: expected a ws(s) URL");
    this.opts = { ...defaultWsHeadStreamOptions, ...opts };
    this.logger = modules.logger ?? nullLogger;
  }

  get live(): boolean {
    return this.subscription !== undefined;
  }

  start(onHead: (head: L1Head) => void, onLive?: (live: boolean) => void): void {
    if (this.running) return;
    this.running = true;
    this.onHead = onHead;
    this.onLive = onLive;
    this.connect();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.subscribeTimer);
    this.subscription = undefined;
    const ws = this.ws;
    this.ws = undefined;
    ws?.removeAllListeners();
    ws?.on("error", () => {});
    ws?.terminate();
  }

  private connect(): void {
    const ws = new WebSocket(this.url, { maxPayload: this.opts.maxPayloadBytes, perMessageDeflate: false });
    this.ws = ws;
    const subscribeId = 1;
    ws.on("open", () => {
      ws.send(
        JSON.stringify({ jsonrpc: "2.0", id: subscribeId, method: "eth_subscribe", params: ["newHeads"] }),
      );
      this.subscribeTimer = setTimeout(() => ws.terminate(), this.opts.subscribeTimeoutMs);
    });
    ws.on("message", (data: WebSocket.RawData) => {
      let msg: unknown;
      try {
        msg = JSON.parse(data.toString());
      } catch {
        return;
      }
      const reply = msg as { id?: unknown; result?: unknown; error?: { message?: string } };
      if (this.subscription === undefined && reply?.id === subscribeId) {
        clearTimeout(this.subscribeTimer);
        if (typeof reply.result !== "string") {
          this.logger.warn(
            { url: redactUrl(this.url), err: reply.error?.message ?? "no subscription id" },
            "newHeads subscription refused",
          );
          ws.terminate();
          return;
        }
        this.subscription = reply.result;
        this.failures = 0;
        this.logger.info({ url: redactUrl(this.url) }, "subscribed to L1 heads");
        this.onLive?.(true);
        return;
      }
      const head = parseHeadNotification(msg, this.subscription);
      if (head !== undefined) this.onHead?.(head);
    });
    ws.on("error", (e) =>
      this.logger.debug({ url: redactUrl(this.url), err: e.message }, "head stream error"),
    );
    ws.on("close", () => {
      clearTimeout(this.subscribeTimer);
      const wasLive = this.subscription !== undefined;
      this.subscription = undefined;
      if (!this.running || this.ws !== ws) return;
      const delay = Math.min(this.opts.maxReconnectMs, this.opts.reconnectMs * 2 ** this.failures);
      this.failures++;
      this.logger.warn(
        { url: redactUrl(this.url), wasLive, retryInMs: delay },
        "L1 head stream closed; polling until it reconnects",
      );
      if (wasLive) this.onLive?.(false);
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    });
  }
}
