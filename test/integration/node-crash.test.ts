// Issue proof 3–4: a verifier SIGKILLed right after signing refuses a
// different root after restart and fetches the certificates it missed; with
// more than 1/3 of the weight offline no certificate forms, and it forms
// when they return.
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { getBls, observationRoot, toHex } from "@ocp/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { type Cluster, startCluster, waitFor } from "./helpers/cluster.js";

const CHILD = fileURLToPath(new URL("./helpers/node-child.mjs", import.meta.url));

function jsonWithBigints(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    typeof x === "bigint" ? `${x}n` : x instanceof Uint8Array ? toHex(x) : x,
  );
}

interface ChildNode {
  proc: ChildProcess;
  lines: Record<string, unknown>[];
}

function spawnNode(c: Cluster, i: number): Promise<ChildNode> {
  const cfgFile = join(c.dirs[i]!, "..", `ocp-child-${i}-${process.pid}.json`);
  const bls = getBls();
  writeFileSync(
    cfgFile,
    jsonWithBigints({
      options: c.nodeOptions(i),
      secretKeys: c.keys[i]!.map((k) => bls.secretKeyToBytes(k)),
    }),
  );
  const proc = spawn(process.execPath, [CHILD, cfgFile], { stdio: ["ignore", "pipe", "inherit"] });
  const child: ChildNode = { proc, lines: [] };
  createInterface({ input: proc.stdout! }).on("line", (l) => {
    try {
      child.lines.push(JSON.parse(l));
    } catch {
      // not ours
    }
  });
  return waitFor(
    () => (child.lines.some((l) => l.event === "started") ? child : undefined),
    30_000,
    "child start",
  );
}

describe("node: crash safety and partitions", () => {
  let c: Cluster;
  const rng = makeRng(9);

  beforeAll(async () => {
    c = await startCluster({ nodes: 4 });
  });
  afterAll(async () => {
    await c?.stop();
  });

  it("a verifier killed with SIGKILL after signing refuses another root and fetches missed certificates", async () => {
    // Node 3 runs in its own process.
    await c.nodes[3]!.stop();
    c.nodes[3] = undefined;
    const child = await spawnNode(c, 3);
    await waitFor(
      () => (c.nodes[0]!.network.getPeers().length >= 3 ? true : undefined),
      20_000,
      "child peered",
    );

    const { slot, observation } = await c.post([randomBatch(rng)], "direct");
    await c.commit(observation);
    await c.mine(1);
    const root = toHex(observationRoot(c.domain, observation));
    // Kill it the moment its signature is out.
    await waitFor(
      () =>
        child.lines.some((l) => l.event === "attestation" && l.slot === slot.toString() && l.index === 3)
          ? true
          : undefined,
      20_000,
      "child signature",
    );
    child.proc.kill("SIGKILL");
    await new Promise((r) => child.proc.once("exit", r));

    // While it is down, the other three certify two more slots.
    const missed: bigint[] = [];
    for (let k = 0; k < 2; k++) {
      const p = await c.post([randomBatch(rng)], "direct");
      await c.commit(p.observation);
      await c.mine(1);
      missed.push(p.slot);
      await waitFor(() => c.nodes[0]!.db.certificates.getBest(c.stream, p.slot), 20_000, "cert while down");
    }

    // Restart on the same data directory.
    const restarted = await c.startNode(3);
    const other = { ...observation, tableDigest: new Uint8Array(32).fill(1) };
    await expect(restarted.validators.signObservation(0, c.domain, other)).rejects.toMatchObject({
      code: "SLASHING_ERROR_DOUBLE_SIGN",
    });
    // Same root again is allowed (idempotent re-sign after a crash).
    await expect(restarted.validators.signObservation(0, c.domain, observation)).resolves.toBeInstanceOf(
      Uint8Array,
    );
    for (const s of [slot, ...missed]) {
      const cert = await waitFor(
        () => restarted.db.certificates.getBest(c.stream, s),
        30_000,
        `synced cert ${s}`,
      );
      if (s === slot) expect(toHex(observationRoot(cert.domain, cert.observation))).toBe(root);
    }
  });

  it("no certificate with more than 1/3 of the weight offline; it forms when they return", async () => {
    for (const n of c.nodes) if (!n) throw new Error("all nodes must be up");
    await c.nodes[2]!.stop();
    await c.nodes[3]!.stop();
    c.nodes[2] = undefined;
    c.nodes[3] = undefined;

    const { slot, observation } = await c.post([randomBatch(rng)], "orchestrator");
    await c.commit(observation);
    await c.mine(1);
    // The two live nodes sign, but 2 of 4 is not a quorum.
    await waitFor(
      async () => ((await c.nodes[0]!.db.attestations.bySlot(c.stream, slot)).length >= 2 ? true : undefined),
      20_000,
      "two votes",
    );
    await new Promise((r) => setTimeout(r, 3000));
    for (const i of [0, 1]) expect(await c.nodes[i]!.db.certificates.getBest(c.stream, slot)).toBeUndefined();

    await c.startNode(2);
    await c.startNode(3);
    await c.mine(1);
    const root = toHex(observationRoot(c.domain, observation));
    for (const node of c.nodes) {
      const cert = await waitFor(
        () => node!.db.certificates.getBest(c.stream, slot),
        30_000,
        "cert after return",
      );
      expect(toHex(observationRoot(cert.domain, cert.observation))).toBe(root);
    }
  });
});
