import type * as Http from "node:http";
import type * as Https from "node:https";
import { createRequire } from "node:module";

// Loaded with require(), not `import`: on Node 24 the ES module namespace of
// node:http evaluates every export, and some of them (WebSocket, MessageEvent)
// load Node's bundled fetch implementation, code a node never runs: 13 MiB
// more resident memory in a bare process, 2–4 MiB in a running node
// (docs/spec.md §9.12; test/integration/lean-entry.test.ts).
const requireBuiltin = createRequire(import.meta.url);
const http = requireBuiltin("node:http") as typeof Http;
const https = requireBuiltin("node:https") as typeof Https;

// Minimal JSON-RPC client for reading L1: bounded time per call, typed
// failures, no retries (the caller decides whether to abstain or retry later).

export class RpcError extends Error {
  constructor(
    readonly url: string,
    readonly kind: "UNREACHABLE" | "TIMEOUT" | "RPC_ERROR" | "BAD_RESPONSE",
    detail: string,
  ) {
    super(`${kind} from ${redactUrl(url)}: ${detail}`);
    this.name = "RpcError";
  }
}

/** RPC URLs often carry API keys in the path or query: never log them whole. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.length > 1 ? "/…" : ""}`;
  } catch {
    return "<invalid url>";
  }
}

export interface JsonRpcClient {
  readonly url: string;
  request<T>(method: string, params: unknown[]): Promise<T>;
}

let nextId = 1;

// One keep-alive agent per scheme: head polling runs many times a second and a
// plain node:http request costs about a third of the CPU of fetch() here.
const agents = {
  "http:": new http.Agent({ keepAlive: true, maxSockets: 8 }),
  "https:": new https.Agent({ keepAlive: true, maxSockets: 8 }),
};

/** Largest JSON-RPC response we read (a traced block with big calldata fits easily). */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

function post(url: URL, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === "https:" ? https : http;
    const req = mod.request(
      url,
      {
        method: "POST",
        agent: agents[url.protocol as "http:" | "https:"],
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy(new Error("response too large"));
            return;
          }
          chunks.push(c);
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      },
    );
    // Total time bound, not just socket idleness.
    const timer = setTimeout(
      () => req.destroy(Object.assign(new Error("timeout"), { name: "TimeoutError" })),
      timeoutMs,
    );
    req.on("close", () => clearTimeout(timer));
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { name: "TimeoutError" })));
    req.on("error", reject);
    req.end(body);
  });
}

export function httpJsonRpc(url: string, timeoutMs: number): JsonRpcClient {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  return {
    url,
    async request<T>(method: string, params: unknown[]): Promise<T> {
      if (!parsed || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
        throw new RpcError(url, "UNREACHABLE", "not an http(s) URL");
      }
      let res: { status: number; text: string };
      try {
        res = await post(parsed, JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }), timeoutMs);
      } catch (e) {
        if ((e as { name?: string }).name === "TimeoutError") throw new RpcError(url, "TIMEOUT", method);
        throw new RpcError(url, "UNREACHABLE", `${method}: ${(e as Error).message}`);
      }
      let body: unknown;
      try {
        body = JSON.parse(res.text);
      } catch {
        throw new RpcError(url, "BAD_RESPONSE", `${method}: HTTP ${res.status}, not JSON`);
      }
      const b = body as { result?: unknown; error?: { message?: string } } | null;
      if (b === null || typeof b !== "object")
        throw new RpcError(url, "BAD_RESPONSE", `${method}: not an object`);
      if (b.error) throw new RpcError(url, "RPC_ERROR", `${method}: ${b.error.message ?? "error"}`);
      if (!("result" in b)) throw new RpcError(url, "BAD_RESPONSE", `${method}: no result`);
      return b.result as T;
    },
  };
}
