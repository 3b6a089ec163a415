// Network layer over real TCP on 127.0.0.1: gossip mesh and delivery, validation
// outcomes, req/resp limits against hostile peers, status exchange, shutdown.
import { randomBytes } from "node:crypto";
import { createConnection, createServer, type Server, Socket } from "node:net";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { tcp } from "@libp2p/tcp";
import { multiaddr } from "@multiformats/multiaddr";
import {
  decodeTableByDigestRequestSsz,
  encodeCertificatesByRangeRequestSsz,
  encodeTableByDigestRequestSsz,
  MAX_TABLE_FRAME_BYTES,
  toHex,
} from "@ocp/protocol";
import * as lp from "it-length-prefixed";
import { createLibp2p } from "libp2p";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  createNetworkMetrics,
  GossipAction,
  GossipActionError,
  GossipErrorCode,
  GossipKind,
  generatePeerKey,
  gossipTopic,
  INBOUND_STREAM_BURST,
  Network,
  type NetworkOptionsInput,
  peerIdFromPeerKey,
  ReqRespProtocolName,
  RequestError,
  RequestErrorCode,
  ResponseCode,
  ResponseError,
  reqRespProtocolId,
} from "../../packages/node/src/index.js";
import { arrayBufferGrowth } from "../utils/gc.js";
import { metricValue } from "../utils/metrics.js";
import { waitFor } from "../utils/wait.js";

const NETWORK = "itest";
const N = 8;

/**
 * A TCP relay on 127.0.0.1 in front of a hub that listens on `hubPort` (a
 * free port picked here) and announces `relayPort`. `freeze()` stops passing
 * bytes both ways while both sockets stay open (a frozen peer);
 * `stopReadingHub()` stops reading what the hub sends, so TCP holds it back
 * at the hub (a peer that does not read).
 */
async function tcpRelay(): Promise<{
  hubPort: number;
  relayPort: number;
  freeze(): void;
  stopReadingHub(): void;
  close(): void;
}> {
  const sockets: Socket[] = [];
  const hubSides: Socket[] = [];
  let frozen = false;
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const hubPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const relay: Server = createServer((inbound) => {
    const outbound = createConnection(hubPort, "127.0.0.1");
    sockets.push(inbound, outbound);
    hubSides.push(outbound);
    for (const [from, to] of [
      [inbound, outbound],
      [outbound, inbound],
    ] as const) {
      from.on("data", (b) => {
        if (!frozen) to.write(b);
      });
      from.on("error", () => to.destroy());
      from.on("close", () => to.destroy());
    }
  });
  await new Promise<void>((r) => relay.listen(0, "127.0.0.1", r));
  return {
    hubPort,
    relayPort: (relay.address() as { port: number }).port,
    freeze: () => {
      frozen = true;
    },
    stopReadingHub: () => {
      for (const s of hubSides) s.pause();
    },
    close: () => {
      frozen = true;
      relay.close();
      for (const s of sockets) s.destroy();
    },
  };
}

function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r.startsWith("TCP")).length;
}

// Per-node record of what the validators saw.
interface Seen {
  accepted: Set<string>;
  validated: string[];
}

const nodes: Network[] = [];
const extra: Network[] = [];
const seen: Seen[] = [];
const tables = new Map<string, Uint8Array>();
let stallRelease: () => void = () => undefined;
const stall = new Promise<void>((r) => {
  stallRelease = r;
});
let baselineTcp = 0;

const testOpts = (over: NetworkOptionsInput = {}): NetworkOptionsInput => ({
  network: NETWORK,
  localNetwork: true,
  ...over,
  gossip: { heartbeatIntervalMs: 200, ...over.gossip },
  reqResp: { respTimeoutMs: 3000, ...over.reqResp },
});

/** A bare libp2p peer on TCP: no services at all (no Status, no identify, no ping of its own). */
function bareLibp2p(streamOptions: { maxReadBufferLength?: number } = {}) {
  return createLibp2p({
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux({ streamOptions })],
  });
}

function label(data: Uint8Array): string {
  return toHex(data.subarray(0, 8));
}

