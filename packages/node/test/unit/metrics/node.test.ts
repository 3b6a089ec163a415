import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CachedDirectorySize, directorySize } from "../../../src/metrics/dirSize.js";
import { createAnchorMetrics, NodeMetrics } from "../../../src/metrics/node.js";
import type { PeerInfo } from "../../../src/network/peers.js";

const peer = (score: number, direction: "inbound" | "outbound"): PeerInfo => ({
  peerId: `p${score}`,
  addrs: [],
  direction,
  status: undefined,
  score,
  connectedAtMs: 0,
  isStatic: false,
});

describe("NodeMetrics", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ocp-metrics-"));
    await mkdir(join(dir, "sub"));
    await writeFile(join(dir, "a"), new Uint8Array(1000));
    await writeFile(join(dir, "sub", "b"), new Uint8Array(234));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("measures a directory tree and caches the reading", async () => {
    expect(await directorySize(dir)).toBe(1234);
    expect(await directorySize(join(dir, "missing"))).toBe(0);
    let now = 0;
    const cached = new CachedDirectorySize(dir, 1000, () => now);
    expect(await cached.get()).toBe(1234);
    await writeFile(join(dir, "c"), new Uint8Array(10));
    now = 999;
    expect(await cached.get()).toBe(1234);
    now = 1000;
    expect(await cached.get()).toBe(1244);
  });

  it("collects peers, scores, db size, BLS and latency series", async () => {
    const registry = new Registry();
    let peers = [peer(5, "inbound"), peer(-20, "outbound"), peer(0.5, "outbound")];
    const m = new NodeMetrics({ dataDir: dir, processMetrics: false }, { registry, getPeers: () => peers });
    m.bls.onBatch(7, 3);
    m.bls.onVerifyCall("same_message", 7, 2, true);
    m.bls.onVerifyCall("single", 1, 1, false);
    m.observeCertificateLatency("s:1", "aggregator", 1.5);
    m.observeCertificateLatency("s:1", "gossip", 9); // an upgrade of the same slot: not latency
    const text = await registry.metrics();
    expect(text).toMatch(/^ocp_peers\{direction="inbound"\} 1$/m);
    expect(text).toMatch(/^ocp_peers\{direction="outbound"\} 2$/m);
    expect(text).toMatch(/^ocp_peer_gossip_score_count 3$/m);
    expect(text).toMatch(/^ocp_peer_gossip_score_bucket\{le="-10"\} 1$/m);
    expect(text).toMatch(/^ocp_peer_gossip_score_bucket\{le="1"\} 2$/m);
    expect(text).toMatch(/^ocp_db_size_bytes \d{4,}$/m);
    expect(text).toMatch(/^ocp_bls_batch_sets_bucket\{le="4"\} 0$/m);
    expect(text).toMatch(/^ocp_bls_batch_sets_bucket\{le="8"\} 1$/m);
    expect(text).toMatch(/^ocp_bls_verify_seconds_sum\{kind="same_message"\} 0.002$/m);
    expect(text).toMatch(/^ocp_bls_verify_failures_total\{kind="single"\} 1$/m);
    expect(text).toMatch(/^ocp_certificate_latency_seconds_count\{source="aggregator"\} 1$/m);
    expect(text).not.toMatch(/source="gossip"/);
    // The in-memory stats still count for tests and the bench.
    expect(m.bls.batches).toBe(1);
    expect(m.bls.failedCalls).toBe(1);

    // The peer population is re-read at each scrape.
    peers = [];
    const again = await registry.metrics();
    expect(again).toMatch(/^ocp_peers\{direction="outbound"\} 0$/m);
    expect(again).not.toMatch(/^ocp_peer_gossip_score_count [1-9]/m);
  });

  it("defines the anchoring series once per registry", async () => {
    const registry = new Registry();
    const a = createAnchorMetrics(registry);
    const b = createAnchorMetrics(registry);
    expect(b.transactions).toBe(a.transactions);
    a.transactions.inc({ result: "anchored" });
    a.gasUsed.inc(21000);
    a.balanceWei.set(5);
    const text = await registry.metrics();
    expect(text).toMatch(/^ocp_anchor_transactions_total\{result="anchored"\} 1$/m);
    expect(text).toMatch(/^ocp_anchor_gas_used_total 21000$/m);
    expect(text).toMatch(/^ocp_anchor_balance_wei 5$/m);
    expect(text).toMatch(/^ocp_anchor_spent_wei_total 0$/m);
  });
});
