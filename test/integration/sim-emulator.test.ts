// The simulator's link emulator measured from inside its host namespaces:
// UDP probes through the router's TUN forwarder see the configured round-trip
// time and loss rate (within 10 %), tbf caps a TCP transfer at the configured
// rate, and a partition's blackhole rules cut a path until it is healed.
// Needs root (namespaces, TUN, tc): CI runs as root, so a missing capability fails.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LinkEmulator } from "../../sim/harness/emulator.js";
import { checkPrerequisites, dataIp, SimNetwork, sweepStale } from "../../sim/harness/netns.js";

const PROBE = fileURLToPath(new URL("../../sim/harness/probe.js", import.meta.url));

interface Probe {
  child: ChildProcess;
  next(): Promise<Record<string, number | string | null>>;
}

function probe(ns: string, args: string[]): Probe {
  const child = spawn("ip", ["netns", "exec", ns, process.execPath, PROBE, ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const queue: Record<string, number>[] = [];
  const waiters: ((m: Record<string, number>) => void)[] = [];
  createInterface({ input: child.stdout! }).on("line", (l) => {
    const m = JSON.parse(l) as Record<string, number>;
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  return {
    child,
    next: () => {
      const m = queue.shift();
      return m ? Promise.resolve(m) : new Promise((r) => waiters.push(r));
    },
  };
}

/** Sends `count` UDP probes from host a to host b; returns the sender's and the sink's reports. */
async function measure(
  net: { hostNs(i: number): string },
  a: number,
  b: number,
  count: number,
  port: number,
) {
  const sink = probe(net.hostNs(b), ["sink", String(port)]);
  await sink.next();
  const send = await probe(net.hostNs(a), ["send", dataIp(b), String(port), String(count), "1"]).next();
  const done = sink.next();
  sink.child.stdin!.end();
  const got = await done;
  return { send, received: got.received as number };
}

const within = (measured: number, configured: number, tol = 0.1): void => {
  expect(Math.abs(measured - configured) / configured).toBeLessThanOrEqual(tol);
};

describe("sim link emulator", () => {
  let net: InstanceType<typeof SimNetwork>;
  let em: InstanceType<typeof LinkEmulator>;
  let dir: string;

  beforeAll(async () => {
    checkPrerequisites();
    sweepStale();
    dir = mkdtempSync(join(tmpdir(), "ocp-sim-emu-"));
    net = new SimNetwork(4);
    net.create();
    em = new LinkEmulator(net, dir, 7);
    await em.start({
      [dataIp(0)]: { delayMs: 30, jitterMs: 2, loss: 0.08 },
      [dataIp(1)]: { delayMs: 20, jitterMs: 2, loss: 0.02 },
      [dataIp(2)]: { delayMs: 0, jitterMs: 0, loss: 0 },
      [dataIp(3)]: { delayMs: 0, jitterMs: 0, loss: 0 },
    });
    em.applyBandwidth([undefined, undefined, undefined, 8]);
  });

  afterAll(async () => {
    await em?.stop();
    net?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("round-trip time and one-way loss match the configured links within 10 %", async () => {
    const n = 10_000;
    const { send, received } = await measure(net, 0, 1, n, 7001);
    // One way 0→1: host 0's uplink then host 1's downlink.
    const oneWayLoss = 1 - (1 - 0.08) * (1 - 0.02);
    within(1 - received / n, oneWayLoss);
    // An echo crosses the path both ways.
    within(1 - (send.echoed as number) / n, 1 - (1 - oneWayLoss) ** 2);
    // RTT: each access link twice; the median sits at the configured delay.
    within(send.rttP50 as number, 2 * (30 + 20));
    expect(send.rttMin as number).toBeGreaterThanOrEqual(2 * (30 + 20) - 4 * 2 - 1);
  });

  it("a token bucket caps a host's bandwidth at the configured rate", async () => {
    const sink = probe(net.hostNs(2), ["tsink", "7010"]);
    await sink.next();
    const bytes = 2_000_000;
    probe(net.hostNs(3), ["tsend", dataIp(2), "7010", String(bytes)]);
    const got = await sink.next();
    expect(got.bytes).toBe(bytes);
    const mbit = (bytes * 8) / ((got.ms as number) * 1000);
    // TCP fills a token bucket to just under its rate.
    expect(mbit).toBeLessThanOrEqual(8 * 1.05);
    expect(mbit).toBeGreaterThanOrEqual(8 * 0.85);
  });

  it("a blackhole partition cuts a path, and healing restores it", async () => {
    net.partition([0], [2]);
    const cut = await measure(net, 2, 0, 200, 7002);
    expect(cut.received).toBe(0);
    // Other paths are untouched.
    const other = await measure(net, 2, 1, 200, 7003);
    expect(other.received).toBeGreaterThan(150);
    net.heal();
    const healed = await measure(net, 2, 0, 200, 7004);
    expect(healed.received).toBeGreaterThan(150);
  });
});
