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

export function httpJsonRpc(url: string, timeoutMs: number): JsonRpcClient {
  return {
    url,
    async request<T>(method: string, params: unknown[]): Promise<T> {
      let res: Response;
      try {
        res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (e) {
        const name = (e as { name?: string }).name;
        if (name === "TimeoutError" || name === "AbortError") throw new RpcError(url, "TIMEOUT", method);
        throw new RpcError(url, "UNREACHABLE", `${method}: ${(e as Error).message}`);
      }
      let body: unknown;
      try {
        body = await res.json();
      } catch {
        throw new RpcError(url, "BAD_RESPONSE", `${method}: HTTP ${res.status}, not JSON`);
      }
      const b = body as { result?: unknown; error?: { message?: string } };
      if (b.error) throw new RpcError(url, "RPC_ERROR", `${method}: ${b.error.message ?? "error"}`);
      if (!("result" in b)) throw new RpcError(url, "BAD_RESPONSE", `${method}: no result`);
      return b.result as T;
    },
  };
}