async function startNode(index: number, over: NetworkOptionsInput = {}): Promise<Network> {
  const s: Seen = { accepted: new Set(), validated: [] };
  seen[index] = s;
  const net = new Network(testOpts(over), { metrics: createNetworkMetrics(new Registry()) });
  // Attestation topic: accept everything (delivery tests).
  net.subscribe(
    GossipKind.attestation,
    async (m) => {
      s.validated.push(label(m.data));
      return { value: label(m.data) };
    },
    (m) => {
      s.accepted.add(m.value);
    },
  );
  // Commitment topic: first byte 0xff → REJECT, 0xee → IGNORE, else accept.
  net.subscribe(GossipKind.commitment, async (m) => {
    s.validated.push(label(m.data));
    if (m.data[0] === 0xff) throw new GossipActionError(GossipAction.REJECT, "TEST_ERROR_BAD");
    if (m.data[0] === 0xee) throw new GossipActionError(GossipAction.IGNORE, "TEST_ERROR_USELESS");
    s.accepted.add(label(m.data));
    return { value: null };
  });
  await net.registerHandler(ReqRespProtocolName.tableByDigest, function* (req) {
    const { tableDigest } = decodeTableByDigestRequestSsz(req.data);
    const table = tables.get(toHex(tableDigest));
    if (table === undefined) throw new ResponseError(ResponseCode.RESOURCE_UNAVAILABLE, "unknown table");
    for (let i = 0; i < table.length; i += MAX_TABLE_FRAME_BYTES)
      yield table.subarray(i, i + MAX_TABLE_FRAME_BYTES);
  });
  await net.registerHandler(ReqRespProtocolName.certificatesByRange, async function* () {
    if (index === 5) await stall; // node 5 never answers in time
    yield Uint8Array.of(0, 0, 0, 0);
  });
  await net.start();
  return net;
}

const req = () =>
  encodeCertificatesByRangeRequestSsz({ stream: new Uint8Array(32), startSlot: 1n, count: 1 });

beforeAll(async () => {
  baselineTcp = tcpHandles();
  for (let i = 0; i < N; i++) {
    // Each node bootstraps off up to three earlier ones: node 7 ends up linked to 4, 5, 6 only.
    const bootstrapPeers = nodes.slice(Math.max(0, i - 3)).map((n) => n.getMultiaddrs()[0] as string);
    const over: NetworkOptionsInput = { bootstrapPeers };
    if (i === 2) over.reqResp = { rateLimits: { certificates_by_range: { perSecond: 0.05, burst: 3 } } };
    if (i === 4) over.reqResp = { requestTimeoutMs: 400 };
    if (i === 6) over.reqResp = { totalRateLimits: { certificates_by_range: { perSecond: 0.05, burst: 4 } } };
    nodes.push(await startNode(i, over));
  }
  // Everyone has exchanged status with every neighbour, and the meshes are grafted.
  await waitFor(
    () =>
      nodes.every((n) => {
        const peers = n.getPeers();
        return (
          peers.length > 0 &&
          peers.every((p) => p.status !== undefined) &&
          n.gossip.getMeshPeers(GossipKind.attestation).length === peers.length &&
          n.gossip.getMeshPeers(GossipKind.commitment).length === peers.length
        );
      }),
    15_000,
    "mesh",
  );
}, 30_000);

afterAll(async () => {
  stallRelease();
  await Promise.all([...nodes, ...extra].map((n) => n.stop()));
});

