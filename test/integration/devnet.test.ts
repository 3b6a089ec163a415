// `ocp devnet up` end to end, through the built binary as a user runs it:
// every slot anchored with a quorum, its certificates verify with
// `ocp cert verify`, no process outlives the run; a byzantine builder leaves evidence.
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { alive } from "../utils/process.js";

const BIN = fileURLToPath(new URL("../../packages/cli/bin/ocp.js", import.meta.url));

interface Line {
  slot?: string;
  entries?: number;
  signers?: number;
  of?: number;
  certificateMs?: number | null;
  anchored?: boolean;
  tx?: string | null;
  gas?: string | null;
  evidence?: number;
  summary?: { slots: number; anchored: number; quorum: number; evidence: number; pids: number[] };
}

/**
 * Runs `ocp devnet up` to its end. `ctrlCAfterSlots`: once that many slot lines
 * are out, SIGINT goes to its whole process group, as a terminal's Ctrl-C does.
 */
function devnet(
  args: string[],
  ctrlCAfterSlots?: number,
): Promise<{ code: number | null; lines: Line[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "devnet", "up", ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      detached: ctrlCAfterSlots !== undefined,
    });
    let out = "";
    let err = "";
    let interrupted = false;
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      const slots = out.split("\n").filter((l) => l.startsWith('{"slot"')).length;
      if (ctrlCAfterSlots !== undefined && !interrupted && slots >= ctrlCAfterSlots) {
        interrupted = true;
        process.kill(-child.pid!, "SIGINT");
      }
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    const timer = setTimeout(() => child.kill("SIGINT"), 100_000);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      const lines = out
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as Line);
      resolve({ code, lines, stderr: err });
    });
  });
}

describe("ocp devnet up", () => {
  it("anchors every slot with a quorum; certificates verify; nothing left running", async () => {
    const out = await mkdtemp(join(tmpdir(), "ocp-devnet-test-"));
    try {
      const r = await devnet(["--nodes", "4", "--slots", "5", "--json", "--slot-time", "1s", "--out", out]);
      expect(r.code, r.stderr).toBe(0);
      const slots = r.lines.filter((l) => l.slot !== undefined);
      const summary = r.lines.at(-1)?.summary;
      expect(slots).toHaveLength(5);
      expect(summary).toBeDefined();
      expect(summary!.slots).toBe(5);
      expect(summary!.anchored).toBe(5);
      // 4 keys of weight 1, quorum 2/3 strictly: 3 signers at least.
      expect(summary!.quorum).toBe(3);
      for (const s of slots) {
        expect(s.anchored).toBe(true);
        expect(s.of).toBe(4);
        expect(s.signers).toBeGreaterThanOrEqual(3);
        expect(s.entries).toBeGreaterThanOrEqual(1);
        expect(s.entries).toBeLessThanOrEqual(50 * 2);
        expect(s.tx).toMatch(/^0x[0-9a-f]{64}$/);
        expect(BigInt(s.gas!)).toBeGreaterThan(21_000n);
        expect(s.certificateMs).toBeGreaterThan(0);
        expect(s.evidence).toBe(0);
      }
      // Slots are distinct and increasing.
      const nums = slots.map((s) => BigInt(s.slot!));
      for (let i = 1; i < nums.length; i++) expect(nums[i]! > nums[i - 1]!).toBe(true);

      const files = await readdir(out);
      expect(files).toContain("set.json");
      for (const s of slots) {
        const v = spawnSync(
          process.execPath,
          [BIN, "cert", "verify", "--cert", join(out, `cert-${s.slot}.json`), "--set", join(out, "set.json")],
          { encoding: "utf8" },
        );
        expect(v.status, v.stderr).toBe(0);
        expect(v.stdout.trim()).toBe("valid");
      }
      // anvil + 4 nodes, all gone.
      expect(summary!.pids).toHaveLength(5);
      for (const pid of summary!.pids) expect(alive(pid), `pid ${pid}`).toBe(false);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it("Ctrl-C to its process group stops the run: a summary, exit 0, nothing left running", async () => {
    const r = await devnet(["--nodes", "4", "--json", "--slot-time", "1s"], 2);
    expect(r.code, r.stderr).toBe(0);
    const summary = r.lines.at(-1)?.summary;
    expect(summary).toBeDefined();
    expect(summary!.slots).toBeGreaterThanOrEqual(2);
    expect(summary!.anchored).toBeGreaterThanOrEqual(2);
    expect(summary!.pids).toHaveLength(5);
    for (const pid of summary!.pids) expect(alive(pid), `pid ${pid}`).toBe(false);
  });

  it("a byzantine builder's second observation becomes evidence", async () => {
    const r = await devnet([
      "--nodes",
      "4",
      "--slots",
      "4",
      "--json",
      "--slot-time",
      "1s",
      "--byzantine-builder",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const summary = r.lines.at(-1)?.summary;
    expect(summary!.evidence).toBeGreaterThan(0);
    const withEvidence = r.lines.filter((l) => (l.evidence ?? 0) > 0);
    expect(withEvidence.length).toBeGreaterThan(0);
    for (const pid of summary!.pids) expect(alive(pid), `pid ${pid}`).toBe(false);
  });
});
