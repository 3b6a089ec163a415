// A local JSON-RPC server for tests that stand it in for an L1 or anchor
// chain node: each request's parsed body goes to `answer`, which replies
// through `res` (or never does, to stall the caller).
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface JsonRpcRequest {
  id: number;
  method: string;
  params: unknown[];
}

export interface JsonRpcTestServer {
  /** http://127.0.0.1:<port> */
  url: string;
  close(): Promise<void>;
}

export async function startJsonRpcServer(
  answer: (req: JsonRpcRequest, res: ServerResponse) => void,
): Promise<JsonRpcTestServer> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => answer(JSON.parse(body) as JsonRpcRequest, res));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
