import { OcpAnchor } from "@ocp/contracts";
import { type Certificate, VerifierSetRegistry } from "@ocp/protocol";
import { pino } from "pino";
import { encodeAbiParameters, encodeEventTopics, type Hex, type Log } from "viem";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AnchorService,
  anchorTiming,
  type BlockTimestamps,
  measureBlockTimeMs,
  outcomeFromReceipt,
} from "../../../src/anchor/service.js";
import { certificate, stream } from "../db/fixtures.js";

const CONTRACT = "0x00000000000000000000000000000000000a0c4e" as Hex;
const OTHER = "0x00000000000000000000000000000000000b0b0b" as Hex;
const STREAM = `0x${"11".repeat(32)}` as Hex;
const ROOT_A = `0x${"aa".repeat(32)}` as Hex;
const ROOT_B = `0x${"bb".repeat(32)}` as Hex;

function log(address: Hex, eventName: "Anchored" | "Conflicted", stream: Hex, slot: bigint): Log {
  const topics = encodeEventTopics({ abi: OcpAnchor.abi, eventName, args: { stream, slot } } as never);
  const data =
    eventName === "Anchored"
      ? encodeAbiParameters(
          [{ type: "bytes32" }, { type: "bytes32" }, { type: "uint256" }, { type: "bytes" }],
          [ROOT_A, ROOT_B, 3n, "0x07"],
        )
      : encodeAbiParameters([{ type: "bytes32" }, { type: "bytes32" }], [ROOT_A, ROOT_B]);
  return { address, topics, data } as unknown as Log;
}

describe("outcomeFromReceipt", () => {
  it("reads the outcome from the contract's logs for this (stream, slot)", () => {
    const ok = (logs: Log[]) => ({ status: "success" as const, logs });
    expect(outcomeFromReceipt(ok([log(CONTRACT, "Anchored", STREAM, 7n)]), CONTRACT, STREAM, 7n)).toBe(
      "anchored",
    );
    expect(outcomeFromReceipt(ok([log(CONTRACT, "Conflicted", STREAM, 7n)]), CONTRACT, STREAM, 7n)).toBe(
      "conflicted",
    );
    // A success with neither event: the same observation was anchored already.
    expect(outcomeFromReceipt(ok([]), CONTRACT, STREAM, 7n)).toBe("already-anchored");
    // Another slot's, or another contract's, events say nothing about this slot.
    expect(outcomeFromReceipt(ok([log(CONTRACT, "Anchored", STREAM, 8n)]), CONTRACT, STREAM, 7n)).toBe(
      "already-anchored",
    );
    expect(outcomeFromReceipt(ok([log(OTHER, "Anchored", STREAM, 7n)]), CONTRACT, STREAM, 7n)).toBe(
      "already-anchored",
    );
    expect(
      outcomeFromReceipt(
        { status: "reverted", logs: [log(CONTRACT, "Anchored", STREAM, 7n)] },
        CONTRACT,
        STREAM,
        7n,
      ),
    ).toBe("reverted");
  });
});

describe("anchorTiming", () => {
  it("derives the fallback delay (≥ 2 blocks) and the receipt wait (≥ 1 block) from the block time", () => {
    const slow = anchorTiming({}, 12_000);
    expect(slow.fallbackDelayMs).toBe(36_000);
    expect(slow.receiptTimeoutMs).toBe(24_000);
    expect(slow.warnings).toEqual([]);
    const fast = anchorTiming({}, 1000);
    expect(fast.fallbackDelayMs).toBe(4000);
    expect(fast.receiptTimeoutMs).toBe(6000);
    for (const bt of [1000, 2000, 5000, 12_000, 60_000]) {
      const t = anchorTiming({}, bt);
      expect(t.fallbackDelayMs).toBeGreaterThanOrEqual(2 * bt);
      expect(t.receiptTimeoutMs).toBeGreaterThanOrEqual(bt);
    }
  });

  it("keeps configured values and warns when they are below the floors", () => {
    const t = anchorTiming({ fallbackDelayMs: 4000, receiptTimeoutMs: 6000 }, 12_000);
    expect(t.fallbackDelayMs).toBe(4000);
    expect(t.receiptTimeoutMs).toBe(6000);
    expect(t.warnings).toHaveLength(2);
  });
});