describe("gossip", () => {
  it("forms the expected topology through bootstrap", () => {
    expect(
      nodes[7]
        ?.getPeers()
        .map((p) => p.peerId)
        .sort(),
    ).toEqual([nodes[4], nodes[5], nodes[6]].map((n) => n?.peerId).sort());
    for (const n of nodes) for (const p of n.getPeers()) expect(p.status?.network).toHaveLength(32);
  });

  it("delivers every message from several publishers to every node", async () => {
    const publishers = [0, 3, 7];
    const perPublisher = 40;
    const sent: string[][] = publishers.map(() => []);
    for (let k = 0; k < perPublisher; k++) {
      for (const [j, p] of publishers.entries()) {
        const data = randomBytes(200);
        sent[j]?.push(label(data));
        const res = await nodes[p]!.publish(GossipKind.attestation, data);
        expect(res.outcome).toBe("sent");
      }
      await new Promise((r) => setTimeout(r, 3));
    }
    const expectedFor = (i: number) => publishers.flatMap((p, j) => (p === i ? [] : (sent[j] as string[])));
    await waitFor(
      () => nodes.every((_, i) => expectedFor(i).every((l) => seen[i]?.accepted.has(l))),
      10_000,
      "all deliveries",
    );
    for (let i = 0; i < N; i++) {
      expect(seen[i]?.accepted.size).toBe(expectedFor(i).length);
      for (const l of expectedFor(i)) expect(seen[i]?.accepted.has(l)).toBe(true);
    }
  });

  it("writes whole noise messages to the socket: no 2-byte length prefix leaves on its own", async () => {
    // Every socket write of an established connection is noise messages, each a
    // 2-byte big-endian length and that many sealed bytes. A write that ends
    // inside one (its length alone) would be a packet of its own.
    const spy = vi.spyOn(Socket.prototype, "write");
    const sent: string[] = [];
    let writes: Uint8Array[] = [];
    try {
      for (let k = 0; k < 20; k++) {
        const data = randomBytes(200);
        sent.push(label(data));
        expect((await nodes[1]!.publish(GossipKind.attestation, data)).outcome).toBe("sent");
      }
      await waitFor(
        () => nodes.every((_, i) => i === 1 || sent.every((l) => seen[i]?.accepted.has(l))),
        10_000,
        "deliveries",
      );
    } finally {
      writes = spy.mock.calls.map(([chunk]) => chunk).filter((c): c is Uint8Array => c instanceof Uint8Array);
      spy.mockRestore();
    }
    expect(writes.length).toBeGreaterThan(20);
    const whole = (b: Uint8Array) => {
      let at = 0;
      while (at + 2 <= b.length) at += 2 + ((b[at]! << 8) | b[at + 1]!);
      return at === b.length;
    };
    expect(writes.filter((b) => !whole(b)).map((b) => b.length)).toEqual([]);
  });

  it("counts REJECT and IGNORE outcomes and forwards neither", async () => {
    const publisher = nodes[7]!;
    const neighbours = new Set(publisher.getPeers().map((p) => p.peerId));
    const bad = Uint8Array.from([0xff, ...randomBytes(100)]);
    const useless = Uint8Array.from([0xee, ...randomBytes(100)]);
    const good = Uint8Array.from([0x01, ...randomBytes(100)]);
    const count = (result: "reject" | "ignore", code: string) =>
      Promise.all(
        nodes.map((n) => metricValue(n.metrics?.gossipValidation, { kind: "commitment", result, code })),
      );
    await publisher.publish(GossipKind.commitment, bad);
    await publisher.publish(GossipKind.commitment, useless);
    await publisher.publish(GossipKind.commitment, good);
    // The good message, published last, reaches everyone: the mesh forwards.
    await waitFor(
      () => nodes.every((n, i) => n === publisher || seen[i]?.accepted.has(label(good))),
      5000,
      "good",
    );
    await new Promise((r) => setTimeout(r, 500)); // room for any (wrong) forwarding of bad/useless
    const rejects = await count("reject", "TEST_ERROR_BAD");
    const ignores = await count("ignore", "TEST_ERROR_USELESS");
    nodes.forEach((n, i) => {
      const direct = neighbours.has(n.peerId) ? 1 : 0;
      expect(rejects[i]).toBe(direct);
      expect(ignores[i]).toBe(direct);
      // Only the publisher's neighbours ever saw the bad bytes.
      expect(seen[i]?.validated.includes(label(bad))).toBe(direct === 1);
    });
    expect(neighbours.size).toBe(3);
  });

  it("rejects an oversized message before validation", async () => {
    const big = new Uint8Array(5000).fill(0xab);
    // Our own publish refuses it…
    await expect(nodes[0]!.publish(GossipKind.commitment, big)).rejects.toMatchObject({
      code: GossipErrorCode.MESSAGE_TOO_LARGE,
    });
    // …so send it past that check, as a hostile peer would (the private host).
    const host = nodes[0]!["host"];
    const res = await host.pubsub.publish(gossipTopic(NETWORK, GossipKind.commitment), big);
    expect(res.outcome).toBe("sent");
    const neighbours = nodes[0]!.getPeers().map((p) => p.peerId);
    const tooLarge = (n: Network) =>
      metricValue(n.metrics?.gossipValidation, {
        kind: "commitment",
        result: "reject",
        code: GossipErrorCode.MESSAGE_TOO_LARGE,
      });
    await waitFor(
      async () => {
        const near = nodes.filter((n) => neighbours.includes(n.peerId));
        return (await Promise.all(near.map(tooLarge))).every((v) => v === 1);
      },
      5000,
      "size rejects",
    );
    await new Promise((r) => setTimeout(r, 300));
    for (const [i, n] of nodes.entries()) {
      expect(await tooLarge(n)).toBe(neighbours.includes(n.peerId) ? 1 : 0);
      expect(seen[i]?.validated.includes(label(big))).toBe(false);
    }
  });
});

