// A benchmark network of OcpNode processes on loopback: anvil (automine) with
// the devnet ExecutionTable, a verifier set of nodes × keysPerNode keys, one
// node-runner.mjs process per node, fully dialed, and a builder that posts
// batches, signs commitments and publishes them through a node.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ExecutionTable } from "@ocp/contracts";
import { NODE_RUNTIME_ENV, NODE_RUNTIME_FLAGS } from "@ocp/node";
import { ANVIL_PRIVATE_KEYS, startAnvil } from "@ocp/node/devnet";
import {
  eezTableDigest,
  encodePostAndVerifyBatch,
  fromHex,
  getBls,
  SCHEMA_EEZ_V1,
  signCommitment,
  signedCommitmentToJson,
  streamId,
  toHex,
  verifierSetToJson,
} from "@ocp/protocol";
import { createTestClient, createWalletClient, http, publicActions } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";

const RUNNER = fileURLToPath(new URL("./node-runner.mjs", import.meta.url));
// OCP_BENCH_PAIRED=<another built checkout>: odd-numbered nodes run that
// checkout's node, even ones this one, in the same network and the same run.
// Machine speed drifts by ±10 % between runs here; within one run both halves
// see the same drift, so their CPU per slot compares as a ratio (before/after).
// OCP_BENCH_PAIRED_NODE_ARGS: node flags for the odd-numbered nodes only,
// after the others (V8 takes a flag's last value): with OCP_BENCH_PAIRED set
// to this checkout, it compares runtime flags the same way.
const PAIRED = process.env.OCP_BENCH_PAIRED;
const PAIRED_ARGS = process.env.OCP_BENCH_PAIRED_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
// OCP_BENCH_PAIRED_ENV: NAME=value pairs (space-separated) set for the odd-numbered nodes only.
const PAIRED_ENV = Object.fromEntries(
  (process.env.OCP_BENCH_PAIRED_ENV?.split(" ").filter(Boolean) ?? []).map((kv) => kv.split("=", 2)),
);
// OCP_BENCH_PAIRED_EXEC: a node binary for the odd-numbered nodes (compares runtimes).
const PAIRED_EXEC = process.env.OCP_BENCH_PAIRED_EXEC;
const isPaired = (i) => PAIRED !== undefined && i % 2 === 1;
const runnerFor = (i) => (isPaired(i) ? `${PAIRED?.replace(/\/$/, "")}/bench/lib/node-runner.mjs` : RUNNER);
// OCP_BENCH_GOSSIP: JSON gossip options (e.g. mesh degrees) for every node.
const GOSSIP = process.env.OCP_BENCH_GOSSIP ? JSON.parse(process.env.OCP_BENCH_GOSSIP) : undefined;
const ANCHOR_ADDRESS = "0x00000000000000000000000000000000000a0c4e";
const BUILDER_KEY = ANVIL_PRIVATE_KEYS[1];

/** Wall time in ms with sub-ms resolution, comparable with the children's `t`. */
export const now = () => performance.timeOrigin + performance.now();

class Child {
  constructor(index, proc) {
    this.index = index;
    this.proc = proc;
    this.lines = [];
    this.waiters = [];
    /** slot → {event → t} for the per-slot events. */
    this.slots = new Map();
    createInterface({ input: proc.stdout }).on("line", (l) => this.onLine(l));
    this.exited = new Promise((r) => proc.once("exit", r));
  }

  onLine(line) {
    let m;
    try {
      m = JSON.parse(line);
    } catch {
      return;
    }
    if (m.slot !== undefined) {
      const rec = this.slots.get(m.slot) ?? {};
      if (rec[m.event] === undefined) rec[m.event] = m;
      this.slots.set(m.slot, rec);
    } else this.lines.push(m);
    if (m.event === "error") process.stderr.write(`node ${this.index}: ${line}\n`);
    this.waiters = this.waiters.filter((w) => !w(m));
  }

  send(cmd) {
    this.proc.stdin.write(`${JSON.stringify(cmd)}\n`);
  }

