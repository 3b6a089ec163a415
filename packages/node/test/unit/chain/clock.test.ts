import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  BeaconTimeClock,
  BlockNumberClock,
  createSlotClock,
  GOSSIP_CLOCK_DISPARITY_MS,
  isConfirmed,
  SlotWaiters,
} from "../../../src/chain/clock.js";

const GENESIS_S = 1_700_000_000;
const GENESIS_MS = GENESIS_S * 1000;

describe("BeaconTimeClock", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("derives slot, slot start and offset from wall time", () => {
    vi.setSystemTime(GENESIS_MS + 3 * 12_000 + 4_500);
    const clock = new BeaconTimeClock({ genesisTime: GENESIS_S, secondsPerSlot: 12 });
    expect(clock.currentSlot()).toBe(3n);
    expect(clock.slotStartMs(3n)).toBe(GENESIS_MS + 36_000);
    expect(clock.msIntoSlot()).toBe(4_500);
    expect(clock.msUntilNextSlot()).toBe(7_500);
  });

  it("has no slot before genesis", () => {
    vi.setSystemTime(GENESIS_MS - 1);
    const clock = new BeaconTimeClock({ genesisTime: GENESIS_S });
    expect(clock.currentSlot()).toBeNull();
    // Within the disparity slot 0 is already acceptable; a second earlier it is not.
    expect(clock.isFromFuture(0n)).toBe(false);
    vi.setSystemTime(GENESIS_MS - 1_000);
    expect(clock.isFromFuture(0n)).toBe(true);
    expect(clock.isTooOld(0n, 10)).toBe(false);
  });

  it("emits each slot at its start, in order, and stops", () => {
    vi.setSystemTime(GENESIS_MS - 2_000);
    const clock = new BeaconTimeClock({ genesisTime: GENESIS_S, secondsPerSlot: 2 });
    const seen: [bigint, number][] = [];
    clock.on("slot", (s) => seen.push([s, Date.now()]));
    clock.start();
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(2_000 + 3 * 2_000 + 100);
    expect(seen.map(([s]) => s)).toEqual([0n, 1n, 2n, 3n]);
    for (const [s, t] of seen) expect(t).toBe(GENESIS_MS + Number(s) * 2_000);
    clock.stop();
    vi.advanceTimersByTime(10_000);
    expect(seen.length).toBe(4);
  });

  it("catches up after the wall clock jumps (system sleep) without waiting for a long timer", () => {
    vi.setSystemTime(GENESIS_MS + 500);
    const clock = new BeaconTimeClock({ genesisTime: GENESIS_S, secondsPerSlot: 12 });
    const seen: bigint[] = [];
    clock.on("slot", (s) => seen.push(s));
    clock.start();
    expect(seen).toEqual([0n]);
    // Wall time moves 5 slots ahead while timers (monotonic) barely advance.
    vi.setSystemTime(GENESIS_MS + 5 * 12_000 + 700);
    vi.advanceTimersByTime(1_000);
    expect(seen).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
    clock.stop();
  });

  it("skips slots beyond maxCatchUpSlots after a long jump", () => {
    vi.setSystemTime(GENESIS_MS);
    const clock = new BeaconTimeClock({ genesisTime: GENESIS_S, secondsPerSlot: 1, maxCatchUpSlots: 3 });
    const seen: bigint[] = [];
    clock.on("slot", (s) => seen.push(s));
    clock.start();
    vi.setSystemTime(GENESIS_MS + 99_000 + 10); // +1 s of timer advance below
    vi.advanceTimersByTime(1_000);
    expect(seen).toEqual([0n, 98n, 99n, 100n]);
    clock.stop();
  });

  it("applies the 500 ms clock disparity to future and old slots", () => {
    const clock = new BeaconTimeClock({ genesisTime: GENESIS_S, secondsPerSlot: 12 });
    // 400 ms before slot 10 starts: slot 10 is within the disparity, 11 is not.
    vi.setSystemTime(GENESIS_MS + 10 * 12_000 - 400);
    expect(clock.currentSlot()).toBe(9n);
    expect(clock.isFromFuture(9n)).toBe(false);
    expect(clock.isFromFuture(10n)).toBe(false);
    expect(clock.isFromFuture(11n)).toBe(true);
    // 600 ms before: outside the disparity.
    vi.setSystemTime(GENESIS_MS + 10 * 12_000 - GOSSIP_CLOCK_DISPARITY_MS - 100);
    expect(clock.isFromFuture(10n)).toBe(true);
    // Just after slot 20 starts, slot 9 with retention 10 is still accepted (lenient by 500 ms)…
    vi.setSystemTime(GENESIS_MS + 20 * 12_000 + 100);
    expect(clock.isTooOld(9n, 10)).toBe(false);
    expect(clock.isTooOld(8n, 10)).toBe(true);
    // …and once the disparity has passed, slot 9 is too old.
    vi.setSystemTime(GENESIS_MS + 20 * 12_000 + 600);
    expect(clock.isTooOld(9n, 10)).toBe(true);
    expect(clock.isTooOld(10n, 10)).toBe(false);
  });

  it("uses an injected now()", () => {
    let t = GENESIS_MS + 7 * 4_000 + 1;
    const clock = createSlotClock(
      { mode: "beacon-time", genesisTime: GENESIS_S, secondsPerSlot: 4 },
      { now: () => t },
    );
    expect(clock.currentSlot()).toBe(7n);
    t += 4_000;
    expect(clock.currentSlot()).toBe(8n);
    expect(clock.msIntoSlot()).toBe(1);
  });
});

