import { EventEmitter } from "node:events";
import { decodeCertificateSsz, encodeCertificatesByRangeResponseSsz } from "@ocp/protocol";
import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { StreamContext } from "../../../src/checkers/types.js";
import { CertificateSync, type CertificateSyncModules } from "../../../src/sync/certificates.js";
import { certificate } from "../db/fixtures.js";

afterEach(() => {
  vi.useRealTimers();
});

/**
 * A sync with one gap (slot 8) whose peers answer as `answer` says. With
 * `fills`, an accepted certificate is held afterwards (the gap closes).
 */
function setup(answer: (peer: string) => Promise<Uint8Array[]>, fills = false) {
  const asked: string[] = [];
  const accepted: bigint[] = [];
  let peers: string[] = [];
  const events = new EventEmitter();
  const m = {
    opts: { intervalMs: 3_600_000, lookbackSlots: 5, confirmations: 1 },
    domain: { chainId: 1n, verifyingContract: new Uint8Array(20) },
    streams: [{ name: "eez", id: new Uint8Array(32) } as StreamContext],
    clock: { currentSlot: () => 10n },
    network: {
      getPeers: () => peers.map((peerId) => ({ peerId })),
      request: (peer: string) => {
        asked.push(peer);
        return answer(peer);
      },
      events,
    },
    chain: {
      certificate: {
        validate: async (bytes: Uint8Array) => ({ slot: decodeCertificateSsz(bytes).observation.slot }),
        accept: (v: { slot: bigint }) => accepted.push(v.slot),
      },
      pools: { certificates: { best: () => (fills && accepted.length > 0 ? {} : undefined) } },
    },
    db: { certificates: { getBestSync: () => undefined } },
    knownEmpty: (_stream: Uint8Array, slot: bigint) => slot !== 8n,
    logger: pino({ level: "silent" }),
  } as unknown as CertificateSyncModules;
  const sync = new CertificateSync(m);
  return {
    sync,
    asked,
    accepted,
    connect(...ids: string[]) {
      peers = ids;
      events.emit("peer:connected");
    },
  };
}

describe("certificate sync", () => {
  it("a peer that connects while a round waits on a silent peer gets a round right after it", async () => {
    vi.useFakeTimers();
    let failSlow: (e: Error) => void = () => undefined;
    const s = setup((peer) =>
      peer === "slow"
        ? new Promise((_resolve, reject) => {
            failSlow = reject;
          })
        : Promise.resolve([]),
    );
    s.sync.start();
    s.connect("slow");
    await vi.advanceTimersByTimeAsync(600);
    expect(s.asked).toEqual(["slow"]);
    // The second peer connects while the first round still waits.
    s.connect("fast");
    await vi.advanceTimersByTimeAsync(600);
    expect(s.asked).toEqual(["slow"]);
    failSlow(new Error("timeout"));
    // Rounds start at least a second apart.
    await vi.advanceTimersByTimeAsync(1000);
    expect(s.asked).toContain("fast");
    await s.sync.stop();
  });

  it("asks its peers at once: one that never answers does not hold back the others", async () => {
    vi.useFakeTimers();
    const s = setup((peer) => (peer === "silent" ? new Promise(() => undefined) : Promise.resolve([])));
    s.sync.start();
    s.connect("silent", "a", "b");
    await vi.advanceTimersByTimeAsync(600);
    expect(s.asked.sort()).toEqual(["a", "b", "silent"]);
  });

  it("a peer reconnecting in a loop does not make it ask faster than one round a second", async () => {
    vi.useFakeTimers();
    const s = setup(() => Promise.resolve([]));
    s.sync.start();
    // A reconnect every 100 ms for 5 s.
    for (let k = 0; k < 50; k++) {
      s.connect("a", "attacker");
      await vi.advanceTimersByTimeAsync(100);
    }
    await vi.advanceTimersByTimeAsync(2000);
    const rounds = s.asked.filter((p) => p === "a").length;
    expect(rounds).toBeGreaterThanOrEqual(5);
    expect(rounds).toBeLessThanOrEqual(8);
    await s.sync.stop();
  });

  it("takes in each answer as it arrives, not after the slowest peer's", async () => {
    vi.useFakeTimers();
    const stream = new Uint8Array(32);
    const s = setup((peer) =>
      peer === "silent"
        ? new Promise(() => undefined)
        : Promise.resolve([encodeCertificatesByRangeResponseSsz([certificate(stream, 8n)])]),
    );
    s.sync.start();
    s.connect("silent", "a");
    await vi.advanceTimersByTimeAsync(600);
    expect(s.accepted).toEqual([8n]);
  });

  it("a round asked for during another waits for it and looks for gaps only then", async () => {
    const stream = new Uint8Array(32);
    let answer: () => void = () => undefined;
    const s = setup(
      () =>
        new Promise((resolve) => {
          answer = () => resolve([encodeCertificatesByRangeResponseSsz([certificate(stream, 8n)])]);
        }),
      true,
    );
    s.connect("a");
    // The periodic round is under way when an operator asks for one.
    const periodic = s.sync.sync();
    const asked = s.sync.sync();
    await Promise.resolve();
    expect(s.asked).toEqual(["a"]);
    answer();
    expect(await periodic).toBe(1);
    // The gap was filled meanwhile: nothing left to ask for.
    expect(await asked).toBe(0);
    expect(s.asked).toEqual(["a"]);
    expect(s.accepted).toEqual([8n]);
  });
});