  /** Resolves with the first message (from now on) that `pred` accepts. */
  next(pred, ms, what) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node ${this.index}: timed out waiting for ${what}`)), ms);
      this.waiters.push((m) => {
        if (!pred(m)) return false;
        clearTimeout(timer);
        resolve(m);
        return true;
      });
    });
  }

  async request(cmd, event, ms = 30_000) {
    const p = this.next((m) => m.event === event, ms, event);
    this.send(cmd);
    return p;
  }

  /** Peak resident set of the process so far (VmHWM), in MiB. */
  peakRssMb() {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.proc.pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  }
}

/**
 * Starts anvil, the table contract and `nodes` node processes with
 * `keysPerNode` verifier keys each; resolves once every node has a full mesh.
 * @param {{nodes: number, keysPerNode: number, pollIntervalMs?: number,
 *   node?: Record<string, unknown>, nodeArgs?: string[]}} opts
 */
export async function startProcessCluster({
  nodes,
  keysPerNode,
  pollIntervalMs = 50,
  node: overrides = {},
  nodeArgs = [],
}) {
  const bls = getBls();
  const anvil = await startAnvil();
  const dirs = [];
  // Also when the bench exits early (a signal: bench/run.js): its nodes end as their stdin closes.
  const removeDirs = () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  process.once("exit", removeDirs);
  const children = [];
  const stop = async () => {
    await Promise.all(
      children.map(async (c) => {
        if (c.proc.exitCode === null && c.proc.signalCode === null) {
          c.send({ cmd: "stop" });
          const killer = setTimeout(() => c.proc.kill("SIGKILL"), 5000);
          await c.exited;
          clearTimeout(killer);
        }
      }),
    );
    await anvil.stop();
    removeDirs();
    process.off("exit", removeDirs);
  };
  try {
    const transport = http(anvil.rpcUrl);
    const wallet = createWalletClient({
      account: privateKeyToAccount(ANVIL_PRIVATE_KEYS[0]),
      chain: foundry,
      transport,
    }).extend(publicActions);
    const testClient = createTestClient({ chain: foundry, mode: "anvil", transport });
    const h = await wallet.deployContract({ abi: ExecutionTable.abi, bytecode: ExecutionTable.bytecode });
    const table = (await wallet.waitForTransactionReceipt({ hash: h })).contractAddress;
    const stream = streamId(31337, fromHex(table));
    const domain = { chainId: 31337, verifyingContract: fromHex(ANCHOR_ADDRESS) };

    const keys = [];
    const verifiers = [];
    for (let i = 0; i < nodes; i++) {
      const mine = [];
      for (let k = 0; k < keysPerNode; k++) {
        const sk = bls.keygen(crypto.getRandomValues(new Uint8Array(32)));
        mine.push(sk);
        verifiers.push({ pubkey: bls.publicKeyToBytes(bls.publicKey(sk)), weight: 1n, pop: bls.popProve(sk) });
      }
      keys.push(mine);
    }
    const set = { epoch: 0n, activationSlot: 0n, quorum: { numerator: 2, denominator: 3 }, verifiers };

    // All processes start at once (imports and set loading dominate); they are dialed afterwards.
    for (let i = 0; i < nodes; i++) {
      const dir = mkdtempSync(join(tmpdir(), `ocp-bench-node-${i}-`));
      dirs.push(dir);
      const cfgFile = join(dir, "runner.json");
      writeFileSync(
        cfgFile,
        JSON.stringify({
          options: {
            dataDir: join(dir, "db"),
            network: { network: "bench", localNetwork: true, ...(GOSSIP ? { gossip: GOSSIP } : {}) },
            domain: { chainId: 31337, verifyingContract: ANCHOR_ADDRESS },
            streams: [{ name: "eez", l1ChainId: 31337, tableContract: table }],
            l1: {
              rpcUrls: [anvil.rpcUrl],
              // anvil serves WebSocket JSON-RPC on the same port: heads are pushed.
              wsUrl: anvil.rpcUrl.replace(/^http/, "ws"),
              confirmations: 1,
              pollIntervalMs,
            },
            proposal: { selfProposeDelayMs: 5000 },
            doppelganger: { enabled: false },
            sync: { intervalMs: 10_000 },
            // The bench builder is the network's allowlisted builder.
            chain: { validation: { builderAllowlist: [privateKeyToAccount(BUILDER_KEY).address] } },
            ...overrides,
          },
          sets: [verifierSetToJson(set)],
          secretKeys: keys[i].map((k) => toHex(bls.secretKeyToBytes(k))),
          ownIndices: keys[i].map((_, k) => i * keysPerNode + k),
        }),
      );
      // OCP_BENCH_NODE_ARGS: extra node flags for the children (e.g. --cpu-prof) when profiling.
      const extra = [...(process.env.OCP_BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? []), ...nodeArgs];
      // The V8 options and environment of every ocp node process (the `ocp` launcher uses the same).
      const own = isPaired(i) ? PAIRED_ARGS : [];
      const exec = isPaired(i) && PAIRED_EXEC ? PAIRED_EXEC : process.execPath;
      const proc = spawn(exec, [...NODE_RUNTIME_FLAGS, ...extra, ...own, runnerFor(i), cfgFile], {
        stdio: ["pipe", "pipe", "inherit"],
        env: { ...process.env, ...NODE_RUNTIME_ENV, ...(isPaired(i) ? PAIRED_ENV : {}) },
      });
      children.push(new Child(i, proc));
    }
    const started = await Promise.all(
      children.map((c) =>
        c.lines.find((m) => m.event === "started") ?? c.next((m) => m.event === "started", 120_000, "start"),
      ),
    );
    // Node i dials every node below it: one connection per pair.
    await Promise.all(
      children.map((c, i) => c.request({ cmd: "dial", addrs: started.slice(0, i).map((s) => s.addrs[0]) }, "dialed")),
    );
    const wantMesh = Math.min(nodes - 1, GOSSIP?.Dlo ?? 6);
    const meshBy = Date.now() + 30_000;
    for (;;) {
      const meshes = await Promise.all(children.map((c) => c.request({ cmd: "mesh" }, "mesh")));
      const ok = meshes.every(
        (m) => m.peers >= wantMesh && Object.values(m.mesh).every((n) => n >= wantMesh),
      );
      if (ok) break;
      if (Date.now() > meshBy) throw new Error(`mesh did not form: ${JSON.stringify(meshes)}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    const builder = privateKeyToAccount(BUILDER_KEY).address;
    return {
      anvil,
      children,
      domain,
      stream,
      set,
      network: "bench",
      /** Posts one batch (automine: its own block); resolves with the slot and the true observation. */
      async post(batch) {
        const calldata = encodePostAndVerifyBatch(batch);
        const hash = await wallet.sendTransaction({ to: table, data: toHex(calldata), gas: 10_000_000n });
        const receipt = await wallet.waitForTransactionReceipt({ hash, pollingInterval: 5 });
        if (receipt.status !== "success") throw new Error("batch transaction reverted");
        const digest = eezTableDigest([{ calldata }]);
        return {
          slot: receipt.blockNumber,
          observation: {
            stream,
            slot: receipt.blockNumber,
            l1BlockNumber: receipt.blockNumber,
            l1BlockHash: fromHex(receipt.blockHash),
            schema: SCHEMA_EEZ_V1,
            tableDigest: digest.tableDigest,
            entryCount: digest.entryCount,
          },
        };
      },
      /** Signs the builder's commitment; `publish()` hands it to node `via` and returns the publish time. */
      prepareCommit(observation, via = 0) {
        const signed = signCommitment(domain, { observation, builder: fromHex(builder) }, fromHex(BUILDER_KEY));
        const cmd = { cmd: "commit", signed: signedCommitmentToJson(signed) };
        return () => {
          const t0 = now();
          children[via].send(cmd);
          return t0;
        };
      },
      async mine(blocks = 1) {
        await testClient.mine({ blocks });
      },
      /** Resolves when every node reported a certificate for `slot`. */
      async waitCertified(slot, ms = 15_000) {
        const key = slot.toString();
        await Promise.all(
          children.map((c) =>
            c.slots.get(key)?.cert ?? c.next((m) => m.event === "cert" && m.slot === key, ms, `certificate ${key}`),
          ),
        );
      },
      /** Each node's counters (CPU time, RSS, BLS verifier). */
      stats() {
        return Promise.all(children.map((c) => c.request({ cmd: "stats" }, "stats")));
      },
      peakRssMb() {
        return children.map((c) => c.peakRssMb());
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
