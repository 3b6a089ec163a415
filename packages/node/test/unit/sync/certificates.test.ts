import { EventEmitter } from "node:events";
import { type Certificate, decodeCertificateSsz, encodeCertificatesByRangeResponseSsz } from "@ocp/protocol";
import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { StreamContext } from "../../../src/checkers/types.js";
import { GossipAction, GossipActionError } from "../../../src/network/errors.js";
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
  const charged: string[] = [];
  let validated = 0;
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
      penalizeBadResponse: (peer: string) => charged.push(peer),
    },
    chain: {
      certificate: {
        // A certificate whose signature starts with 0xee fails verification.
        validate: async (bytes: Uint8Array) => {
          validated++;
          const cert = decodeCertificateSsz(bytes);
          if (cert.aggregateSignature[0] === 0xee)
            throw new GossipActionError(GossipAction.REJECT, "CERTIFICATE_ERROR_INVALID");
          return { slot: cert.observation.slot };
        },
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
    charged,
    get validated() {
      return validated;
    },
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

  describe("answers an honest peer never sends", () => {
    const stream = new Uint8Array(32);
    const forged = (slot: bigint): Certificate => ({
      ...certificate(stream, slot),
      aggregateSignature: new Uint8Array(96).fill(0xee),
    });
    const answer = (certs: Certificate[]) => Promise.resolve([encodeCertificatesByRangeResponseSsz(certs)]);

    it("a certificate that fails validation: its peer is charged once and the rest of its answer is not read", async () => {
      const s = setup(
        (peer) =>
          peer === "evil"
            ? answer(Array.from({ length: 64 }, () => forged(8n)))
            : answer([certificate(stream, 8n)]),
        true,
      );
      s.connect("evil", "a");
      expect(await s.sync.sync()).toBe(1);
      // One check of the forged answer (not 64), one of the honest one.
      expect(s.validated).toBe(2);
      expect(s.charged).toEqual(["evil"]);
      expect(s.accepted).toEqual([8n]);
    });

    it("a certificate outside the range asked for: charged, and not checked at all", async () => {
      const s = setup(() => answer([certificate(stream, 3n), forged(8n)]));
      s.connect("evil");
      expect(await s.sync.sync()).toBe(0);
      expect(s.validated).toBe(0);
      expect(s.charged).toEqual(["evil"]);
    });

    it("bytes that do not decode: charged", async () => {
      const s = setup(() => Promise.resolve([Uint8Array.of(1, 2, 3)]));
      s.connect("evil");
      expect(await s.sync.sync()).toBe(0);
      expect(s.charged).toEqual(["evil"]);
    });

    it("an IGNOREd certificate is no fault: nobody is charged and the answer is read on", async () => {
      let calls = 0;
      const s = setup(() => answer([certificate(stream, 8n), certificate(stream, 8n)]), true);
      const inner = s.sync as unknown as { m: { chain: { certificate: { validate: unknown } } } };
      const validate = inner.m.chain.certificate.validate as (b: Uint8Array) => Promise<unknown>;
      inner.m.chain.certificate.validate = async (b: Uint8Array) => {
        if (calls++ === 0) throw new GossipActionError(GossipAction.IGNORE, "CERTIFICATE_ERROR_NOT_BETTER");
        return validate(b);
      };
      s.connect("a");
      expect(await s.sync.sync()).toBe(1);
      expect(s.charged).toEqual([]);
    });
  });

  it("asks peers drawn at random, not always the first ones connected", async () => {
    const s = setup(() => Promise.resolve([]));
    const peers = Array.from({ length: 10 }, (_, i) => `p${i}`);
    s.connect(...peers);
    for (let round = 0; round < 20; round++) await s.sync.sync();
    // 3 per round; the first three alone would be 3 distinct peers.
    expect(s.asked).toHaveLength(60);
    expect(new Set(s.asked).size).toBeGreaterThan(6);
  });
});
