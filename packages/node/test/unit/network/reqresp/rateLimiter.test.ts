import { describe, expect, it } from "vitest";
import { PeerRateLimiter } from "../../../../src/network/reqresp/rateLimiter.js";

describe("PeerRateLimiter", () => {
  it("allows a burst, then the sustained rate", () => {
    let now = 0;
    const rl = new PeerRateLimiter(() => now);
    const limit = { perSecond: 2, burst: 3 };
    expect([1, 2, 3, 4].map(() => rl.tryTake("a", "p", limit))).toEqual([true, true, true, false]);
    now += 499; // 0.998 tokens
    expect(rl.tryTake("a", "p", limit)).toBe(false);
    now += 2; // ≥ 1 token
    expect(rl.tryTake("a", "p", limit)).toBe(true);
    expect(rl.tryTake("a", "p", limit)).toBe(false);
  });

  it("keeps peers and protocols apart", () => {
    const now = 0;
    const rl = new PeerRateLimiter(() => now);
    const limit = { perSecond: 1, burst: 1 };
    expect(rl.tryTake("a", "p", limit)).toBe(true);
    expect(rl.tryTake("a", "p", limit)).toBe(false);
    expect(rl.tryTake("b", "p", limit)).toBe(true);
    expect(rl.tryTake("a", "q", limit)).toBe(true);
  });

  it("never refills above the burst", () => {
    let now = 0;
    const rl = new PeerRateLimiter(() => now);
    const limit = { perSecond: 10, burst: 2 };
    rl.tryTake("a", "p", limit);
    now += 60_000;
    expect([1, 2, 3].map(() => rl.tryTake("a", "p", limit))).toEqual([true, true, false]);
  });

  it("prunes only refilled buckets", () => {
    let now = 0;
    const rl = new PeerRateLimiter(() => now);
    const limit = { perSecond: 1, burst: 2 };
    rl.tryTake("a", "p", limit);
    rl.tryTake("b", "p", limit);
    rl.tryTake("b", "p", limit);
    now += 1000; // a full again, b at 1 token
    rl.prune();
    expect(rl.size).toBe(1);
    // b's state survived the prune: one token left, not two.
    expect([1, 2].map(() => rl.tryTake("b", "p", limit))).toEqual([true, false]);
  });
});