describe("req/resp", () => {
  it("transfers a 5 MiB table in frames of at most 1 MiB", async () => {
    const table = randomBytes(5 * 1024 * 1024);
    const digest = randomBytes(32);
    tables.set(toHex(digest), table);
    const t0 = performance.now();
    const chunks = await nodes[0]!.request(
      nodes[1]!.peerId,
      ReqRespProtocolName.tableByDigest,
      encodeTableByDigestRequestSsz({ stream: new Uint8Array(32), tableDigest: digest }),
    );
    const ms = performance.now() - t0;
    expect(chunks).toHaveLength(5);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(MAX_TABLE_FRAME_BYTES);
    expect(Buffer.concat(chunks).equals(table)).toBe(true);
    expect(ms).toBeLessThan(5000);
    // An unknown digest gets the handler's typed answer.
    await expect(
      nodes[0]!.request(
        nodes[1]!.peerId,
        ReqRespProtocolName.tableByDigest,
        encodeTableByDigestRequestSsz({ stream: new Uint8Array(32), tableDigest: randomBytes(32) }),
      ),
    ).rejects.toMatchObject({ code: RequestErrorCode.RESOURCE_UNAVAILABLE });
  });

  it("rate-limits a flooding peer while another peer is still served", async () => {
    const target = nodes[2]!;
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () =>
        nodes[0]!.request(target.peerId, ReqRespProtocolName.certificatesByRange, req()),
      ),
    );
    const ok = results.filter((r) => r.status === "fulfilled").length;
    const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as RequestError] : []));
    // burst 3 at 0.05/s: three pass, the rest are refused with the typed code.
    expect(ok).toBe(3);
    expect(failures).toHaveLength(9);
    for (const f of failures) {
      expect(f).toBeInstanceOf(RequestError);
      expect(f.code).toBe(RequestErrorCode.RATE_LIMITED);
    }
    expect(
      await metricValue(target.metrics?.reqRespInbound, {
        protocol: "certificates_by_range",
        result: "RATE_LIMITED",
      }),
    ).toBe(9);
    // Another peer has its own bucket.
    const other = await nodes[1]!.request(target.peerId, ReqRespProtocolName.certificatesByRange, req());
    expect(other).toEqual([Uint8Array.of(0, 0, 0, 0)]);
  });

  it("bounds the requests of all peers together: over it, each is answered busy and nobody is charged", async () => {
    // Peer ids are free: per-peer buckets alone do not bound what a party with many asks for.
    const target = nodes[6]!;
    const requesters = [nodes[3]!, nodes[4]!, nodes[7]!];
    const results = await Promise.allSettled(
      requesters.flatMap((r) =>
        [0, 1, 2].map(() => r.request(target.peerId, ReqRespProtocolName.certificatesByRange, req())),
      ),
    );
    // burst 4 over all peers at 0.05/s; each peer's own bucket (burst 8) is far from empty.
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(4);
    const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason as RequestError] : []));
    expect(refused.map((e) => e.code)).toEqual(Array(5).fill(RequestErrorCode.RATE_LIMITED));
    expect(
      await metricValue(target.metrics?.reqRespInbound, {
        protocol: "certificates_by_range",
        result: "busy",
      }),
    ).toBe(5);
    for (const r of requesters) expect(target.penalties.score(r.peerId)).toBeGreaterThanOrEqual(0);
  });

  it("refuses a request above the cap, on both sides", async () => {
    const target = nodes[3]!;
    // The client refuses to send it.
    await expect(
      nodes[0]!.request(target.peerId, ReqRespProtocolName.certificatesByRange, new Uint8Array(49)),
    ).rejects.toMatchObject({ code: RequestErrorCode.REQUEST_TOO_LARGE });
    // A hostile client sends it anyway: the server answers INVALID_REQUEST from the prefix alone.
    const stream = await nodes[0]!.openRawStream(
      target.peerId,
      reqRespProtocolId(ReqRespProtocolName.certificatesByRange),
    );
    void stream.sink([lp.encode.single(new Uint8Array(10_000)).subarray()]).catch(() => undefined);
    const frames: Uint8Array[] = [];
    for await (const f of lp.decode(stream.source)) frames.push(f.subarray());
    expect(frames).toHaveLength(1);
    expect(frames[0]?.[0]).toBe(ResponseCode.INVALID_REQUEST);
    expect(
      await metricValue(target.metrics?.reqRespInbound, {
        protocol: "certificates_by_range",
        result: "INVALID_REQUEST",
      }),
    ).toBe(1);
  });

  it("drops what a requester sends after its request instead of holding it", async () => {
    // Each stream carries a valid request, then 3 MiB more, and stays open:
    // held unread, that is 3 MiB per stream for as long as the peer likes.
    const target = nodes[3]!;
    const streams = 6;
    const junk = 3 * 1024 * 1024;
    const grownSince = arrayBufferGrowth();
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const answers: number[] = [];
    let handedOver = 0;
    const open = await Promise.all(
      Array.from({ length: streams }, () =>
        nodes[1]!.openRawStream(target.peerId, reqRespProtocolId(ReqRespProtocolName.certificatesByRange)),
      ),
    );
    const writing = open.map((stream) =>
      stream
        .sink(
          (async function* () {
            yield lp.encode.single(req()).subarray();
            for (let i = 0; i < junk; i += 64 * 1024) yield randomBytes(64 * 1024);
            handedOver++; // every byte is with the stream now
            await held; // the writing side stays open
          })(),
        )
        .catch(() => undefined),
    );
    const reading = open.map(async (stream) => {
      for await (const f of lp.decode(stream.source)) answers.push(f.subarray()[0]!);
    });
    try {
      await waitFor(() => answers.length === streams, 10_000, "every request answered");
      expect(answers.every((code) => code === ResponseCode.SUCCESS)).toBe(true);
      // Everything has left the requester once the target read it off the wire.
      await waitFor(
        async () =>
          (await metricValue(target.metrics?.reqRespInbound, {
            protocol: "certificates_by_range",
            result: "SUCCESS",
          })) >= streams,
        5000,
        "answers counted",
      );
      // The answers come back while the junk is still being sent: measure once it is all out.
      await waitFor(() => handedOver === streams || undefined, 10_000, "every stream's junk handed over");
      await new Promise((r) => setTimeout(r, 500));
      const grown = grownSince();
      // Held, it would be 18 MiB; dropped, a few buffers in flight at most.
      expect(grown, `buffers grew by ${grown} bytes`).toBeLessThan(4 * 1024 * 1024);
    } finally {
      release();
      for (const s of open) s.abort(new Error("test over"));
      await Promise.all([...writing, ...reading.map((r) => r.catch(() => undefined))]);
    }
  });

  it("survives garbage framing and keeps serving", async () => {
    const target = nodes[3]!;
    const stream = await nodes[1]!.openRawStream(
      target.peerId,
      reqRespProtocolId(ReqRespProtocolName.certificatesByRange),
    );
    void stream.sink([new Uint8Array(16).fill(0xff)]).catch(() => undefined);
    const frames: Uint8Array[] = [];
    for await (const f of lp.decode(stream.source)) frames.push(f.subarray());
    expect(frames[0]?.[0]).toBe(ResponseCode.INVALID_REQUEST);
    const ok = await nodes[1]!.request(target.peerId, ReqRespProtocolName.certificatesByRange, req());
    expect(ok).toHaveLength(1);
  });

  it("times out a peer that opens a stream and stalls", async () => {
    const target = nodes[4]!; // requestTimeoutMs 400
    const stream = await nodes[3]!.openRawStream(
      target.peerId,
      reqRespProtocolId(ReqRespProtocolName.tableByDigest),
    );
    const t0 = performance.now();
    const got: Uint8Array[] = [];
    await (async () => {
      for await (const chunk of stream.source) got.push(chunk);
    })().catch(() => undefined);
    const ms = performance.now() - t0;
    expect(got).toHaveLength(0);
    expect(ms).toBeGreaterThanOrEqual(300);
    expect(ms).toBeLessThan(3000);
    expect(
      await metricValue(target.metrics?.reqRespInbound, {
        protocol: "table_by_digest",
        result: "request_timeout",
      }),
    ).toBe(1);
    stream.abort(new Error("done"));
  });

  it("gives up on a server that never answers (TTFB)", async () => {
    const t0 = performance.now();
    const err = await nodes[3]!
      .request(nodes[5]!.peerId, ReqRespProtocolName.certificatesByRange, req(), { ttfbTimeoutMs: 300 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect((err as RequestError).code).toBe(RequestErrorCode.TTFB_TIMEOUT);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe("peers", () => {
  it("disconnects a node of another network after status", async () => {
    const other = new Network(
      testOpts({ network: "othernet", bootstrapPeers: [nodes[0]!.getMultiaddrs()[0]!] }),
      { metrics: createNetworkMetrics(new Registry()) },
    );
    extra.push(other);
    const connected: string[] = [];
    nodes[0]!.events.on("peer:connected", (p) => connected.push(p.peerId));
    await other.start();
    const mismatches = (n: Network) =>
      metricValue(n.metrics?.peerEvents, { event: "status_network_mismatch" });
    await waitFor(
      async () => (await mismatches(other)) >= 1 && (await mismatches(nodes[0]!)) >= 1,
      5000,
      "mismatch",
    );
    await waitFor(
      () => other.getPeers().length === 0 && !nodes[0]!.getPeers().some((p) => p.peerId === other.peerId),
      5000,
      "disconnect",
    );
    expect(connected).not.toContain(other.peerId);
  });

  it("with writes joined over a time window, a Status answer sent just before a hang-up still arrives", async () => {
    // Both sides hold writes for 200 ms: without the flush on close, the
    // answer would leave with the socket and the dialer would see a failed
    // exchange, not a network mismatch.
    const window = { writeCoalesceMs: 200 };
    const hub = new Network(testOpts(window), { metrics: createNetworkMetrics(new Registry()) });
    extra.push(hub);
    await hub.start();
    const other = new Network(
      testOpts({ ...window, network: "othernet", bootstrapPeers: [hub.getMultiaddrs()[0]!] }),
      { metrics: createNetworkMetrics(new Registry()) },
    );
    extra.push(other);
    await other.start();
    const mismatches = (n: Network) =>
      metricValue(n.metrics?.peerEvents, { event: "status_network_mismatch" });
    await waitFor(
      async () => (await mismatches(other)) >= 1 && (await mismatches(hub)) >= 1,
      5000,
      "mismatch on both sides",
    );
  });

  it("redials a static peer and refuses a banned one", async () => {
    const hub = nodes[0]!;
    const s = new Network(
      testOpts({
        staticPeers: [hub.getMultiaddrs()[0]!],
        staticPeerRedialMinMs: 100,
        staticPeerRedialMaxMs: 400,
      }),
      { metrics: createNetworkMetrics(new Registry()) },
    );
    extra.push(s);
    await s.start();
    const linked = () => hub.getPeers().some((p) => p.peerId === s.peerId && p.status !== undefined);
    await waitFor(linked, 5000, "static connect");
    expect(s.getPeers()[0]?.isStatic).toBe(true);
    await hub.disconnect(s.peerId);
    const redialed = () => metricValue(s.metrics?.peerEvents, { event: "redial" });
    await waitFor(async () => (await redialed()) >= 1, 5000, "redial");
    await waitFor(linked, 5000, "static reconnect");

    await hub.ban(s.peerId, 60_000, "test");
    await waitFor(() => !hub.getPeers().some((p) => p.peerId === s.peerId), 5000, "ban disconnect");
    // The static peer keeps redialing; the ban holds.
    const redials = await redialed();
    await waitFor(async () => (await redialed()) >= redials + 2, 5000, "redials");
    expect(hub.getPeers().some((p) => p.peerId === s.peerId)).toBe(false);
    expect(await metricValue(hub.metrics?.peerEvents, { event: "banned" })).toBe(1);
  });

  it("dials persisted peers and saves them at stop; keeps its identity", async () => {
    const key = await generatePeerKey();
    let saved: string[] = [];
    const target = nodes[6]!;
    const k = new Network(testOpts(), {
      privateKey: key,
      knownPeers: {
        load: async () => [target.getMultiaddrs()[0]!],
        save: async (a) => {
          saved = a;
        },
      },
    });
    extra.push(k);
    await k.start();
    expect(k.peerId).toBe(peerIdFromPeerKey(key));
    await waitFor(
      () => k.getPeers().some((p) => p.peerId === target.peerId && p.status !== undefined),
      5000,
      "known",
    );
    await k.stop();
    await k.stop(); // idempotent
    expect(saved.some((a) => a.endsWith(`/p2p/${target.peerId}`))).toBe(true);
  });

  it("pings quiet connections only, one end of a link at a time, and closes one whose peer stopped answering", async () => {
    // The dialer reaches the hub through a TCP relay that can stop passing
    // bytes while keeping both sockets open: to the two nodes, the peer froze.
    const relay = await tcpRelay();
    const { hubPort, relayPort } = relay;
    // A ping timeout well above any loopback round trip on a busy machine: no failure before the freeze.
    const live = { pingIntervalMs: 400, pingTimeoutMs: 1500 };
    // The relay is the only path: the hub announces the relay's address, and the dialer
    // does not listen, so neither can open a direct connection the freeze would miss.
    const hub = new Network(
      testOpts({
        ...live,
        listenAddrs: [`/ip4/127.0.0.1/tcp/${hubPort}`],
        announceAddrs: [`/ip4/127.0.0.1/tcp/${relayPort}`],
      }),
      { metrics: createNetworkMetrics(new Registry()) },
    );
    extra.push(hub);
    await hub.start();
    const dialer = new Network(
      testOpts({
        ...live,
        listenAddrs: [],
        bootstrapPeers: [`/ip4/127.0.0.1/tcp/${relayPort}/p2p/${hub.peerId}`],
      }),
      { metrics: createNetworkMetrics(new Registry()) },
    );
    extra.push(dialer);
    try {
      await dialer.start();
      await waitFor(() => dialer.getPeers().some((p) => p.peerId === hub.peerId), 5000, "linked");
      const checks = (n: Network, result: string) => metricValue(n.metrics?.livenessChecks, { result });
      // A quiet link: pinged over real streams (libp2p's ping service echoes), and each
      // end finds it busy with the other end's pings part of the time.
      await waitFor(
        async () => (await checks(hub, "ok")) + (await checks(dialer, "ok")) >= 4,
        10_000,
        "pings",
      );
      await waitFor(
        async () => (await checks(hub, "skipped")) + (await checks(dialer, "skipped")) >= 2,
        10_000,
        "skips",
      );
      expect((await checks(hub, "failed")) + (await checks(dialer, "failed"))).toBe(0);
      // Frozen: a ping times out and its end closes the connection; the relay then
      // closes the other end's socket (an end whose ping was in flight counts it failed too).
      relay.freeze();
      await waitFor(
        async () => (await checks(dialer, "failed")) + (await checks(hub, "failed")) >= 1,
        10_000,
        "a failed ping",
      );
      await waitFor(
        () =>
          !hub.getPeers().some((p) => p.peerId === dialer.peerId) &&
          !dialer.getPeers().some((p) => p.peerId === hub.peerId),
        10_000,
        "both ends dropped the frozen link",
      );
    } finally {
      relay.close();
      await dialer.stop();
    }
  });

  it("disconnects and bans a peer that keeps sending but stops reading what it is sent", async () => {
    // The attacker's link is never quiet (it keeps publishing), so it is never
    // pinged, and it reads nothing: without a bound, everything the hub
    // gossips to it would wait in the hub's memory for as long as it stays.
    const relay = await tcpRelay();
    const { hubPort, relayPort } = relay;
    const backlog = 256 * 1024;
    const hub = await startNode(20, {
      maxSendBacklogBytes: backlog,
      listenAddrs: [`/ip4/127.0.0.1/tcp/${hubPort}`],
      announceAddrs: [`/ip4/127.0.0.1/tcp/${relayPort}`],
    });
    extra.push(hub);
    const attacker = await startNode(21, {
      listenAddrs: [],
      bootstrapPeers: [`/ip4/127.0.0.1/tcp/${relayPort}/p2p/${hub.peerId}`],
      // The attacker does not notice that nothing arrives.
      pingIntervalMs: 3_600_000,
    });
    extra.push(attacker);
    let busy: ReturnType<typeof setInterval> | undefined;
    try {
      await waitFor(
        () => hub.gossip.getMeshPeers(GossipKind.attestation).includes(attacker.peerId),
        10_000,
        "attacker in the hub's mesh",
      );
      // The relay stops reading what the hub sends: TCP holds it back, then the hub.
      relay.stopReadingHub();
      busy = setInterval(
        () => void attacker.publish(GossipKind.attestation, randomBytes(100)).catch(() => {}),
        50,
      );
      let published = 0;
      const overflows = () => metricValue(hub.metrics?.peerEvents, { event: "send_backlog_overflow" });
      // Up to 3.6 MB of gossip, far past the bound (and the muxer's 256 KiB window).
      while (published < 12_000 && hub.getPeers().some((p) => p.peerId === attacker.peerId)) {
        await hub.publish(GossipKind.attestation, randomBytes(300));
        published++;
        if (published % 100 === 0) await new Promise((r) => setTimeout(r, 5));
      }
      await waitFor(
        () => !hub.getPeers().some((p) => p.peerId === attacker.peerId),
        10_000,
        "the hub drops the peer that does not read",
      );
      expect(await overflows()).toBe(1);
      expect(hub.peers.isBanned(attacker.peerId)).toBe(true);
      // Dropped once the bound was passed, not at the end of the gossip: what
      // left the hub is its muxer's 256 KiB window plus the bound (~1,550
      // messages here), with room for the kernel's buffers.
      expect(published * 300).toBeLessThan(3 * backlog + 256 * 1024);
      // The hub goes on serving its other peers' requests.
      expect(hub.isStarted).toBe(true);
    } finally {
      if (busy !== undefined) clearInterval(busy);
      relay.close();
      await attacker.stop();
    }
  });

  it("answers pings without holding what a peer sends faster than it reads the echoes", async () => {
    // A bare libp2p peer (no Status) opens both ping streams it may, stops
    // granting window for the echoes, and sends as fast as the target takes
    // it. A responder that queues arrivals while it waits to send an echo
    // holds all of it (about 500 MB in 3 s here before the fix).
    const target = nodes[3]!;
    // The attacker's own side may buffer what it likes.
    const attacker = await bareLibp2p({ maxReadBufferLength: 1 << 30 });
    const abuse = () => metricValue(target.metrics?.peerEvents, { event: "ping_abuse" });
    const abuseBefore = await abuse();
    try {
      const grownSince = arrayBufferGrowth();
      const conn = await attacker.dial(multiaddr(target.getMultiaddrs()[0]!));
      const streams = await Promise.all([0, 1].map(() => conn.newStream("/ipfs/ping/1.0.0")));
      const chunk = new Uint8Array(60_000);
      const perStream = 24 * 1024 * 1024;
      let sent = 0;
      await Promise.all(
        streams.map(async (s) => {
          s.pause(); // no window for the echoes
          for (let n = 0; n < perStream && s.writeStatus === "writable"; n += chunk.length) {
            try {
              if (!s.send(chunk)) await s.onDrain({ signal: AbortSignal.timeout(2000) });
            } catch {
              break; // reset by the target
            }
            sent += chunk.length;
          }
        }),
      );
      await new Promise((r) => setTimeout(r, 200));
      const grown = grownSince();
      // Both streams were reset at their first burst: the target holds nothing of them.
      expect(grown, `buffers grew by ${grown} bytes after ${sent} sent`).toBeLessThan(4 * 1024 * 1024);
      expect(streams.every((s) => s.status !== "open")).toBe(true);
      expect(sent).toBeLessThan(4 * 1024 * 1024);
      expect((await abuse()) - abuseBefore).toBe(2);
      // An honest ping over a fresh stream is still answered.
      const ping = await conn.newStream("/ipfs/ping/1.0.0");
      const echo = new Promise<Uint8Array>((resolve) =>
        ping.addEventListener("message", (evt) => resolve(evt.data.subarray()), { once: true }),
      );
      const payload = randomBytes(32);
      ping.send(payload);
      expect(Buffer.from(await echo).equals(payload)).toBe(true);
      await ping.close();
    } finally {
      await attacker.stop();
    }
  });

  it("drops what a peer sends on an identify stream it is answered on", async () => {
    // The identify answer is all the target writes there; what the peer sends
    // after it, with the stream kept open, must not wait unread in the target.
    const target = nodes[3]!;
    // No identify service of its own: its one identify stream is the raw one below.
    const attacker = await bareLibp2p();
    try {
      const conn = await attacker.dial(multiaddr(target.getMultiaddrs()[0]!));
      const grownSince = arrayBufferGrowth();
      const stream = await conn.newStream("/ipfs/id/1.0.0");
      // The junk goes after the answer: until the target's handler has the
      // stream (after its peer-store write), what arrives waits in the stream
      // for it, and a measurement taken then would count that.
      await new Promise((resolve) => stream.addEventListener("message", resolve, { once: true }));
      const junk = 3 * 1024 * 1024;
      const chunk = new Uint8Array(60_000);
      for (let n = 0; n < junk; n += chunk.length) {
        if (!stream.send(chunk)) await stream.onDrain({ signal: AbortSignal.timeout(2000) });
      }
      await waitFor(() => stream.writeBufferLength === 0 || undefined, 5000, "junk handed to the muxer");
      // Held, it would stay at 3 MiB (under the muxer's 4 MiB per stream) for
      // good; dropped, the growth falls under 1 MiB once what is still on its
      // way (the attacker's socket and session, the target's reads) is through.
      let grown = Number.POSITIVE_INFINITY;
      await waitFor(
        () => {
          grown = grownSince();
          return grown < 1024 * 1024;
        },
        5000,
        () => `buffers to fall under 1 MiB (grown by ${grown} bytes)`,
        200,
      );
      expect(stream.writeStatus).toBe("writable");
    } finally {
      await attacker.stop();
    }
  });

  it("negotiates on few new streams per peer, and on few proposals per stream", async () => {
    // Every stream a peer opens costs a negotiation, and during one the node
    // answers each protocol it is offered: a peer offering them as fast as it
    // could, or opening streams as fast as it could, held the event loop for
    // 0.5-1 s at a time and used more than a core.
    const target = nodes[5]!;
    const attacker = await bareLibp2p();
    const events = (event: string) => metricValue(target.metrics?.peerEvents, { event });
    const [bytesBefore, rateBefore, bannedBefore] = await Promise.all(
      ["negotiation_bytes", "stream_rate", "banned"].map(events),
    );
    try {
      const conn = await attacker.dial(multiaddr(target.getMultiaddrs()[0]!));
      // 1,000 protocols the node does not speak, offered one after the other on one stream:
      // answered all, the offer ends in UnsupportedProtocolError.
      const offers = Array.from({ length: 1000 }, (_, i) => `/x/${i}`);
      const offered = await conn.newStream(offers).then(
        () => "agreed",
        (e: Error) => e.name,
      );
      expect(offered).not.toBe("UnsupportedProtocolError");
      expect((await events("negotiation_bytes")) - bytesBefore).toBe(1);
      // 100 streams at once, each offering one protocol the node does not speak.
      const opened = await Promise.allSettled(Array.from({ length: 100 }, () => conn.newStream("/nope/1")));
      const answered = opened.filter(
        (r) => r.status === "rejected" && (r.reason as Error).name === "UnsupportedProtocolError",
      ).length;
      // Answered only within the bucket; the rest reset as they opened (or cut off by the ban below).
      expect(answered).toBeLessThanOrEqual(INBOUND_STREAM_BURST);
      expect((await events("stream_rate")) - rateBefore).toBeGreaterThan(0);
      // Ten resets within a half-life graylist the peer: disconnected, banned, refused on reconnect.
      await waitFor(() => conn.status !== "open" || undefined, 5000, "attacker disconnected");
      expect((await events("banned")) - bannedBefore).toBe(1);
      const again = await attacker.dial(multiaddr(target.getMultiaddrs()[0]!)).then(
        (c) => waitFor(() => c.status !== "open" || undefined, 5000, "redial refused").then(() => "closed"),
        () => "refused",
      );
      expect(["closed", "refused"]).toContain(again);
      expect(target.getPeers().some((p) => p.peerId === attacker.peerId.toString())).toBe(false);
    } finally {
      await attacker.stop();
    }
  });

  it("stops every node gracefully, leaving no sockets open", async () => {
    stallRelease();
    await Promise.all([...nodes, ...extra].map((n) => n.stop()));
    await Promise.all(nodes.map((n) => n.stop()));
    await waitFor(() => tcpHandles() <= baselineTcp, 3000, "sockets to close");
    expect(tcpHandles()).toBe(baselineTcp);
  });
});
