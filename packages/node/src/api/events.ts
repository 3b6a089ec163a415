// Server-sent events for /v1/events: node events serialized once and written
// to every subscribed client. A client whose socket buffer grows past its
// bound is dropped rather than buffered without limit.
import type { ServerResponse } from "node:http";

export const EVENT_TOPICS = ["commitment", "attestation", "certificate", "anchored", "evidence"] as const;
export type EventTopic = (typeof EVENT_TOPICS)[number];

export interface EventHubOptions {
  /** Comment line sent this often so proxies and clients see a live stream. @default 15000 */
  heartbeatMs: number;
  /** Bytes a client may have queued in its socket before it is dropped. @default 1 MiB */
  maxBufferedBytes: number;
  /** Concurrent clients. @default 64 */
  maxClients: number;
}

export const defaultEventHubOptions: EventHubOptions = {
  heartbeatMs: 15_000,
  maxBufferedBytes: 1 << 20,
  maxClients: 64,
};

export interface EventHubModules {
  /** A client was dropped for being too slow. */
  onDrop?: () => void;
}

interface Client {
  res: ServerResponse;
  topics: ReadonlySet<EventTopic>;
}

export class EventHub {
  private readonly clients = new Set<Client>();
  private heartbeat: NodeJS.Timeout | undefined;
  private nextId = 0;

  constructor(
    readonly opts: EventHubOptions,
    private readonly modules: EventHubModules = {},
  ) {}

  get size(): number {
    return this.clients.size;
  }

  get full(): boolean {
    return this.clients.size >= this.opts.maxClients;
  }

  /** Takes over `res` (already hijacked from fastify): writes the SSE head and keeps it until close. */
  add(res: ServerResponse, topics: ReadonlySet<EventTopic>, headers: Record<string, string> = {}): void {
    const client: Client = { res, topics };
    res.writeHead(200, {
      ...headers,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      // Tells nginx-style proxies not to buffer the stream.
      "x-accel-buffering": "no",
    });
    res.write(": ocp events\n\n");
    this.clients.add(client);
    const remove = (): void => {
      this.clients.delete(client);
      if (this.clients.size === 0) this.stopHeartbeat();
    };
    res.on("close", remove);
    res.on("error", remove);
    this.startHeartbeat();
  }

  /** Sends one event to every client subscribed to `topic`. */
  publish(topic: EventTopic, data: unknown): void {
    if (this.clients.size === 0) return;
    let frame: string | undefined;
    for (const c of this.clients) {
      if (!c.topics.has(topic)) continue;
      frame ??= `id: ${this.nextId++}\nevent: ${topic}\ndata: ${JSON.stringify(data)}\n\n`;
      this.write(c, frame);
    }
  }

  /** Ends every stream (server stop). */
  close(): void {
    this.stopHeartbeat();
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }

  private write(c: Client, frame: string): void {
    if (c.res.destroyed || c.res.writableEnded) return;
    // writableLength counts what the socket has not taken yet: a client that
    // stopped reading makes it grow, and is cut off before it costs memory.
    if (c.res.writableLength + frame.length > this.opts.maxBufferedBytes) {
      this.clients.delete(c);
      c.res.destroy();
      this.modules.onDrop?.();
      return;
    }
    c.res.write(frame);
  }

  private startHeartbeat(): void {
    if (this.heartbeat !== undefined || this.opts.heartbeatMs <= 0) return;
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) this.write(c, ": heartbeat\n\n");
    }, this.opts.heartbeatMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