describe("measureBlockTimeMs", () => {
  /** A chain whose block b has timestamp stamp(b), counting the blocks read. */
  function chain(stamp: (b: bigint) => bigint) {
    const c = {
      head: 0n,
      reads: 0,
      getBlockNumber: async () => c.head,
      getBlock: async ({ blockNumber }: { blockNumber: bigint }) => {
        c.reads++;
        return { timestamp: stamp(blockNumber) };
      },
    };
    return c;
  }
  const client = (c: ReturnType<typeof chain>) => c as unknown as Parameters<typeof measureBlockTimeMs>[0];

  it("takes the median gap of the last n blocks, in ms within [1 s, 60 s], none on a short chain", async () => {
    // Gaps of 12 s, one of 40 s: the median ignores it.
    const c = chain((b) => b * 12n + (b > 50n ? 28n : 0n));
    c.head = 1n;
    expect(await measureBlockTimeMs(client(c))).toBeUndefined();
    c.head = 60n;
    expect(await measureBlockTimeMs(client(c))).toBe(12_000);
    const fast = chain((b) => b / 3n);
    fast.head = 90n;
    expect(await measureBlockTimeMs(client(fast))).toBe(1000);
  });

  it("reads only the blocks it has not read before, and holds the window's blocks only", async () => {
    const c = chain((b) => b * (b < 100n ? 12n : 6n));
    const seen: BlockTimestamps = new Map();
    c.head = 90n;
    expect(await measureBlockTimeMs(client(c), 16, seen)).toBe(12_000);
    expect(c.reads).toBe(17);
    c.head = 93n;
    expect(await measureBlockTimeMs(client(c), 16, seen)).toBe(12_000);
    expect(c.reads).toBe(20);
    expect([...seen.keys()].sort((a, b) => Number(a - b))).toEqual(
      Array.from({ length: 17 }, (_, i) => 77n + BigInt(i)),
    );
    // The chain changes pace: once most of the window is past it, the median follows.
    c.head = 120n;
    expect(await measureBlockTimeMs(client(c), 16, seen)).toBe(6000);
    expect(c.reads).toBe(37);
    expect(seen.size).toBe(17);
    // Without a record every block is read again.
    c.reads = 0;
    expect(await measureBlockTimeMs(client(c), 16)).toBe(6000);
    expect(c.reads).toBe(17);
  });
});

describe("AnchorService queue timer", () => {
  // Each timer wakeup of an idle node costs CPU (the README's idle-CPU figures):
  // the queue arms one timer for its earliest waiting entry instead of polling.
  const build = (fallbackDelayMs = 4000) =>
    new AnchorService(
      {
        // Nothing listens there; `process` is replaced (record), so nothing is sent.
        rpcUrl: "http://127.0.0.1:9",
        chainId: 31337,
        contract: CONTRACT,
        index: 0,
        count: 2,
        blockTimeMs: 1000,
        fallbackDelayMs,
      },
      {
        privateKey: `0x${"01".repeat(32)}`,
        sets: new VerifierSetRegistry([]),
        logger: pino({ level: "silent" }),
      },
    );

  /**
   * Replaces the service's `process` (which would send a transaction) and
   * records [slot, time] of each run. The entry then leaves the queue, as
   * once anchored, or with `fail` the run throws and leaves it due (as if the
   * database refused to drop it).
   */
  const record = (s: AnchorService, fail = false): [bigint, number][] => {
    const ran: [bigint, number][] = [];
    const inner = s as unknown as {
      process: (e: { id: string; cert: Certificate }) => Promise<void>;
      queue: Map<string, unknown>;
    };
    inner.process = async (e) => {
      ran.push([e.cert.observation.slot, Date.now()]);
      if (fail) throw new Error("database closed");
      inner.queue.delete(e.id);
    };
    return ran;
  };

  afterEach(() => {
    vi.useRealTimers();
  });

  it("holds no timer but its reconcile interval while nothing waits, and runs an entry when it falls due", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const s = build();
    const ran = record(s);
    await s.start();
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(ran).toEqual([]);

    // Slot 1 is the other anchorer's (index 1 of 2): this one waits the fallback delay.
    s.onCertificate(certificate(stream(1), 1n));
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(2);
    await vi.advanceTimersByTimeAsync(3999);
    expect(ran).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(ran).toEqual([[1n, 1_014_000]]);
    expect(vi.getTimerCount()).toBe(1);

    // Its own slot runs at once; a later-due entry re-arms the timer for its own time.
    s.onCertificate(certificate(stream(1), 3n));
    s.onCertificate(certificate(stream(1), 2n));
    await vi.advanceTimersByTimeAsync(0);
    expect(ran).toEqual([
      [1n, 1_014_000],
      [2n, 1_014_000],
    ]);
    await vi.advanceTimersByTimeAsync(4000);
    expect(ran.at(-1)).toEqual([3n, 1_018_000]);
    expect(vi.getTimerCount()).toBe(1);
    await s.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("looks at the wall clock at least every 5 s while an entry waits, so a clock step cannot hold it longer", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const s = build(60_000);
    const ran = record(s);
    await s.start();
    s.onCertificate(certificate(stream(1), 1n));
    await vi.advanceTimersByTimeAsync(1000);
    // The wall clock steps 59 s ahead (an NTP correction): the entry is due
    // now, and runs when the timer armed at the start (5 s, not 60) fires.
    vi.setSystemTime(1_060_000);
    await vi.advanceTimersByTimeAsync(3999);
    expect(ran).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(ran).toEqual([[1n, 1_064_000]]);
    await s.stop();
  });

  it("waits a second after a drain that failed outright instead of retrying in a loop", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const s = build();
    const ran = record(s, true);
    await s.start();
    s.onCertificate(certificate(stream(1), 2n));
    await vi.advanceTimersByTimeAsync(0);
    expect(ran).toEqual([[2n, 1_000_000]]);
    await vi.advanceTimersByTimeAsync(999);
    expect(ran).toEqual([[2n, 1_000_000]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(ran).toEqual([
      [2n, 1_000_000],
      [2n, 1_001_000],
    ]);
    await s.stop();
  });
});
