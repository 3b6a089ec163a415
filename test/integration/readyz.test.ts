// /livez and /readyz of a running node whose L1 RPC goes away and comes back:
// the node reaches anvil through a forwarding proxy this test closes and
// reopens on the same port, so the node's RPC URL never changes.
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Cluster, startCluster, waitFor } from "./helpers/cluster.js";

/** An HTTP proxy to `target` that can be closed and reopened on its port. */
function rpcProxy(target: string): {
  url: () => string;
  open: () => Promise<void>;
  close: () => Promise<void>;
} {
  const to = new URL(target);
  let server: Server | undefined;
  let port = 0;
  return {
    url: () => `http://127.0.0.1:${port}`,
    async open() {
      const s = createServer((req, res) => {
        const up = request(
          { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
          (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
          },
        );
        up.on("error", () => res.destroy());
        req.pipe(up);
      });
      await new Promise<void>((ok, fail) => {
        s.once("error", fail);
        s.listen(port, "127.0.0.1", () => ok());
      });
      port = (s.address() as AddressInfo).port;
      server = s;
    },
    async close() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((ok) => s.close(() => ok()));
    },
  };
}

describe("readiness: L1 RPC down and back", () => {
  let c: Cluster;
  let proxy: ReturnType<typeof rpcProxy>;
  let url: string;

  const readyz = async (): Promise<{ status: number; body: any }> => {
    const r = await fetch(`${url}/readyz`);
    return { status: r.status, body: await r.json() };
  };

  beforeAll(async () => {
    c = await startCluster({
      nodes: 1,
      setup: async ({ rpcUrl }) => {
        proxy = rpcProxy(rpcUrl);
        await proxy.open();
        return {
          l1: { rpcUrls: [proxy.url()], confirmations: 1, pollIntervalMs: 100, rpcTimeoutMs: 500 },
          api: {},
          readiness: { minPeers: 0, l1HeadMaxAgeMs: 1500 },
        };
      },
    });
    url = c.nodes[0]!.api!.url!;
  });
  afterAll(async () => {
    await c?.stop();
    await proxy?.close();
  });

  it("is live and ready while the L1 RPC answers", async () => {
    const live = await fetch(`${url}/livez`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: "live" });
    const r = await waitFor(
      async () => {
        const x = await readyz();
        return x.status === 200 ? x : undefined;
      },
      20_000,
      "ready",
    );
    expect(r.body).toEqual({ status: "ready", failing: [] });
  });

  it("turns unready, naming the stale L1 head, when the RPC stops, and ready when it returns", async () => {
    await proxy.close();
    const down = await waitFor(
      async () => {
        const x = await readyz();
        return x.status === 503 ? x : undefined;
      },
      20_000,
      "unready",
    );
    expect(down.body.status).toBe("unready");
    expect(down.body.failing.map((f: { condition: string }) => f.condition)).toEqual(["L1_HEAD_STALE"]);
    expect(down.body.failing[0].detail).toMatch(/last L1 head \d+ ms ago \(limit 1500 ms\)/);
    // Liveness does not depend on the chain.
    expect((await fetch(`${url}/livez`)).status).toBe(200);

    await proxy.open();
    const up = await waitFor(
      async () => {
        const x = await readyz();
        return x.status === 200 ? x : undefined;
      },
      20_000,
      "ready again",
    );
    expect(up.body).toEqual({ status: "ready", failing: [] });
  });

  it("names every failing condition at once", async () => {
    // One key given, a peer floor no single node meets.
    const node = c.nodes[0]!;
    expect(node.expectedKeys).toBe(1);
    const opts = node.opts.readiness;
    const saved = { ...opts };
    opts.minPeers = 2;
    opts.minKeys = 3;
    try {
      const r = await readyz();
      expect(r.status).toBe(503);
      expect(r.body.failing.map((f: { condition: string }) => f.condition)).toEqual([
        "KEYS_NOT_LOADED",
        "TOO_FEW_PEERS",
      ]);
      expect(r.body.failing[0].detail).toBe("1 of 3 verifier keys loaded");
      expect(r.body.failing[1].detail).toBe("0 peers (need 2)");
    } finally {
      Object.assign(opts, saved);
      delete opts.minKeys;
    }
  });
});
