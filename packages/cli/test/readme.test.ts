// The README's configuration reference against the code: its rows are exactly
// the members of the options interfaces (read from the sources), with the
// config file's documented substitutions, and its defaults are the runtime defaults.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defaultNetworkOptions, defaultNodeOptions } from "@ocp/node";
import { defaultAnchorOptions } from "@ocp/node/anchor";
import { defaultApiOptions } from "@ocp/node/api";
import { describe, expect, it } from "vitest";

const root = (p: string): string => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const readme = readFileSync(root("README.md"), "utf8");

/** `field` → default cell of the "Configuration reference" table. */
function configTable(): Map<string, string> {
  const start = readme.indexOf("## Configuration reference");
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf("\n## ", start + 1);
  const rows = new Map<string, string>();
  for (const line of readme.slice(start, end).split("\n")) {
    const m = /^\| `([^`]+)` \| ([^|]*) \|/.exec(line);
    if (!m) continue;
    expect(rows.has(m[1]!), `duplicate row ${m[1]}`).toBe(false);
    rows.set(m[1]!, m[2]!.trim());
  }
  return rows;
}

/** Member names of `export interface <name> {…}` in a source file (top level of the body). */
function members(file: string, name: string): string[] {
  const src = readFileSync(root(file), "utf8");
  const start = src.indexOf(`export interface ${name} {`);
  expect(start, `${name} in ${file}`).toBeGreaterThanOrEqual(0);
  const out: string[] = [];
  for (const line of src.slice(start).split("\n").slice(1)) {
    if (line.startsWith("}")) break;
    const m = /^ {2}(\w+)\??:/.exec(line);
    if (m) out.push(m[1]!);
  }
  expect(out.length).toBeGreaterThan(0);
  return out;
}

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

describe("README configuration reference", () => {
  const rows = configTable();
  const section = (prefix: string): string[] =>
    sorted([...rows.keys()].filter((k) => k.startsWith(`${prefix}.`)).map((k) => k.slice(prefix.length + 1)));

  it("lists the NodeOptions fields (plus the config file's keystores) at the top level", () => {
    const top = sorted([...rows.keys()].filter((k) => !k.includes(".")));
    expect(top).toEqual(sorted([...members("packages/node/src/options.ts", "NodeOptions"), "keystores"]));
  });

  it("lists exactly the members of each domain's options", () => {
    expect(section("l1")).toEqual(sorted(members("packages/node/src/options.ts", "L1Options")));
    expect(section("proposal")).toEqual(sorted(members("packages/node/src/options.ts", "ProposalOptions")));
    expect(section("sync")).toEqual(sorted(members("packages/node/src/options.ts", "SyncOptions")));
    expect(section("readiness")).toEqual(sorted(members("packages/node/src/options.ts", "ReadinessOptions")));
    expect(section("doppelganger")).toEqual(
      sorted(members("packages/node/src/signer/doppelganger.ts", "DoppelgangerOptions")),
    );
    expect(section("network")).toEqual(
      sorted(members("packages/node/src/network/options.ts", "NetworkOptions")),
    );
    // The file names a token file instead of the token.
    expect(section("api")).toEqual(
      sorted(
        members("packages/node/src/api/server.ts", "ApiOptions").map((k) =>
          k === "bearerToken" ? "bearerTokenFile" : k,
        ),
      ),
    );
    // chainId and contract come from `domain`; the account comes from a V3 keystore.
    expect(section("anchor")).toEqual(
      sorted([
        ...members("packages/node/src/anchor/service.ts", "AnchorOptions").filter(
          (k) => k !== "chainId" && k !== "contract",
        ),
        "keystore",
        "passwordFile",
      ]),
    );
  });

  it("gives the runtime defaults", () => {
    const defaults: [string, Record<string, unknown>][] = [
      ["l1", defaultNodeOptions.l1],
      ["proposal", defaultNodeOptions.proposal],
      ["sync", defaultNodeOptions.sync],
      ["readiness", defaultNodeOptions.readiness],
      ["doppelganger", defaultNodeOptions.doppelganger],
      ["api", defaultApiOptions as unknown as Record<string, unknown>],
      ["anchor", defaultAnchorOptions],
      ["network", defaultNetworkOptions as unknown as Record<string, unknown>],
    ];
    let checked = 0;
    for (const [prefix, obj] of defaults) {
      for (const [k, v] of Object.entries(obj)) {
        const cell = rows.get(`${prefix}.${k}`);
        expect(cell, `${prefix}.${k} is documented`).toBeDefined();
        // Nested option groups are documented by reference, not value.
        if (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length > 1) continue;
        const m = /^`(.+)`$/.exec(cell!);
        expect(m, `${prefix}.${k} has a default in the README`).not.toBeNull();
        const expected = JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? Number(x) : x)));
        expect(JSON.parse(m![1]!), `${prefix}.${k}`).toEqual(expected);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it("keeps the two quickstart commands", () => {
    expect(readme).toContain("npm ci && npm run devnet");
    expect(readme).toContain("npm test");
    const pkg = JSON.parse(readFileSync(root("package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.devnet).toMatch(/devnet up$/);
  });
});
