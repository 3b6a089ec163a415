// One cluster node in its own process (helpers/node-child.mjs): for tests that
// kill, freeze or attack a node and must see it from outside.
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { getBls, toHex } from "@ocp/protocol";
import { type Cluster, waitFor } from "./cluster.js";

const CHILD = fileURLToPath(new URL("./node-child.mjs", import.meta.url));

function jsonWithBigints(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    typeof x === "bigint" ? `${x}n` : x instanceof Uint8Array ? toHex(x) : x,
  );
}

export interface ChildNode {
  proc: ChildProcess;
  /** Every JSON line the child printed (events: started, attestation, certificate). */
  lines: Record<string, unknown>[];
}

/** Starts node `i` of the cluster (its options, keys and data dir) in a child process. */
export function spawnChildNode(
  c: Cluster,
  i: number,
  extraArgs: string[] = [],
  overrides: Record<string, unknown> = {},
): Promise<ChildNode> {
  const cfgFile = join(c.dirs[i]!, "..", `ocp-child-${i}-${process.pid}.json`);
  const bls = getBls();
  writeFileSync(
    cfgFile,
    jsonWithBigints({
      options: { ...c.nodeOptions(i), ...overrides },
      secretKeys: c.keys[i]!.map((k) => bls.secretKeyToBytes(k)),
    }),
  );
  const proc = spawn(process.execPath, [...extraArgs, CHILD, cfgFile], {
    stdio: ["pipe", "pipe", "inherit"],
  });
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

/** Ends the child (continuing it first if it is stopped) and waits for its exit. */
export async function killChild(child: ChildNode): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  const exited = new Promise((r) => child.proc.once("exit", r));
  child.proc.kill("SIGCONT");
  child.proc.kill("SIGKILL");
  await exited;
}

export interface ChildStats {
  heapUsed: number;
  maxLoopDelayMs: number;
  peers: string[];
  connections: number;
  banned: number;
  /** Gossip held (docs/spec.md §5.3): the most held at once, for a slot or a set refresh, since start. */
  heldMax: number;
  /** How many were held for a slot not started yet, and for a set refresh, since start. */
  heldForSlotTotal: number;
  heldForSetsTotal: number;
}

/** Asks the child for its stats (see node-child.mjs). */
export async function childStats(child: ChildNode): Promise<ChildStats> {
  const seen = child.lines.length;
  child.proc.stdin!.write("stats\n");
  return (await waitFor(
    () => child.lines.slice(seen).find((l) => l.event === "stats"),
    10_000,
    "child stats",
  )) as unknown as ChildStats;
}
