import { encodeStatusSsz, sszNetworkId } from "@ocp/protocol";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createNetworkMetrics } from "../../../src/metrics/network.js";
import {
  generatePeerKey,
  type Host,
  type HostConnection,
  type InboundConnection,
  inboundConnectionGate,
  peerIdFromPeerKey,
} from "../../../src/network/host.js";
import { defaultNetworkOptions } from "../../../src/network/options.js";
import { isLocalIp, PeerManager } from "../../../src/network/peers.js";
import type { ReqResp } from "../../../src/network/reqresp/reqResp.js";

// A host holding fixed connections; records hang-ups.
function fakeHost(conns: HostConnection[]) {
  const hungUp: string[] = [];
  const host = {
    peerId: "self",
    getConnections: (peer?: string) => conns.filter((c) => peer === undefined || c.peer === peer),
    hangUp: async (peer: string) => {
      hungUp.push(peer);
    },
  } as unknown as Host;
  return { host, hungUp };
}

function manager(conns: HostConnection[]) {
  const h = fakeHost(conns);
  const pm = new PeerManager(defaultNetworkOptions, {
    host: h.host,
    reqResp: {} as ReqResp,
    metrics: createNetworkMetrics(new Registry()),
    logger: pino({ level: "silent" }),
    getStatus: () => {
      throw new Error("not used");
    },
    getScore: () => 0,
    graylistThreshold: -16000,
  });
  return { pm, ...h };
}

/** A host without connections whose connect handlers the test calls (`connect`); `extra` adds methods. */
function connectingHost(extra: Record<string, unknown> = {}) {
  const connect: ((peer: string) => void)[] = [];
  const host = {
    peerId: "self",
    getConnections: () => [],
    hangUp: async () => undefined,
    onPeerConnect: (h: (peer: string) => void) => connect.push(h),
    onPeerDisconnect: () => undefined,
    ...extra,
  } as unknown as Host;
  return { host, connect };
}

/** A raw inbound connection as the gater sees it, before any handshake. */
function inbound(addr: string) {
  const target = new EventTarget();
  const conn = {
    remoteAddr: { toString: () => addr },
    addEventListener: target.addEventListener.bind(target),
  } as unknown as InboundConnection;
  return { conn, close: () => target.dispatchEvent(new Event("close")) };
}

const conn = (peer: string, remoteAddr: string): HostConnection => ({
  peer,
  remoteAddr,
  direction: "inbound",
});

afterEach(() => {
  vi.useRealTimers();
});

