// A crashed node finds its way back through the peers it saved while it ran.
// Node 3 (its own process) has node 0 as its only bootstrap peer; nodes 1 and
// 2 connect to it while it runs. It is killed with SIGKILL (nothing is saved
// at a stop that never comes) and node 0 leaves: its bootstrap list now
// points at nothing. Nodes 1 and 2 wait a minute before they redial a peer
// they lost, so within the test's bound only node 3's own dials, from the
// peer list it saved every half second while it ran, bring it back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { type ChildNode, childStats, killChild, spawnChildNode } from "./helpers/child.js";
import { type Cluster, startCluster, waitFor } from "./helpers/cluster.js";

describe("node: a crashed node rejoins through the peers it saved", () => {
  let c: Cluster;
  let child: ChildNode | undefined;
  const rng = makeRng(1415);

  beforeAll(async () => {
    c = await startCluster({
      nodes: 4,
      bootstrapOf: (i) => (i === 3 ? [0] : [0, 1, 2].filter((j) => j < i)),
      network: { staticPeerRedialMinMs: 60_000, knownPeersSaveIntervalMs: 500 },
    });
  });
  afterAll(async () => {
    if (child) await killChild(child);
    await c?.stop();
  });

  it("killed, its bootstrap peer gone: redials its saved peers at start and certifies with them", async () => {
    await c.nodes[3]!.stop();
    c.nodes[3] = undefined;
    // Node 0's address is kept in node 3's options after node 0 leaves.
    const network3 = c.nodeOptions(3).network;
    expect(network3?.bootstrapPeers).toHaveLength(1);
    child = await spawnChildNode(c, 3, [], { network: network3 });
    const addr = (child.lines.find((l) => l.event === "started")!.addrs as string[])[0]!;
    await c.nodes[1]!.network.dial(addr);
    await c.nodes[2]!.network.dial(addr);
    const id = (i: number) => c.nodes[i]!.network.peerId;
    const [id1, id2] = [id(1), id(2)];
    await waitFor(
      async () => ((await childStats(child!)).peers.length === 3 ? true : undefined),
      20_000,
      "node 3 connected to nodes 0, 1 and 2",
    );
    // A few save intervals.
    await new Promise((r) => setTimeout(r, 2000));

    child.proc.kill("SIGKILL");
    await new Promise((r) => child!.proc.once("exit", r));
    await c.nodes[0]!.stop();
    c.nodes[0] = undefined;

    child = await spawnChildNode(c, 3, [], { network: network3 });
    const stats = await waitFor(
      async () => {
        const s = await childStats(child!);
        return s.peers.includes(id1) && s.peers.includes(id2) ? s : undefined;
      },
      20_000,
      "restarted node 3 connected to nodes 1 and 2",
    );
    expect(stats.peers).toHaveLength(2);

    // Nodes 1, 2 and 3 hold 3 of 4 keys, a quorum: they certify without node 0.
    const p = await c.post([randomBatch(rng)], "direct");
    await c.commit(p.observation, 1);
    await c.mine(1);
    await waitFor(
      () =>
        child!.lines.some((l) => l.event === "certificate" && l.slot === p.slot.toString())
          ? true
          : undefined,
      30_000,
      "certificate at the restarted node",
    );
  });
});
