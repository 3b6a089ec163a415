// Network layer on 127.0.0.1: gossip delivery latency across a 5-node mesh and
// req/resp transfer times for 1 MiB and 5 MiB tables (1 MiB frames).
import "@ocp/node/polyfill";
import { GossipKind, Network, ReqRespProtocolName } from "@ocp/node";
import { encodeTableByDigestRequestSsz } from "@ocp/protocol";

const MIB = 1024 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];
const round = (x, d) => Number(x.toFixed(d));

async function waitFor(cond, ms) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("bench: timed out");
    await sleep(10);
  }
}

export async function run() {
  const N = 5;
  const MESSAGES = 200;
  const sentAt = new Map();
  const latencies = [];
  const table = new Uint8Array(5 * MIB).map((_, i) => i & 0xff);
  const nodes = [];
  for (let i = 0; i < N; i++) {
    const net = new Network({
      network: "bench",
      localNetwork: true,
      // Measuring transfer, not the limiter.
      reqResp: {
        rateLimits: { table_by_digest: { perSecond: 1000, burst: 1000 } },
        totalRateLimits: { table_by_digest: { perSecond: 1000, burst: 1000 } },
      },
      bootstrapPeers: nodes.slice(Math.max(0, i - 2)).map((n) => n.getMultiaddrs()[0]),
    });
    net.subscribe(
      GossipKind.attestation,
      async (m) => ({ value: new DataView(m.data.buffer, m.data.byteOffset).getUint32(0) }),
      (m) => {
        latencies.push(performance.now() - sentAt.get(m.value));
      },
    );
    await net.registerHandler(ReqRespProtocolName.tableByDigest, function* (req) {
      // tableDigest byte 1 → 1 MiB, else 5 MiB.
      const size = req.data[32] === 1 ? MIB : table.length;
      for (let o = 0; o < size; o += MIB) yield table.subarray(o, o + MIB);
    });
    await net.start();
    nodes.push(net);
  }
  try {
    await waitFor(
      () =>
        nodes.every(
          (n) =>
            n.getPeers().length > 0 &&
            n.gossip.getMeshPeers(GossipKind.attestation).length === n.getPeers().length,
        ),
      20_000,
    );
    // Gossip: node 0 publishes 300-byte messages 5 ms apart.
    for (let i = 0; i < MESSAGES; i++) {
      const data = new Uint8Array(300);
      new DataView(data.buffer).setUint32(0, i);
      sentAt.set(i, performance.now());
      await nodes[0].publish(GossipKind.attestation, data);
      await sleep(5);
    }
    await waitFor(() => latencies.length >= MESSAGES * (N - 1), 10_000).catch(() => undefined);

    // Req/resp between direct neighbours: warm up, then medians.
    const request = (small) =>
      nodes[0].request(
        nodes[1].peerId,
        ReqRespProtocolName.tableByDigest,
        encodeTableByDigestRequestSsz({
          stream: new Uint8Array(32),
          tableDigest: new Uint8Array(32).fill(small ? 1 : 2),
        }),
      );
    for (let i = 0; i < 4; i++) await request(i % 2 === 0);
    const small = [];
    const big = [];
    for (let i = 0; i < 10; i++) {
      let t0 = performance.now();
      await request(true);
      small.push(performance.now() - t0);
      t0 = performance.now();
      await request(false);
      big.push(performance.now() - t0);
    }
    return {
      "network.gossip.5nodes.delivered_ratio": latencies.length / (MESSAGES * (N - 1)),
      "network.gossip.5nodes.p50_ms": round(quantile(latencies, 0.5), 2),
      "network.gossip.5nodes.p99_ms": round(quantile(latencies, 0.99), 2),
      "network.reqresp.table_1mib_ms": round(quantile(small, 0.5), 1),
      "network.reqresp.table_5mib_ms": round(quantile(big, 0.5), 1),
    };
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
  }
}
