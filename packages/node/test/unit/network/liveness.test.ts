import { describe, expect, it } from "vitest";
import {
  LinkActivity,
  type LivenessLink,
  LivenessMonitor,
  type LivenessResult,
} from "../../../src/network/liveness.js";

const INTERVAL = 30_000;
const TIMEOUT = 15_000;

/** A fake connection: its ping resolves, rejects, waits for the signal, or never settles. */
class FakeLink implements LivenessLink {
  pings = 0;
  aborted: Error | undefined;
  constructor(
    readonly key: string,
    public answer: "echo" | "silent" | "garbled" | "stuck" = "echo",
    private readonly onPing?: () => void,
  ) {}
  ping(signal: AbortSignal): Promise<void> {
    this.pings++;
    this.onPing?.();
    if (this.answer === "echo") return Promise.resolve();
    if (this.answer === "garbled") return Promise.reject(new Error("ping: the echo differs"));
    if (this.answer === "stuck") return new Promise(() => undefined);
    return new Promise((_, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
  }
  abort(err: Error): void {
    this.aborted = err;
  }
}

function setup(links: FakeLink[]) {
  let t = 1_000_000;
  const activity = new LinkActivity(() => t);
  const results: LivenessResult[] = [];
  // Timeouts fire when the test says so, not on the wall clock.
  const timeouts: AbortController[] = [];
  const monitor = new LivenessMonitor(
    { intervalMs: INTERVAL, timeoutMs: TIMEOUT },
    {
      links: () => links,
      activity,
      onResult: (r) => results.push(r),
      timeoutSignal: () => {
        const c = new AbortController();
        timeouts.push(c);
        return c.signal;
      },
    },
  );
  return {
    activity,
    monitor,
    results,
    advance: (ms: number) => {
      t += ms;
    },
    fireTimeouts: () => {
      for (const c of timeouts.splice(0)) c.abort(new Error("ping timed out"));
    },
  };
}

describe("liveness monitor", () => {
  it("pings a connection nothing arrived on for an interval, and skips one that is busy", async () => {
    const busy = new FakeLink("/ip4/10.0.0.1/tcp/1");
    const quiet = new FakeLink("/ip4/10.0.0.2/tcp/1");
    const s = setup([busy, quiet]);
    s.activity.touch(busy.key);
    s.activity.touch(quiet.key);
    s.advance(INTERVAL / 2);
    s.activity.touch(busy.key); // gossip keeps arriving on the busy link
    s.advance(INTERVAL / 2);
    await s.monitor.check();
    expect([busy.pings, quiet.pings]).toEqual([0, 1]);
    expect(s.results.sort()).toEqual(["ok", "skipped"]);
    // Busy for a whole run: never pinged.
    for (let i = 0; i < 10; i++) {
      s.advance(INTERVAL / 2);
      s.activity.touch(busy.key);
      await s.monitor.check();
    }
    expect(busy.pings).toBe(0);
    expect(busy.aborted).toBeUndefined();
  });

  it("a connection with no record (never secured through the recorder) is pinged", async () => {
    const link = new FakeLink("/ip4/10.0.0.3/tcp/1");
    const s = setup([link]);
    await s.monitor.check();
    expect(link.pings).toBe(1);
    expect(s.results).toEqual(["ok"]);
  });

  it("closes a connection whose ping times out or comes back wrong, and counts it failed", async () => {
    const silent = new FakeLink("/ip4/10.0.0.4/tcp/1", "silent");
    const garbled = new FakeLink("/ip4/10.0.0.5/tcp/1", "garbled");
    const s = setup([silent, garbled]);
    const round = s.monitor.check();
    // While the silent ping waits, a second look does not ping that connection again.
    await s.monitor.check();
    expect(silent.pings).toBe(1);
    expect(silent.aborted).toBeUndefined();
    s.fireTimeouts();
    await round;
    expect(silent.aborted?.message).toBe("ping timed out");
    expect(garbled.aborted?.message).toBe("ping: the echo differs");
    expect(s.results.filter((r) => r === "failed")).toHaveLength(2);
  });

  it("fails a ping at its timeout even when the ping itself never ends", async () => {
    // A ping caught in a part of the stream setup that does not heed its signal
    // must not leave the link unchecked for good (a frozen peer kept forever).
    const stuck = new FakeLink("/ip4/10.0.0.7/tcp/1", "stuck");
    const s = setup([stuck]);
    const round = s.monitor.check();
    s.fireTimeouts();
    await round;
    expect(stuck.aborted?.message).toBe("ping timed out");
    expect(s.results).toEqual(["failed"]);
    // The link is not left marked as being pinged: the next look pings it again.
    const next = s.monitor.check();
    expect(stuck.pings).toBe(2);
    s.fireTimeouts();
    await next;
    expect(s.results).toEqual(["failed", "failed"]);
  });

  it("a stopped monitor ends its pings without closing connections or counting failures", async () => {
    const silent = new FakeLink("/ip4/10.0.0.6/tcp/1", "silent");
    const s = setup([silent]);
    const round = s.monitor.check();
    s.monitor.stop();
    await round;
    expect(silent.aborted).toBeUndefined();
    expect(s.results).toEqual([]);
  });

  it("two ends of a quiet link: one ping per link, not one from each end", async () => {
    // The ping is inbound traffic at the other end (and its echo at this one),
    // so whichever end looks first pings and the other finds the link busy.
    let aSide!: ReturnType<typeof setup>;
    let bSide!: ReturnType<typeof setup>;
    const aToB = new FakeLink("b", "echo", () => {
      bSide.activity.touch("a");
      aSide.activity.touch("b");
    });
    const bToA = new FakeLink("a", "echo", () => {
      aSide.activity.touch("b");
      bSide.activity.touch("a");
    });
    aSide = setup([aToB]);
    bSide = setup([bToA]);
    aSide.activity.touch("b");
    bSide.activity.touch("a");
    // A looks a quarter interval before B, both every half interval (the monitor's own period), for 20 intervals.
    for (let k = 0; k < 40; k++) {
      aSide.advance(INTERVAL / 4);
      bSide.advance(INTERVAL / 4);
      await aSide.monitor.check();
      aSide.advance(INTERVAL / 4);
      bSide.advance(INTERVAL / 4);
      await bSide.monitor.check();
    }
    const pings = aToB.pings + bToA.pings;
    // Both ends pinging every interval would be 40; quiet for a whole interval takes 1–1.5 of them.
    expect(pings).toBeGreaterThanOrEqual(13);
    expect(pings).toBeLessThanOrEqual(20);
  });

  it("forgets a closed connection's record", () => {
    let t = 0;
    const activity = new LinkActivity(() => t);
    activity.touch("x");
    t = 10;
    expect(activity.heardWithin("x", 11)).toBe(true);
    expect(activity.heardWithin("x", 10)).toBe(false);
    activity.forget("x");
    expect(activity.size).toBe(0);
    expect(activity.heardWithin("x", 1_000)).toBe(false);
  });
});
