import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type JsonRpcTestServer, startJsonRpcServer } from "../../../../../test/utils/jsonRpcServer.js";
import { httpJsonRpc, RpcError } from "../../../src/chain/l1/rpc.js";

// A local JSON-RPC server whose answer depends on the method name.
let server: JsonRpcTestServer;
let url: string;

beforeAll(async () => {
  server = await startJsonRpcServer(({ method, id }, res) => {
    if (method === "stall") return; // never answers
    if (method === "garbage") return res.end("<html>");
    if (method === "fail") return res.end(JSON.stringify({ jsonrpc: "2.0", id, error: { message: "boom" } }));
    if (method === "empty") return res.end(JSON.stringify({ jsonrpc: "2.0", id }));
    return res.end(JSON.stringify({ jsonrpc: "2.0", id, result: "0x2a" }));
  });
  url = `${server.url}/key/secret`;
});
afterAll(() => server.close());

async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    expect(e).toBeInstanceOf(RpcError);
    return (e as RpcError).kind;
  }
}

describe("httpJsonRpc", () => {
  it("returns the result over a reused connection", async () => {
    const rpc = httpJsonRpc(url, 2000);
    for (let i = 0; i < 5; i++) expect(await rpc.request("eth_blockNumber", [])).toBe("0x2a");
  });
  it("turns every failure into a typed RpcError", async () => {
    const rpc = httpJsonRpc(url, 300);
    expect(await kindOf(rpc.request("stall", []))).toBe("TIMEOUT");
    expect(await kindOf(rpc.request("garbage", []))).toBe("BAD_RESPONSE");
    expect(await kindOf(rpc.request("fail", []))).toBe("RPC_ERROR");
    expect(await kindOf(rpc.request("empty", []))).toBe("BAD_RESPONSE");
    expect(await kindOf(httpJsonRpc("http://127.0.0.1:1", 300).request("x", []))).toBe("UNREACHABLE");
    expect(await kindOf(httpJsonRpc("ftp://example", 300).request("x", []))).toBe("UNREACHABLE");
  });
  it("never puts the URL's path (API keys) into error messages", async () => {
    try {
      await httpJsonRpc(url, 300).request("fail", []);
    } catch (e) {
      expect(String((e as Error).message)).not.toContain("secret");
    }
  });
});