describe("peer bans by IP", () => {
  it("a peer banned by id is refused by IP outside local networks, under any new identity", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(1_000_000);
    const { pm, hungUp } = manager([
      conn("attacker", "/ip4/203.0.113.7/tcp/40001"),
      conn("attacker6", "/ip6/2001:db8::7/tcp/40001"),
    ]);
    const gate = inboundConnectionGate(8, (ip) => pm.isIpBanned(ip));
    expect(gate(inbound("/ip4/203.0.113.7/tcp/40002").conn)).toBe(false);

    await pm.ban("attacker", 60_000, "test");
    await pm.ban("attacker6", 60_000, "test");
    expect(hungUp).toEqual(["attacker", "attacker6"]);
    expect(pm.isBanned("attacker")).toBe(true);
    expect(pm.isIpBanned("203.0.113.7")).toBe(true);
    expect(pm.isIpBanned("2001:db8::7")).toBe(true);
    // A fresh connection from the same address (another port, any peer id) is refused before its handshake.
    expect(gate(inbound("/ip4/203.0.113.7/tcp/40003").conn)).toBe(true);
    expect(gate(inbound("/ip6/2001:db8::7/tcp/1").conn)).toBe(true);
    // Other addresses are not.
    expect(gate(inbound("/ip4/203.0.113.8/tcp/40003").conn)).toBe(false);
    expect(gate(inbound("/ip4/198.51.100.9/tcp/9000").conn)).toBe(false);

    // The IP ban lasts as long as the id ban.
    vi.setSystemTime(1_000_000 + 59_999);
    expect(gate(inbound("/ip4/203.0.113.7/tcp/40004").conn)).toBe(true);
    vi.setSystemTime(1_000_000 + 60_000);
    expect(pm.isBanned("attacker")).toBe(false);
    expect(gate(inbound("/ip4/203.0.113.7/tcp/40004").conn)).toBe(false);
  });

  it("never bans a loopback, private or link-local address (many operators share them)", async () => {
    const local = [
      "/ip4/127.0.0.1/tcp/1",
      "/ip4/10.1.2.3/tcp/1",
      "/ip4/172.16.0.1/tcp/1",
      "/ip4/172.31.255.1/tcp/1",
      "/ip4/192.168.1.5/tcp/1",
      "/ip4/169.254.0.9/tcp/1",
      "/ip6/::1/tcp/1",
      "/ip6/fd00::5/tcp/1",
      "/ip6/fe80::1/tcp/1",
      "/ip6/::ffff:10.0.0.1/tcp/1",
    ];
    const { pm } = manager(local.map((a, i) => conn(`p${i}`, a)));
    const gate = inboundConnectionGate(8, (ip) => pm.isIpBanned(ip));
    for (let i = 0; i < local.length; i++) await pm.ban(`p${i}`, 60_000, "test");
    for (let i = 0; i < local.length; i++) {
      expect(pm.isBanned(`p${i}`)).toBe(true);
      expect(gate(inbound(local[i]!).conn)).toBe(false);
    }
  });

  it("classifies addresses at the edges of the local ranges", () => {
    for (const ip of [
      "127.0.0.1",
      "10.0.0.0",
      "172.16.0.0",
      "172.31.255.255",
      "192.168.0.1",
      "0.0.0.0",
      "::",
      "::ffff:10.0.0.1",
      // The same, as multiaddr prints it.
      "::ffff:a00:1",
      "::ffff:c0a8:101",
    ])
      expect(isLocalIp(ip), ip).toBe(true);
    for (const ip of [
      "172.15.255.255",
      "172.32.0.0",
      "192.169.0.1",
      "11.0.0.1",
      "203.0.113.7",
      "2001:db8::1",
      "::ffff:203.0.113.7",
      "::ffff:cb00:7107",
      "fec0::1",
    ])
      expect(isLocalIp(ip), ip).toBe(false);
  });
});

describe("inbound connections per IP", () => {
  it("refuses connections beyond the limit while they are open, accepts again after one closes", () => {
    const gate = inboundConnectionGate(2);
    const a = inbound("/ip4/203.0.113.1/tcp/1");
    const b = inbound("/ip4/203.0.113.1/tcp/2");
    expect(gate(a.conn)).toBe(false);
    expect(gate(b.conn)).toBe(false);
    expect(gate(inbound("/ip4/203.0.113.1/tcp/3").conn)).toBe(true);
    // Another IP has its own count.
    expect(gate(inbound("/ip4/203.0.113.2/tcp/1").conn)).toBe(false);
    a.close();
    expect(gate(inbound("/ip4/203.0.113.1/tcp/4").conn)).toBe(false);
    expect(gate(inbound("/ip4/203.0.113.1/tcp/5").conn)).toBe(true);
  });
});

