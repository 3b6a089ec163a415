// Nodes without set files learn the verifier set from OcpAnchor and certify.
import { buildVerifierSet, observationRoot, toHex, verifyCertificate } from "@ocp/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { type Cluster, startCluster, waitFor } from "./helpers/cluster.js";

describe("verifier sets from the anchor contract", () => {
  let c: Cluster;
  const rng = makeRng(11);

  beforeAll(async () => {
    c = await startCluster({
      nodes: 4,
      anchorers: [],
      setup: async ({ rpcUrl }) => ({ verifierSets: [], setsFromAnchor: { rpcUrl } }),
    });
  });
  afterAll(async () => {
    await c?.stop();
  });

  it("loads the registered set at start and certifies with it", async () => {
    const expected = buildVerifierSet(c.set);
    for (const node of c.nodes) {
      expect(node!.sets.size).toBe(1);
      expect(node!.sets.values()[0]!.setIdHex).toBe(expected.setIdHex);
    }
    const { slot, observation } = await c.post([randomBatch(rng)], "direct");
    await c.commit(observation);
    await c.mine(1);
    const root = toHex(observationRoot(c.domain, observation));
    for (const node of c.nodes) {
      const cert = await waitFor(() => node!.db.certificates.getBest(c.stream, slot), 20_000, "certificate");
      expect(toHex(observationRoot(cert.domain, cert.observation))).toBe(root);
      expect(verifyCertificate(cert, [expected]).ok).toBe(true);
    }
  });
});