describe("BlockNumberClock", () => {
  it("emits every block number between heads, in order, with first-seen times", () => {
    let t = 1_000;
    const clock = new BlockNumberClock({ maxCatchUpSlots: 100 }, { now: () => t });
    const seen: bigint[] = [];
    clock.on("slot", (s) => {
      seen.push(s);
      expect(clock.currentSlot()).toBe(s);
    });
    expect(clock.currentSlot()).toBeNull();
    expect(clock.isFromFuture(1n)).toBe(true);
    clock.onHead(10n);
    expect(seen).toEqual([10n]);
    t = 2_000;
    clock.onHead(13n);
    expect(seen).toEqual([10n, 11n, 12n, 13n]);
    expect(clock.slotStartMs(10n)).toBe(1_000);
    expect(clock.slotStartMs(12n)).toBe(2_000);
    expect(clock.slotStartMs(14n)).toBeUndefined();
    t = 2_750;
    expect(clock.msIntoSlot()).toBe(750);
    // A lower or repeated head (reorg, lagging RPC) changes nothing.
    clock.onHead(12n);
    clock.onHead(13n);
    expect(seen).toEqual([10n, 11n, 12n, 13n]);
    expect(clock.currentSlot()).toBe(13n);
  });

  it("answers the gossip window checks relative to the head", () => {
    const clock = new BlockNumberClock({ futureSlotTolerance: 1 }, { now: () => 0 });
    clock.onHead(100n);
    expect(clock.isFromFuture(101n)).toBe(false);
    expect(clock.isFromFuture(102n)).toBe(true);
    expect(clock.isTooOld(90n, 10)).toBe(false);
    expect(clock.isTooOld(89n, 10)).toBe(true);
  });

  it("polls a head source, survives its errors, and stops polling", async () => {
    vi.useFakeTimers();
    try {
      const heads: (bigint | Error)[] = [5n, new Error("rpc down"), 7n, 7n, 9n];
      let calls = 0;
      const clock = new BlockNumberClock(
        { pollIntervalMs: 100 },
        {
          getHead: async () => {
            const h = heads[Math.min(calls++, heads.length - 1)]!;
            if (h instanceof Error) throw h;
            return h;
          },
        },
      );
      const seen: bigint[] = [];
      clock.on("slot", (s) => seen.push(s));
      await clock.start();
      expect(seen).toEqual([5n]);
      await vi.advanceTimersByTimeAsync(100); // error
      await vi.advanceTimersByTimeAsync(100); // 7
      expect(seen).toEqual([5n, 6n, 7n]);
      await vi.advanceTimersByTimeAsync(200); // 7, 9
      expect(seen).toEqual([5n, 6n, 7n, 8n, 9n]);
      clock.stop();
      const before = calls;
      await vi.advanceTimersByTimeAsync(1_000);
      expect(calls).toBe(before);
    } finally {
      vi.useRealTimers();
    }
  });

  it("takes pushed heads from a head stream and polls slowly only while it is live", async () => {
    vi.useFakeTimers();
    try {
      let push: ((h: { number: bigint; hash: string; parentHash: string }) => void) | undefined;
      let setLive: ((live: boolean) => void) | undefined;
      const stream = {
        live: false,
        stopped: false,
        start(onHead: typeof push, onLive: typeof setLive) {
          push = onHead;
          setLive = (l) => {
            stream.live = l;
            onLive!(l);
          };
        },
        stop() {
          stream.stopped = true;
        },
      };
      let polls = 0;
      const clock = new BlockNumberClock(
        { pollIntervalMs: 100, subscribedPollIntervalMs: 5_000 },
        { getHead: async () => BigInt(++polls), headStream: stream },
      );
      const seen: (bigint | string)[] = [];
      clock.on("slot", (s) => seen.push(s));
      clock.on("header", (h) => seen.push(`header ${h.number}`));
      await clock.start();
      expect(polls).toBe(1);
      setLive!(true);
      push!({ number: 3n, hash: "0x", parentHash: "0x" });
      // The pushed header is announced before the slots it starts.
      expect(seen).toEqual([1n, "header 3", 2n, 3n]);
      // The poll already scheduled runs once, then the live stream slows it down.
      await vi.advanceTimersByTimeAsync(100);
      expect(polls).toBe(2);
      await vi.advanceTimersByTimeAsync(4_000);
      expect(polls).toBe(2);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(polls).toBe(3);
      // Down: polled at once, then at the normal interval.
      setLive!(false);
      await vi.advanceTimersByTimeAsync(0);
      expect(polls).toBe(4);
      await vi.advanceTimersByTimeAsync(100);
      expect(polls).toBe(5);
      clock.stop();
      expect(stream.stopped).toBe(true);
      push!({ number: 50n, hash: "0x", parentHash: "0x" });
      expect(clock.currentSlot()).toBe(5n);
    } finally {
      vi.useRealTimers();
    }
  });

  it("caps a huge head jump at maxCatchUpSlots", () => {
    const clock = new BlockNumberClock({ maxCatchUpSlots: 2 }, { now: () => 0 });
    const seen: bigint[] = [];
    clock.on("slot", (s) => seen.push(s));
    clock.onHead(1n);
    clock.onHead(1_000n);
    expect(seen).toEqual([1n, 999n, 1_000n]);
  });
});

