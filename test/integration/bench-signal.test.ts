// `npm run bench` stopped by a signal leaves no anvil behind: the bench exits
// through process.exit, whose hook kills every anvil it started.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { alive } from "../utils/process.js";
import { waitFor } from "./helpers/cluster.js";

/** Pids of the anvil processes whose parent is `ppid`. */
function anvilChildren(ppid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid …
      const m = /^\d+ \((.*)\) \S+ (\d+)/.exec(stat);
      if (m?.[1] === "anvil" && Number(m[2]) === ppid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe("bench harness", () => {
  it("SIGTERM during a bench area stops the anvil it started", async () => {
    const bench = spawn(process.execPath, ["bench/run.js", "anchor-gas"], { stdio: "ignore" });
    const exited = new Promise<number | null>((r) => bench.once("exit", (code) => r(code)));
    let anvil: number | undefined;
    try {
      [anvil] = await waitFor(
        () => {
          const pids = anvilChildren(bench.pid!);
          return pids.length > 0 ? pids : undefined;
        },
        20_000,
        "the bench's anvil",
      );
      bench.kill("SIGTERM");
      expect(await exited).toBe(130);
      await waitFor(() => !alive(anvil!) || undefined, 5_000, "anvil gone");
    } finally {
      if (bench.exitCode === null) bench.kill("SIGKILL");
      // Whatever the outcome, this test leaves no anvil running.
      if (anvil !== undefined && alive(anvil)) process.kill(anvil, "SIGKILL");
    }
  }, 40_000);
});