describe("outbound dials", () => {
  it("dials beyond the configured peers only while below D_lo peers", async () => {
    const boot = peerIdFromPeerKey(await generatePeerKey());
    const { host, connect } = connectingHost();
    const pm = new PeerManager(
      {
        ...defaultNetworkOptions,
        gossip: { ...defaultNetworkOptions.gossip, Dlo: 2 },
        bootstrapPeers: [`/ip4/203.0.113.1/tcp/9000/p2p/${boot}`],
      },
      {
        host,
        reqResp: { registerHandler: async () => undefined } as unknown as ReqResp,
        metrics: createNetworkMetrics(new Registry()),
        logger: pino({ level: "silent" }),
        getStatus: () => {
          throw new Error("not used");
        },
        getScore: () => 0,
        graylistThreshold: -16000,
      },
    );
    await pm.init();
    // Not started: connections are recorded, no Status exchange runs.
    for (const h of connect) h("a");
    // One dial in flight fills the second place: a second PX peer at once is refused.
    expect(pm.isDialDenied("px-1")).toBe(false);
    expect(pm.isDialDenied("px-2")).toBe(true);
    for (const h of connect) h("px-1");
    // At D_lo: a peer learned from peer exchange is not dialed…
    expect(pm.isDialDenied("px-3")).toBe(true);
    // …a configured peer and a connected one still are.
    expect(pm.isDialDenied(boot)).toBe(false);
    expect(pm.isDialDenied("a")).toBe(false);
    // A dial asked for explicitly (Network.dial) is not gated by the count…
    pm.allowRequestedDial("px-3");
    expect(pm.isDialDenied("px-3")).toBe(false);
    // …but a ban still refuses it.
    await pm.ban("px-3", 60_000, "test");
    expect(pm.isDialDenied("px-3")).toBe(true);
    // A banned peer never is.
    await pm.ban(boot, 60_000, "test");
    expect(pm.isDialDenied(boot)).toBe(true);
  });
});

describe("known peers", () => {
  it("saves connected peers past Status with a score ≥ 0, only when they change; the next start redials them", async () => {
    const ids = await Promise.all([0, 1, 2].map(async () => peerIdFromPeerKey(await generatePeerKey())));
    const [good, negative, silent] = ids as [string, string, string];
    const addrOf = (peer: string) => `/ip4/203.0.113.${ids.indexOf(peer) + 1}/tcp/9000/p2p/${peer}`;
    const saved: string[][] = [];
    let stored: string[] = [];
    const knownPeers = {
      load: async () => stored,
      save: async (addrs: string[]) => {
        saved.push(addrs);
        stored = addrs;
      },
    };
    const local = { setIds: [], latestCertifiedSlot: 0n, headSlot: 0n };
    const make = () => {
      const dialed: string[] = [];
      const { host, connect } = connectingHost({
        getPeerAddrs: async (peer: string) => [addrOf(peer)],
        dial: async (addr: string) => {
          dialed.push(addr);
          return new Promise(() => undefined); // never connects
        },
      });
      const pm = new PeerManager(
        { ...defaultNetworkOptions, network: "n", knownPeersSaveIntervalMs: 0 },
        {
          host,
          reqResp: {
            registerHandler: async () => undefined,
            // The silent peer never answers Status.
            request: (peer: string) =>
              peer === silent
                ? new Promise(() => undefined)
                : Promise.resolve([encodeStatusSsz({ network: sszNetworkId("n"), ...local })]),
          } as unknown as ReqResp,
          metrics: createNetworkMetrics(new Registry()),
          logger: pino({ level: "silent" }),
          getStatus: () => local,
          getScore: (peer) => (peer === negative ? -1 : 5),
          graylistThreshold: -16000,
          knownPeers,
        },
      );
      return { pm, connect, dialed };
    };

    const first = make();
    await first.pm.init();
    await first.pm.start();
    expect(first.dialed).toEqual([]);
    for (const peer of ids) for (const h of first.connect) h(peer);
    await vi.waitFor(() => expect(first.pm.getPeer(good)?.status).toBeDefined());
    await vi.waitFor(() => expect(first.pm.getPeer(negative)?.status).toBeDefined());
    await first.pm.stop();
    // Only the peer past Status with a score ≥ 0.
    expect(saved).toEqual([[addrOf(good)]]);

    const second = make();
    await second.pm.init();
    await second.pm.start();
    expect(second.dialed).toEqual([addrOf(good)]);
    await second.pm.stop();
    // Nothing connected: nothing saved over the stored list.
    expect(saved).toHaveLength(1);
  });
});
