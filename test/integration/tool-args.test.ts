// `npm run bench` and `npm run sim` given a bad argument say what is wrong,
// show how they are used and exit 2, before starting or writing anything.
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { describe, expect, it } from "vitest";

const run = (script: string, args: string[]) =>
  spawnSync(process.execPath, [script, ...args], { encoding: "utf8", timeout: 30_000 });

describe("benchmark and simulator arguments", () => {
  it("bench: an unknown area is refused and latest.json is left as it was", () => {
    const before = statSync("bench/results/latest.json").mtimeMs;
    const r = run("bench/run.js", ["node-latency", "no-such-area"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no such area or option: no-such-area");
    expect(r.stderr).toContain("areas: anchor-gas,");
    expect(statSync("bench/results/latest.json").mtimeMs).toBe(before);
    const help = run("bench/run.js", ["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("usage: npm run bench");
  });

  it("sim: an unknown option or scenario is refused with the usage", () => {
    const opt = run("sim/run.js", ["--hostz", "4"]);
    expect(opt.status).toBe(2);
    expect(opt.stderr).toContain("Unknown option '--hostz'");
    expect(opt.stderr).toContain("usage: npm run sim");
    expect(opt.stderr).not.toContain("    at ");
    const sc = run("sim/run.js", ["baseline", "nonesuch"]);
    expect(sc.status).toBe(2);
    expect(sc.stderr).toContain("unknown scenario nonesuch");
    const help = run("sim/run.js", ["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("scenarios: baseline,");
  });
});
