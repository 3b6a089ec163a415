// Peer scoring: the derived parameters pass gossipsub's own validation and
// hold the properties the derivation claims; over real libp2p, REJECTs lower
// the sender's score until it is graylisted and banned, IGNOREs do not, and
// rate-limited requests feed the application score.
import { createPeerScoreParams, validatePeerScoreParams } from "@libp2p/gossipsub/score";
import fc from "fast-check";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { metricSum, metricValue } from "../../../../../test/utils/metrics.js";
import { waitFor as until } from "../../../../../test/utils/wait.js";
import { createNetworkMetrics } from "../../../src/metrics/network.js";
import { GossipAction, GossipActionError } from "../../../src/network/errors.js";
import { defaultGossipScoreThresholds } from "../../../src/network/host.js";
import { Network } from "../../../src/network/network.js";
import { ReqRespProtocolName } from "../../../src/network/reqresp/protocols.js";
import {
  AppPenalties,
  decayFactor,
  defaultScoringOptions,
  derivePeerScoreParams,
  deriveTopicScoreParams,
  maxPositiveScore,
  type ScoringOptions,
  topicScoreCap,
} from "../../../src/network/scoring.js";
import { GOSSIP_KINDS, GossipKind, gossipTopic } from "../../../src/network/topics.js";

const { graylistThreshold, gossipThreshold } = defaultGossipScoreThresholds;

function fullParams(o: ScoringOptions, local: boolean) {
  const topics = deriveTopicScoreParams(o, graylistThreshold, 8);
  return createPeerScoreParams({
    ...derivePeerScoreParams(o, local, gossipThreshold),
    appSpecificScore: () => 0,
    topics: Object.fromEntries(GOSSIP_KINDS.map((k) => [gossipTopic("unit", k), topics[k]])),
  });
}

