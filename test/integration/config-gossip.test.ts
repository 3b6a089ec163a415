// A node.json's gossip score thresholds (negative by design) reach gossipsub:
// the config loader's output starts a real Network on 127.0.0.1 whose
// gossipsub instance runs with exactly those thresholds.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadNodeConfig } from "../../packages/cli/src/config.js";
import { defaultGossipScoreThresholds, Network } from "../../packages/node/src/index.js";

const dir = mkdtempSync(join(tmpdir(), "ocp-config-gossip-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** gossipsub keeps its effective options on the service; the Network does not expose its libp2p node. */
interface WithGossipsub {
  host_: { libp2p: { services: { pubsub: { opts: { scoreThresholds: Record<string, number> } } } } };
}

describe("node.json gossip score thresholds", () => {
  it("are handed to gossipsub, negative values included", async () => {
    const scoreThresholds = { gossipThreshold: -250, publishThreshold: -500, graylistThreshold: -750 };
    const file = join(dir, "node.json");
    writeFileSync(
      file,
      JSON.stringify({
        dataDir: "db",
        network: {
          network: "cfg",
          listenAddrs: ["/ip4/127.0.0.1/tcp/0"],
          localNetwork: true,
          gossip: { scoreThresholds },
        },
        domain: { chainId: 31337, verifyingContract: `0x${"cc".repeat(20)}` },
        streams: [{ name: "eez", l1ChainId: 31337, tableContract: `0x${"ab".repeat(20)}` }],
        l1: { rpcUrls: ["http://127.0.0.1:8545"] },
      }),
    );
    const { options } = await loadNodeConfig(file);
    const network = new Network(options.network ?? {});
    await network.start();
    try {
      const gs = (network as unknown as WithGossipsub).host_.libp2p.services.pubsub;
      expect(gs.opts.scoreThresholds).toEqual({ ...defaultGossipScoreThresholds, ...scoreThresholds });
      expect(network.graylistThreshold).toBe(-750);
    } finally {
      await network.stop();
    }
  });
});