describe("isConfirmed", () => {
  it("needs `depth` blocks on top of the slot's block", () => {
    expect(isConfirmed(10n, 10n, 0)).toBe(true);
    expect(isConfirmed(10n, 11n, 2)).toBe(false);
    expect(isConfirmed(10n, 12n, 2)).toBe(true);
    expect(isConfirmed(10n, 9n, 0)).toBe(false);
  });
});

describe("SlotWaiters", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("resolves at the slot tick of a beacon-time clock, refuses slots too far ahead, and times out", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(GENESIS_MS + 10 * 12_000 + 1_000);
    const clock = new BeaconTimeClock({ genesisTime: GENESIS_S, secondsPerSlot: 12 });
    clock.start();
    const waiters = new SlotWaiters(clock);
    let due: boolean | undefined;
    // Slot 10 is current: no wait at all.
    expect(await waiters.wait(10n, 2, 60_000)).toBe(true);
    // Slots 11 and 12 have not started; 13 is more than two slots past the current one.
    void waiters.wait(12n, 2, 60_000)!.then((v) => {
      due = v;
    });
    const late = waiters.wait(11n, 2, 5_000)!;
    expect(waiters.wait(13n, 2, 60_000)).toBeNull();
    expect(waiters.size).toBe(2);
    // Slot 11 starts 11 s from now, after its 5 s limit.
    await vi.advanceTimersByTimeAsync(6_000);
    expect(await late).toBe(false);
    // Slot 11 starts (t = 132 s); 12 has not (t = 138 s).
    await vi.advanceTimersByTimeAsync(11_000);
    expect(due).toBeUndefined();
    // The tick that starts slot 12 (t = 144 s) resolves its wait.
    await vi.advanceTimersByTimeAsync(5_000);
    expect(due).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(due).toBe(true);
    expect(waiters.size).toBe(0);
    clock.stop();
  });

  it("resolves what waits as not started when stopped, and no longer follows the clock", async () => {
    const clock = new BlockNumberClock({ futureSlotTolerance: 1 });
    clock.onHead(5n);
    const waiters = new SlotWaiters(clock);
    const w = waiters.wait(7n, 2, 60_000)!;
    waiters.stop();
    expect(await w).toBe(false);
    expect(clock.listenerCount("slot")).toBe(0);
  });
});
