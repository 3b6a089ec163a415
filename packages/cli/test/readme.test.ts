// The README's configuration reference against the code: it is the table the
// config schema generates, its rows are exactly the members of the options
// interfaces (read from the sources), with the config file's documented
// substitutions, and its defaults are the runtime defaults.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  defaultAggregatorOptions,
  defaultAttestationPoolOptions,
  defaultBlsVerifierOptions,
  defaultCertificatePoolOptions,
  defaultCommitmentPoolOptions,
  defaultExecCheckerOptions,
  defaultGossipScoreThresholds,
  defaultNetworkOptions,
  defaultNodeOptions,
  defaultProofCheckerOptions,
  defaultRetentionOptions,
  defaultScoringOptions,
  defaultSeenCacheOptions,
  defaultValidationOptions,
  derivePeerScoreParams,
} from "@ocp/node";
import { defaultAnchorOptions } from "@ocp/node/anchor";
import { defaultApiOptions } from "@ocp/node/api";
import { describe, expect, it } from "vitest";
import { CONFIG_TABLE_END, CONFIG_TABLE_START, configTableMarkdown } from "../src/configDocs.js";

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
  // Direct children of `prefix` only.
  const section = (prefix: string): string[] =>
    sorted(
      [...rows.keys()]
        .filter((k) => k.startsWith(`${prefix}.`) && !k.slice(prefix.length + 1).includes("."))
        .map((k) => k.slice(prefix.length + 1)),
    );

  it("is the table the config schema generates (npm run docs:config)", () => {
    const start = readme.indexOf(CONFIG_TABLE_START);
    const end = readme.indexOf(CONFIG_TABLE_END);
    expect(start).toBeGreaterThan(0);
    expect(readme.slice(start + CONFIG_TABLE_START.length, end).trim()).toBe(configTableMarkdown());
  });

  it("lists the NodeOptions fields (plus the config file's keystores) at the top level", () => {
    const top = sorted([...rows.keys()].filter((k) => !k.includes(".") && !k.includes("[]")));
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
    const src = "packages/node/src";
    expect(section("network.gossip")).toEqual(sorted(members(`${src}/network/options.ts`, "GossipOptions")));
    expect(section("network.gossip.rpcLimits")).toEqual(
      sorted(members(`${src}/network/gossipRpc.ts`, "GossipRpcLimits")),
    );
    expect(section("network.reqResp")).toEqual(
      sorted(members(`${src}/network/options.ts`, "ReqRespOptions")),
    );
    expect(section("network.scoring")).toEqual(
      sorted(members(`${src}/network/scoring.ts`, "ScoringOptions")),
    );
    expect(section("retention")).toEqual(sorted(members(`${src}/db/retention.ts`, "RetentionOptions")));
    expect(section("setsFromAnchor")).toEqual(sorted(members(`${src}/options.ts`, "SetsFromAnchorOptions")));
    expect(section("chain")).toEqual(sorted(members(`${src}/chain/pipeline.ts`, "ChainPipelineOptions")));
    for (const [key, file, name] of [
      ["validation", "chain/validation/context.ts", "ValidationOptions"],
      ["blsVerifier", "chain/bls/verifier.ts", "BlsVerifierOptions"],
      ["aggregator", "chain/aggregation/aggregator.ts", "AggregatorOptions"],
      ["seen", "chain/pools/seenCache.ts", "SeenCacheOptions"],
      ["commitmentPool", "chain/pools/commitmentPool.ts", "CommitmentPoolOptions"],
      ["attestationPool", "chain/pools/attestationPool.ts", "AttestationPoolOptions"],
      ["certificatePool", "chain/pools/certificatePool.ts", "CertificatePoolOptions"],
    ] as const) {
      expect(section(`chain.${key}`), key).toEqual(sorted(members(`${src}/${file}`, name)));
    }
    expect(section("checkers")).toEqual(sorted(members(`${src}/checkers/index.ts`, "CheckersOptions")));
    expect(section("checkers.proof")).toEqual(
      sorted(members(`${src}/checkers/proof.ts`, "ProofCheckerOptions")),
    );
    expect(section("checkers.exec")).toEqual(
      sorted(members(`${src}/checkers/exec.ts`, "ExecCheckerOptions")),
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
      ["network.gossip", defaultNetworkOptions.gossip as unknown as Record<string, unknown>],
      [
        "network.gossip.rpcLimits",
        defaultNetworkOptions.gossip.rpcLimits as unknown as Record<string, unknown>,
      ],
      ["network.gossip.scoreThresholds", defaultGossipScoreThresholds as unknown as Record<string, unknown>],
      ["network.reqResp", defaultNetworkOptions.reqResp as unknown as Record<string, unknown>],
      ["network.scoring", defaultScoringOptions as unknown as Record<string, unknown>],
      ["retention", defaultRetentionOptions as unknown as Record<string, unknown>],
      ["chain.validation", defaultValidationOptions as unknown as Record<string, unknown>],
      ["chain.blsVerifier", defaultBlsVerifierOptions as unknown as Record<string, unknown>],
      ["chain.aggregator", defaultAggregatorOptions as unknown as Record<string, unknown>],
      ["chain.seen", defaultSeenCacheOptions as unknown as Record<string, unknown>],
      ["chain.commitmentPool", defaultCommitmentPoolOptions as unknown as Record<string, unknown>],
      ["chain.attestationPool", defaultAttestationPoolOptions as unknown as Record<string, unknown>],
      ["chain.certificatePool", defaultCertificatePoolOptions as unknown as Record<string, unknown>],
      ["checkers.proof", defaultProofCheckerOptions as unknown as Record<string, unknown>],
      ["checkers.exec", defaultExecCheckerOptions as unknown as Record<string, unknown>],
    ];
    let checked = 0;
    for (const [prefix, obj] of defaults) {
      for (const [k, v] of Object.entries(obj)) {
        const cell = rows.get(`${prefix}.${k}`);
        expect(cell, `${prefix}.${k} is documented`).toBeDefined();
        // Nested option groups are documented by reference, not value.
        if (typeof v === "object" && v !== null && !Array.isArray(v) && !cell!.startsWith("`")) continue;
        const m = /^`(.+)`$/.exec(cell!);
        expect(m, `${prefix}.${k} has a default in the README`).not.toBeNull();
        // The file gives wei amounts as decimal strings.
        const expected = JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? String(x) : x)));
        expect(JSON.parse(m![1]!), `${prefix}.${k}`).toEqual(expected);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it("gives gossipsub's derived score params where they are constants", () => {
    const params = derivePeerScoreParams(
      defaultScoringOptions,
      false,
      defaultGossipScoreThresholds.gossipThreshold,
    ) as unknown as Record<string, unknown>;
    let checked = 0;
    for (const k of section("network.gossip.scoreParams")) {
      const cell = rows.get(`network.gossip.scoreParams.${k}`)!;
      const m = /^`(.+)`$/.exec(cell);
      if (m === null) {
        expect(cell, k).toMatch(/^derived /);
        continue;
      }
      expect(JSON.parse(m[1]!), k).toEqual(params[k]);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(5);
  });

  it("keeps the two quickstart commands", () => {
    expect(readme).toContain("npm ci && npm run devnet");
    expect(readme).toContain("npm test");
    const pkg = JSON.parse(readFileSync(root("package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.devnet).toMatch(/devnet up$/);
  });
});
