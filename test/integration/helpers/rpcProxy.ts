// A JSON-RPC pass-through on 127.0.0.1 that a test can switch off: while off
// it answers every request with HTTP 503, as an overloaded or failing
// provider would, so a node sees its anchor chain RPC fail and recover.
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

export interface RpcProxy {
  readonly url: string;
  /** Requests answered with 503 so far. */
  readonly refused: number;
  setUp(up: boolean): void;
  close(): Promise<void>;
}

export async function startRpcProxy(target: string): Promise<RpcProxy> {
  const t = new URL(target);
  let up = true;
  let refused = 0;
  const server = createServer((req, res) => {
    if (!up) {
      refused++;
      req.resume();
      res.writeHead(503, { "content-type": "text/plain" }).end("rpc down");
      return;
    }
    const fwd = request(
      { host: t.hostname, port: t.port, path: t.pathname, method: req.method, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    fwd.on("error", () => res.writeHead(502).end());
    req.pipe(fwd);
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get refused() {
      return refused;
    },
    setUp(v) {
      up = v;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
