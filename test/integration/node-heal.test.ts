// Issue 14 proof 5: one node of four is frozen (SIGSTOP) for 20 s while the
// other three keep certifying; resumed (SIGCONT), it rejoins the mesh by
// itself and takes part in certifying again within 2 slots, without a restart.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { type ChildNode, killChild, spawnChildNode } from "./helpers/child.js";
import { type Cluster, startCluster, waitFor } from "./helpers/cluster.js";

describe("node: a frozen node rejoins", () => {
  let c: Cluster;
  let child: ChildNode | undefined;
  const rng = makeRng(14);

  beforeAll(async () => {
    c = await startCluster({ nodes: 4 });
  });
  afterAll(async () => {
    if (child) await killChild(child);
    await c?.stop();
  });

  const slot = async (): Promise<bigint> => {
    const p = await c.post([randomBatch(rng)], "direct");
    await c.commit(p.observation);
    await c.mine(1);
    return p.slot;
  };
  const childSigned = (s: bigint) =>
    child!.lines.some((l) => l.event === "attestation" && l.slot === s.toString() && l.index === 3);
  const childCertified = (s: bigint) =>
    child!.lines.some((l) => l.event === "certificate" && l.slot === s.toString());

  it("SIGSTOP for 20 s, SIGCONT: certifies again within 2 slots", async () => {
    await c.nodes[3]!.stop();
    c.nodes[3] = undefined;
    child = await spawnChildNode(c, 3);
    await waitFor(() => (c.nodes[0]!.network.getPeers().length >= 3 ? true : undefined), 20_000, "peered");
    const before = await slot();
    await waitFor(() => (childCertified(before) ? true : undefined), 20_000, "certificate before");

    child.proc.kill("SIGSTOP");
    const frozenAt = Date.now();
    // The three others are a quorum (3 of 4 ≥ 2/3): they keep certifying.
    const during: bigint[] = [];
    while (Date.now() - frozenAt < 20_000) {
      const s = await slot();
      during.push(s);
      await waitFor(
        () => c.nodes[0]!.db.certificates.getBest(c.stream, s),
        15_000,
        "certificate while frozen",
      );
      await new Promise((r) => setTimeout(r, 2000));
    }
    expect(during.length).toBeGreaterThanOrEqual(3);
    child.proc.kill("SIGCONT");

    // Two slots after it resumes; the second must be certified with it.
    await slot();
    await new Promise((r) => setTimeout(r, 2000));
    const second = await slot();
    // Its vote reached node 0 through the mesh, and a certificate reached it.
    await waitFor(
      async () =>
        (await c.nodes[0]!.db.attestations.bySlot(c.stream, second)).some((a) => a.verifierIndex === 3)
          ? true
          : undefined,
      20_000,
      "the resumed node's vote at node 0",
    );
    await waitFor(
      () => (childSigned(second) && childCertified(second) ? true : undefined),
      20_000,
      "certified",
    );
    // Node 0 stores it too. Its store writes in deferred batches, so the
    // resumed node can hold the certificate before node 0's write has landed.
    const cert = await waitFor(
      () => c.nodes[0]!.db.certificates.getBest(c.stream, second),
      20_000,
      "certificate stored at node 0",
    );
    expect(cert).toBeDefined();
    // Still the same process: it was never restarted.
    expect(child.proc.exitCode).toBeNull();
    expect(child.lines.filter((l) => l.event === "started")).toHaveLength(1);
  });
});
