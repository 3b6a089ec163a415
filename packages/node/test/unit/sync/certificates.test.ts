// CertificateSync's choice of gaps: which slots a tick asks peers for.
import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { CertificateSync } from "../../../src/sync/certificates.js";
import { nullLogger } from "../../../src/util/logger.js";
import { DOMAIN, makeSet, STREAM, type TestChain, testChain, testKeys } from "../chain/fixtures.js";

const HEAD = 20n;
const chains: TestChain[] = [];
afterEach(async () => {
  for (const c of chains.splice(0)) await c.pipeline.stop();
});

function setup(opts: { decided?: Map<bigint, number>; stored?: Set<bigint> } = {}) {
  const set = makeSet(testKeys(4));
  const chain = testChain([set], HEAD);
  chains.push(chain);
  const requests: { peer: string; startSlot: number; count: number }[] = [];
  const dbReads: bigint[] = [];
  let now = 100_000;
  const sync = new CertificateSync({
    opts: { intervalMs: 2000, formingGraceMs: 3000, lookbackSlots: 8, confirmations: 2 },
    domain: DOMAIN,
    streams: [
      { name: "s", id: STREAM, l1ChainId: 1, tableContract: "0x1111111111111111111111111111111111111111" },
    ],
    clock: { currentSlot: () => HEAD },
    network: {
      getPeers: () => [{ peerId: "peer-a" }] as never,
      request: async (peer: string, _proto: unknown, payload: Uint8Array) => {
        // certificates_by_range request: stream (32) ‖ startSlot u64 ‖ count u64, little-endian SSZ
        const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
        requests.push({
          peer,
          startSlot: Number(view.getBigUint64(32, true)),
          count: Number(view.getBigUint64(40, true)),
        });
        return [];
      },
      events: new EventEmitter() as never,
    },
    chain: chain.pipeline,
    db: {
      certificates: {
        getBestSync: (_stream: Uint8Array, slot: bigint) => {
          dbReads.push(slot);
          return opts.stored?.has(slot) ? ({} as never) : undefined;
        },
      },
    },
    knownEmpty: () => false,
    decidedAtMs: (_stream, slot) => opts.decided?.get(slot),
    now: () => now,
    logger: nullLogger,
  });
  return { sync, requests, dbReads, advance: (ms: number) => (now += ms), now: () => now };
}

describe("CertificateSync gaps", () => {
  it("a slot decided here moments ago is not a gap until the forming grace has passed", async () => {
    // lookback 8 from head 20: slots 12..18 (confirmed = head - 2); 12..17 stored, 18 decided just now
    const decided = new Map([[18n, 100_000 - 1000]]);
    const t = setup({ decided, stored: new Set([12n, 13n, 14n, 15n, 16n, 17n]) });
    await t.sync.sync();
    expect(t.requests).toEqual([]);
    t.advance(2000);
    await t.sync.sync();
    expect(t.requests).toEqual([{ peer: "peer-a", startSlot: 18, count: 1 }]);
  });

  it("a slot this node never decided (it was down) is a gap at once", async () => {
    const t = setup({ stored: new Set([12n, 13n, 14n, 16n, 17n, 18n]) });
    await t.sync.sync();
    expect(t.requests).toEqual([{ peer: "peer-a", startSlot: 15, count: 1 }]);
  });

  it("slots found in the db are read once, not at every tick", async () => {
    const stored = new Set([12n, 13n, 14n, 15n, 16n, 17n, 18n]);
    const t = setup({ stored });
    await t.sync.sync();
    expect(t.dbReads).toEqual([12n, 13n, 14n, 15n, 16n, 17n, 18n]);
    await t.sync.sync();
    await t.sync.sync();
    expect(t.dbReads).toHaveLength(7);
    expect(t.requests).toEqual([]);
  });
});