describe("derived score parameters", () => {
  const options = fc.record({
    slotSeconds: fc.integer({ min: 1, max: 60 }),
    streams: fc.integer({ min: 1, max: 8 }),
    expectedVerifiers: fc.integer({ min: 1, max: 4096 }),
    expectedBuilders: fc.integer({ min: 1, max: 64 }),
    rejectsToGraylist: fc.integer({ min: 1, max: 100 }),
    invalidDecaySlots: fc.integer({ min: 1, max: 1000 }),
    firstDeliveryDecaySlots: fc.integer({ min: 1, max: 1000 }),
  });

  it("pass gossipsub's own validation for any sensible rates", () => {
    fc.assert(
      fc.property(options, fc.boolean(), (o, local) => {
        expect(() =>
          validatePeerScoreParams(fullParams({ ...defaultScoringOptions, ...o }, local)),
        ).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });

  it("K rejects on any one topic take even the best-scored peer below the graylist; K−1 do not", () => {
    fc.assert(
      fc.property(options, (o) => {
        const opts = { ...defaultScoringOptions, ...o };
        const topics = deriveTopicScoreParams(opts, graylistThreshold, 8);
        const cap = topicScoreCap();
        for (const kind of GOSSIP_KINDS) {
          const t = topics[kind];
          // P4 as gossipsub computes it: weight · count² · topicWeight.
          const p4 = (n: number) => t.invalidMessageDeliveriesWeight * n * n * t.topicWeight;
          const k = opts.rejectsToGraylist;
          expect(cap + p4(k)).toBeLessThan(graylistThreshold);
          if (k > 1) expect(p4(k - 1)).toBeGreaterThan(graylistThreshold);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("positive credit is capped at the derived maxima; evidence earns no delivery credit", () => {
    const topics = deriveTopicScoreParams(defaultScoringOptions, graylistThreshold, 8);
    let best = 0;
    for (const kind of GOSSIP_KINDS) {
      const t = topics[kind];
      best +=
        (t.timeInMeshCap * t.timeInMeshWeight +
          t.firstMessageDeliveriesCap * t.firstMessageDeliveriesWeight) *
        t.topicWeight;
      expect(t.meshMessageDeliveriesWeight).toBe(0);
    }
    expect(topics[GossipKind.evidence].firstMessageDeliveriesWeight).toBe(0);
    // Evidence contributes only its time in mesh, so the sum stays under the nominal maximum.
    expect(best).toBeLessThanOrEqual(maxPositiveScore() + 1e-9);
    expect(best).toBeGreaterThan(topicScoreCap());
  });

  it("decay factors reach decayToZero after the configured number of slots", () => {
    for (const [slots, secs] of [
      [100, 12],
      [32, 2],
      [1, 1],
    ] as const) {
      const d = decayFactor(slots, secs);
      expect(d ** (slots * secs)).toBeCloseTo(0.01, 10);
    }
  });

  it("IP colocation is off on local networks only", () => {
    expect(derivePeerScoreParams(defaultScoringOptions, true, gossipThreshold).IPColocationFactorWeight).toBe(
      0,
    );
    const remote = derivePeerScoreParams(defaultScoringOptions, false, gossipThreshold);
    expect(remote.IPColocationFactorWeight).toBeLessThan(0);
    expect(remote.IPColocationFactorThreshold).toBe(defaultScoringOptions.ipColocationThreshold);
  });
});

describe("AppPenalties", () => {
  it("halves per half-life and forgets decayed entries", () => {
    let now = 0;
    const p = new AppPenalties(1000, 8, () => now);
    p.penalize("a", 100);
    expect(p.score("a")).toBe(-100);
    now = 1000;
    expect(p.value("a")).toBeCloseTo(50, 9);
    p.penalize("a", 50);
    expect(p.value("a")).toBeCloseTo(100, 9);
    now = 1000 + 7000; // 100 / 2^7 < 1
    expect(p.value("a")).toBe(0);
    expect(p.size).toBe(0);
  });

  it("stays within maxPeers, evicting the smallest penalty", () => {
    const p = new AppPenalties(60_000, 4, () => 0);
    for (let i = 0; i < 50; i++) p.penalize(`peer${i}`, 10 + i);
    expect(p.size).toBe(4);
    expect(p.evicted).toBe(46);
    expect(p.value("peer49")).toBe(59);
  });
});

describe("scoring over real gossip", () => {
  const started: Network[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((n) => n.stop()));
  });

  async function pair() {
    let mode: "ignore" | "reject" = "ignore";
    const opts = {
      network: "unit",
      localNetwork: true,
      gossip: { heartbeatIntervalMs: 200 },
      scoring: { checkIntervalMs: 100, graylistBanMs: 60_000 },
    };
    const a = new Network(opts);
    const b = new Network(opts, { metrics: createNetworkMetrics(new Registry()) });
    started.push(a, b);
    a.subscribe(GossipKind.attestation, async () => ({ value: null }));
    b.subscribe(GossipKind.attestation, async () => {
      throw new GossipActionError(
        mode === "reject" ? GossipAction.REJECT : GossipAction.IGNORE,
        "TEST_ERROR_VERDICT",
      );
    });
    await a.start();
    await b.start();
    const bId = await a.dial(b.getMultiaddrs()[0]!);
    await until(() => a.gossip.getTopicPeers(GossipKind.attestation).includes(bId), 5000, "topic peer");
    return { a, b, bId, setMode: (m: typeof mode) => (mode = m) };
  }

  it("IGNOREs leave the score alone; REJECTs push it below the graylist, then the peer is banned", async () => {
    const { a, b, setMode } = await pair();
    const count = (result: string) =>
      metricSum(b.metrics?.gossipValidation, { kind: GossipKind.attestation, result });
    let n = 0;
    const publishDistinct = async (k: number) => {
      for (let i = 0; i < k; i++)
        await a.publish(GossipKind.attestation, Uint8Array.of(1, 2, n++ & 0xff, n >> 8));
    };
    await publishDistinct(20);
    await until(async () => (await count("ignore")) === 20, 5000, "20 ignores");
    expect(b.getPeerScore(a.peerId)).toBeGreaterThanOrEqual(0);

    setMode("reject");
    const k = defaultScoringOptions.rejectsToGraylist;
    await publishDistinct(k - 1);
    await until(async () => (await count("reject")) === k - 1, 5000, "K-1 rejects");
    // Gossipsub caches a score for one heartbeat.
    await new Promise((r) => setTimeout(r, 300));
    expect(b.getPeerScore(a.peerId)).toBeLessThan(0);
    expect(b.getPeerScore(a.peerId)).toBeGreaterThanOrEqual(graylistThreshold);
    expect(b.peers.isBanned(a.peerId)).toBe(false);

    await publishDistinct(1);
    await until(() => b.peers.isBanned(a.peerId), 5000, "ban after the K-th reject");
    expect(b.getPeerScore(a.peerId)).toBeLessThan(graylistThreshold);
    expect(await metricValue(b.metrics?.peerEvents, { event: "graylisted" })).toBe(1);
    await until(() => b.getPeers().every((p) => p.peerId !== a.peerId), 5000, "disconnect");
    // A redial does not bring it back (connection gater, then the ban check on connect).
    await a.dial(b.getMultiaddrs()[0]!).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500));
    expect(b.getPeers().some((p) => p.peerId === a.peerId)).toBe(false);
    expect(b.peers.isBanned(a.peerId)).toBe(true);
  });

  it("rate-limited requests lower the application score", async () => {
    const { a, b, bId } = await pair();
    const results: string[] = [];
    for (let i = 0; i < 12; i++) {
      const payload = new Uint8Array(0);
      await a
        .request(bId, ReqRespProtocolName.status, payload)
        .then(() => results.push("ok"))
        .catch((e: { code: string }) => results.push(e.code));
    }
    const limited = results.filter((r) => r === "REQRESP_ERROR_RATE_LIMITED").length;
    expect(limited).toBeGreaterThan(0);
    const penalty = b.penalties.value(a.peerId);
    // A few ms passed: the penalty decayed a hair below the sum of the hits.
    expect(penalty).toBeLessThanOrEqual(limited * defaultScoringOptions.rateLimitPenalty);
    expect(penalty).toBeGreaterThan(limited * defaultScoringOptions.rateLimitPenalty * 0.99);
    await new Promise((r) => setTimeout(r, 300));
    expect(b.getPeerScore(a.peerId)).toBeLessThanOrEqual(-penalty * 0.99);
  });
});
