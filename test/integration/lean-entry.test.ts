// A verifier process must not carry viem or fastify: importing the main
// "@ocp/node" entry, starting a node without anchor/API, and `ocp node start`
// load neither; a started node does not load Node's bundled fetch
// implementation (undici) either, which Node 24 loads for an ES import of
// node:http. Runs the BUILT packages in child processes whose every module
// resolution is logged by a loader hook; the subpath imports and a node with
// the API on show that the hook does see those packages when they are loaded.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const path = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const ROOT = path("../../");
const REGISTER = path("./helpers/resolve-log-register.mjs");
const CHILD = path("./helpers/lean-child.mjs");
const OCP_BIN = path("../../packages/cli/bin/ocp.js");

const logDir = mkdtempSync(join(tmpdir(), "ocp-resolve-log-"));
afterAll(() => rmSync(logDir, { recursive: true, force: true }));

interface Resolution {
  url: string;
  parent: string;
}

let runs = 0;
/** Runs `node --import <hook> ...args`; returns every module the child resolved. */
function resolutions(args: string[]): Resolution[] {
  const logFile = join(logDir, `${runs++}.log`);
  const r = spawnSync(process.execPath, ["--import", REGISTER, ...args], {
    cwd: ROOT,
    env: { ...process.env, OCP_RESOLVE_LOG: logFile },
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(r.status, `child failed: ${r.stderr}`).toBe(0);
  return readFileSync(logFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [url = "", parent = ""] = line.split(" ");
      return { url, parent };
    });
}

/** Each import of `pkg` from outside it, as "<importer> -> <url>"; empty if never loaded. */
function loaded(rs: Resolution[], pkg: string): string[] {
  const inPkg = (u: string): boolean => u.includes(`/node_modules/${pkg}/`);
  return rs.filter((r) => inPkg(r.url) && !inPkg(r.parent)).map((r) => `${r.parent} -> ${r.url}`);
}

const resolvedUrl = (rs: Resolution[], suffix: string): boolean => rs.some((r) => r.url.endsWith(suffix));

describe("lean @ocp/node entry", () => {
  it('import("@ocp/node") loads neither viem nor fastify', () => {
    const rs = resolutions([CHILD, "import", "@ocp/node"]);
    // The entry itself was resolved (the log is not just empty).
    expect(resolvedUrl(rs, "/packages/node/lib/index.js")).toBe(true);
    expect(loaded(rs, "viem")).toEqual([]);
    expect(loaded(rs, "fastify")).toEqual([]);
  });

  it("the hook sees viem in @ocp/node/anchor and fastify in @ocp/node/api", () => {
    expect(loaded(resolutions([CHILD, "import", "@ocp/node/anchor"]), "viem").length).toBeGreaterThan(0);
    expect(loaded(resolutions([CHILD, "import", "@ocp/node/api"]), "fastify").length).toBeGreaterThan(0);
  });

  it("a started node without anchor or API loads neither viem nor fastify", () => {
    const rs = resolutions([CHILD, "node"]);
    expect(resolvedUrl(rs, "/packages/node/lib/node.js")).toBe(true);
    expect(loaded(rs, "viem")).toEqual([]);
    expect(loaded(rs, "fastify")).toEqual([]);
  });

  it("a node with the API configured loads fastify when it starts", () => {
    const rs = resolutions([CHILD, "node-api"]);
    expect(loaded(rs, "fastify").length).toBeGreaterThan(0);
    expect(loaded(rs, "viem")).toEqual([]);
  });

  it("a started node does not load Node's bundled fetch (undici)", () => {
    // On Node 24 `import * as http from "node:http"` evaluates every export of
    // the module, WebSocket and MessageEvent included, and they load undici:
    // about 13 MiB resident and 2.3 MB of heap in a bare process (docs/spec.md §9.12).
    // Node 20 does not, so there this holds either way.
    const r = spawnSync(process.execPath, [CHILD, "node"], {
      cwd: ROOT,
      env: { ...process.env, OCP_PRINT_BUILTINS: "1" },
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.status, `child failed: ${r.stderr}`).toBe(0);
    const line = r.stdout.split("\n").find((l) => l.startsWith("builtins "));
    const builtins: string[] = JSON.parse(line?.slice("builtins ".length) ?? "[]");
    // The node did read L1 over node:http (the list is not empty or partial).
    expect(builtins).toContain("_http_client");
    expect(builtins.filter((m) => m.includes("undici"))).toEqual([]);
  });

  it("`ocp node start` loads neither viem nor fastify", () => {
    const rs = resolutions([OCP_BIN, "node", "start", "--help"]);
    expect(resolvedUrl(rs, "/packages/cli/lib/commands/node.js")).toBe(true);
    expect(loaded(rs, "viem")).toEqual([]);
    expect(loaded(rs, "fastify")).toEqual([]);
    // The full command tree does load viem (anchor, builder, cert, table, devnet).
    expect(loaded(resolutions([OCP_BIN, "--help"]), "viem").length).toBeGreaterThan(0);
  });
});
