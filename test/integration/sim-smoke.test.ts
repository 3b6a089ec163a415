// `npm run sim -- smoke` as CI runs it: 6 hosts in their own network namespaces,
// 5 slots over links with delay, jitter and 1 % loss. Every slot is certified
// and anchored, nobody double-signs, and nothing the run started outlives it —
// also when it is interrupted. Needs root: CI runs as root, and a machine that
// cannot create namespaces fails here rather than skipping.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const RUN = fileURLToPath(new URL("../../sim/run.js", import.meta.url));

function sim(args: string[], interruptOn?: RegExp) {
  return new Promise<{ code: number | null; out: string; err: string; pid: number }>((resolve, reject) => {
    const child = spawn(process.execPath, [RUN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let sent = false;
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
      if (interruptOn && !sent && interruptOn.test(err)) {
        sent = true;
        child.kill("SIGINT");
      }
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, out, err, pid: child.pid! }));
  });
}

/** What a run with harness pid `pid` could have left: namespaces, root links, processes. */
function leftovers(pid: number) {
  const ns = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;
  const links = spawnSync("ip", ["-o", "link", "show"], { encoding: "utf8" }).stdout;
  const ps = spawnSync("ps", ["-eo", "pid,args"], { encoding: "utf8" }).stdout;
  return {
    namespaces: ns.split("\n").filter((l) => l.startsWith(`ocp-sim-${pid}-`)),
    links: links.split("\n").filter((l) => new RegExp(`\\d+: os${pid}[bml]`).test(l)),
    // Nodes and the forwarder name the run's directory; anvil its address in the L1 namespace.
    processes: ps
      .split("\n")
      .filter(
        (l) =>
          l.includes("ocp-sim-smoke-") ||
          l.includes(`ocp-sim-${pid}-`) ||
          l.includes("--host 0.0.0.0 --port 8545"),
      ),
  };
}

describe("npm run sim -- smoke", () => {
  const out = mkdtempSync(join(tmpdir(), "ocp-sim-results-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("certifies and anchors every slot over lossy, delayed links, and leaves nothing behind", async () => {
    const r = await sim(["smoke", "--out", out, "--no-merge"]);
    expect(r.code, r.err.slice(-3000)).toBe(0);
    const fig = JSON.parse(readFileSync(join(out, "sim-smoke.json"), "utf8"));
    expect(fig.hosts).toBeGreaterThanOrEqual(6);
    expect(fig.slots_with_table).toBe(5);
    expect(fig.certified_share).toBe(1);
    expect(fig.anchored_share).toBe(1);
    expect(fig.double_signs).toBe(0);
    // Honest hosts: no REJECT, no IGNORE charged past a peer's allowance, nobody banned.
    expect(fig.gossip_rejects).toBe(0);
    expect(fig.gossip_ignores_charged).toBe(0);
    expect(fig.peers_banned).toBe(0);
    // The links really were lossy and slow: packets were dropped near the configured 1 %,
    // and certificates came well after the decidable block, but within the slot.
    expect(fig.emulator_loss_measured).toBeGreaterThan(0.002);
    expect(fig.emulator_loss_measured).toBeLessThan(0.03);
    expect(fig.cert_p50_slot_fraction).toBeGreaterThan(0);
    expect(fig.cert_p99_slot_fraction).toBeLessThan(1);
    expect(fig.bytes_per_node_per_slot).toBeGreaterThan(fig.unique_bytes_per_node_per_slot);
    // Each node's own messages come back from its mesh at least: never 0; a
    // 6-host mesh cannot bring each message more than once per peer on average.
    expect(fig.gossip_duplicates_per_message).toBeGreaterThan(0);
    expect(fig.gossip_duplicates_per_message).toBeLessThan(fig.hosts);
    expect(fig.idle_cpu_ms_per_s).toBeGreaterThan(0);
    // The smoke run has no steady window: both figures come from its one window.
    expect(fig.idle_cpu_ms_per_s_after_start).toBe(fig.idle_cpu_ms_per_s);
    // Every node's GC histogram was read at both ends of the idle window.
    expect(fig.idle_major_gcs_per_node).toBeGreaterThanOrEqual(0);
    expect(fig.idle_gc_pause_ms_per_s).toBeGreaterThanOrEqual(0);
    expect(fig.peak_rss_mb).toBeGreaterThan(50);
    expect(leftovers(r.pid)).toEqual({ namespaces: [], links: [], processes: [] });
  });

  it("Ctrl-C during a run stops every process and removes its namespaces, links and files", async () => {
    const runDirs = () => new Set(readdirSync(tmpdir()).filter((f) => f.startsWith("ocp-sim-smoke-")));
    const before = runDirs();
    const r = await sim(["smoke", "--out", out, "--no-merge"], /nodes started/);
    expect(r.code).toBe(130);
    expect(r.err).toMatch(/SIGINT: stopping/);
    expect(leftovers(r.pid)).toEqual({ namespaces: [], links: [], processes: [] });
    expect([...runDirs()].filter((d) => !before.has(d))).toEqual([]);
  });
});
