// The shipped monitoring kit (deploy/prometheus, deploy/grafana) against a
// running anchoring network's /metrics: every metric and label the alert rules
// and the dashboard query must be exposed, so renaming one fails here.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { checkExpr, type Exposition, grafanaExprs, parseExposition, ruleExprs } from "../utils/promDrift.js";
import { type Cluster, startCluster, waitFor } from "./helpers/cluster.js";

const root = new URL("../../", import.meta.url);
const rules = readFileSync(new URL("deploy/prometheus/ocp-alerts.yml", root), "utf8");
const dashboard = JSON.parse(readFileSync(new URL("deploy/grafana/ocp-node.json", root), "utf8"));

describe("monitoring kit matches /metrics", () => {
  let c: Cluster;
  let exposition: Exposition;

  beforeAll(async () => {
    c = await startCluster({ nodes: 2, anchorers: [0], node: { api: {} } });
    await waitFor(() => (c.nodes[0]!.network.getPeers().length >= 1 ? true : undefined), 20_000, "peers");
    const { slot, observation } = await c.post([randomBatch(makeRng(3), { maxEntries: 2 })], "direct");
    await c.mine(1);
    await c.commit(observation);
    const url = c.nodes[0]!.api!.url!;
    // Anchored: every series the kit uses has samples by then.
    await waitFor(
      async () => {
        const r = await fetch(`${url}/v1/streams/eez/slots/${slot}`);
        return r.status === 200 &&
          ((await r.json()) as { anchor: { anchored: boolean } }).anchor.anchored === true
          ? true
          : undefined;
      },
      60_000,
      "anchored",
    );
    // The slot view can see the anchor on chain before the anchoring service
    // has read its own receipt; the transaction series has samples after that.
    const text = await waitFor(
      async () => {
        const t = await (await fetch(`${url}/metrics`)).text();
        return t.includes("ocp_anchor_transactions_total{") ? t : undefined;
      },
      30_000,
      "anchor receipt recorded",
    );
    exposition = parseExposition(text);
  });
  afterAll(async () => {
    await c?.stop();
  });

  it("finds the expressions to check", () => {
    expect(ruleExprs(rules).length).toBeGreaterThanOrEqual(9);
    expect(grafanaExprs(dashboard).length).toBeGreaterThanOrEqual(12);
  });

  it("alert rules use only exposed metrics and labels", () => {
    const problems = ruleExprs(rules).flatMap((e) => checkExpr(e, exposition).map((p) => `${e}: ${p}`));
    expect(problems).toEqual([]);
    // Names in annotations' queries too.
    for (const m of rules.matchAll(/\b(ocp_[a-z0-9_]+)/g)) expect(checkExpr(m[1]!, exposition)).toEqual([]);
  });

  it("the Grafana dashboard uses only exposed metrics and labels", () => {
    const problems = grafanaExprs(dashboard).flatMap((e) =>
      checkExpr(e, exposition).map((p) => `${e}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it("fails on a renamed metric or label", () => {
    const renamed = rules.replace("ocp_anchor_backlog", "ocp_anchoring_backlog");
    expect(ruleExprs(renamed).flatMap((e) => checkExpr(e, exposition))).toContain(
      "metric ocp_anchoring_backlog is not exposed",
    );
    expect(
      checkExpr('sum by (instance, verdikt) (ocp_slot_decisions_total{reason="x"})', exposition),
    ).toEqual(["label verdikt is on none of ocp_slot_decisions_total"]);
    expect(checkExpr('ocp_peers{dir="in"}', exposition)).toEqual(["label dir is not on ocp_peers"]);
  });
});
