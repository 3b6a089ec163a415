// A simulated ocp network as operators would run it on separate machines: each
// host is a network namespace running one `ocp node start --config node.json`
// process with its own keys, LevelDB and config, reachable only at its announced
// address; hosts find each other through bootstrap peers. One anvil in its own
// namespace is the L1 (and anchor chain). Chain setup, keys and batches reuse
// the devnet's modules (packages/cli/src/devnet) rather than repeating them.
import { closeSync, openSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ExecutionTable, OcpAnchor, Orchestrator } from "@ocp/contracts";
import { NODE_RUNTIME_ENV, NODE_RUNTIME_FLAGS } from "@ocp/node";
import { deployAnchor, registerKeys, registerSet } from "@ocp/node/anchor";
import { ANVIL_PRIVATE_KEYS, anvilBinary } from "@ocp/node/devnet";
import { fromHex, getBls, streamId, verifierSetToJson } from "@ocp/protocol";
import { createTestClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { makeRng } from "../../packages/cli/lib/devnet/batch.js";
import { getJson } from "../../packages/cli/lib/devnet/http.js";
import { DEVNET_KDF_ROUNDS, generateKeys, writeBlsKeystores } from "../../packages/cli/lib/devnet/keys.js";
import {
  BUILDER_KEY,
  DEPLOYER_KEY,
  DEVNET_CHAIN_ID,
  MAX_ANCHORERS,
  makeWallet,
} from "../../packages/cli/lib/devnet/network.js";
import { ProcessManager } from "../../packages/cli/lib/devnet/procs.js";
import { createV3Keystore } from "../../packages/cli/lib/keystoreV3.js";
import { LinkEmulator } from "./emulator.js";
import { ANCHOR_RPC_IP, checkPrerequisites, dataIp, L1_IP, mgmtIp, SimNetwork, sweepStale } from "./netns.js";

const OCP_BIN = fileURLToPath(new URL("../../packages/cli/bin/ocp.js", import.meta.url));
const P2P_PORT = 9000;
/** The one stream every host follows (its name in the node's config and API paths). */
export const STREAM_NAME = "eez";
const API_PORT = 8080;
const RPC_PORT = 8545;
/** Bootstrap peers each host is given (from the hosts already running). */
const BOOTSTRAP_PEERS = 6;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

function deepMerge(a, b) {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObject(v) && isObject(a[k]) ? deepMerge(a[k], v) : v;
  return out;
}

function isStarted(v) {
  return typeof v === "object" && v !== null && typeof v.peerId === "string" && typeof v.api === "string";
}

/**
 * @typedef {object} ClusterOptions
 * @property {number} hosts
 * @property {number} keysPerNode
 * @property {number} slotMs block time of the L1 (whole seconds: anvil's interval mining)
 * @property {import("./emulator.js").LinkSpec[]} links one per host
 * @property {string} dir where configs, keys and databases go
 * @property {number} [seed]
 * @property {number} [selfProposeDelayMs]
 * @property {number[]} [joining] hosts whose keys are not in the first set (they join in a later one)
 * @property {{refreshSlots: number}} [setsFromAnchor] hosts learn their sets from OcpAnchor, not from a file
 * @property {number} [activationLeadSlots] OcpAnchor's activation lead for later sets (its default is 64)
 * @property {number} [blockGasLimit] the L1's block gas limit (anvil's default: 30M)
 * @property {object} [configOverride] merged into every node.json (experiments)
 * @property {(host: number) => string[]} [nodeFlags] extra Node.js flags for a host's process (profiling)
 * @property {(msg: string) => void} log
 */

export class SimCluster {
  /** @param {ClusterOptions} opts */
  constructor(opts) {
    this.opts = opts;
    this.procs = new ProcessManager(3000);
    this.net = new SimNetwork(opts.hosts);
    this.emulator = new LinkEmulator(this.net, opts.dir, opts.seed ?? 1);
    this.nodes = [];
    this.rpcUrl = `http://${L1_IP}:${RPC_PORT}`;
    this.anchorRpcUrl = `http://${ANCHOR_RPC_IP}:${RPC_PORT}`;
    this.stopped = false;
  }

  /** Namespaces, links, anvil, contracts, keys, configs; then every node, connected. */
  async start() {
    const { opts } = this;
    checkPrerequisites();
    const swept = sweepStale();
    if (swept.length) opts.log(`removed ${swept.length} namespaces left by an earlier run`);
    await mkdir(opts.dir, { recursive: true });
    this.net.create();
    await this.emulator.start(Object.fromEntries(opts.links.map((l, i) => [dataIp(i), l])), (pid) =>
      this.procs.track(pid),
    );
    this.emulator.applyBandwidth(opts.links.map((l) => l.mbit));
    opts.log(`network: ${opts.hosts} hosts, router ${this.net.router}`);

    const anvil = this.procs.spawn(
      "anvil",
      "ip",
      [
        "netns",
        "exec",
        this.net.l1,
        anvilBinary(),
        // Inside the L1 namespace: reachable only from the management bridge.
        "--host",
        "0.0.0.0",
        "--port",
        String(RPC_PORT),
        "--enable-tx-gas-limit",
        "--chain-id",
        String(DEVNET_CHAIN_ID),
        ...(opts.blockGasLimit ? ["--gas-limit", String(opts.blockGasLimit)] : []),
      ],
      {},
    );
    this.anvil = anvil;
    await this.waitForRpc();
    await this.deploy();
    await this.writeHosts();
    await this.startAll();
  }

  async waitForRpc() {
    const until = Date.now() + 30_000;
    for (;;) {
      try {
        const r = await fetch(this.rpcUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
          signal: AbortSignal.timeout(1000),
        });
        if (r.ok) return;
      } catch {
        // not up yet
      }
      if (Date.now() > until) throw new Error(`anvil did not answer at ${this.rpcUrl}\n${this.anvil.tail()}`);
      await sleep(200);
    }
  }

  async deploy() {
    const { opts } = this;
    const wallet = makeWallet(DEPLOYER_KEY, this.rpcUrl);
    this.wallet = wallet;
    const deploy = async (abi, bytecode, args = []) => {
      const hash = await wallet.deployContract({ abi, bytecode, args });
      const r = await wallet.waitForTransactionReceipt({ hash });
      if (!r.contractAddress) throw new Error("deployment failed");
      return r.contractAddress;
    };
    this.table = await deploy(ExecutionTable.abi, ExecutionTable.bytecode);
    this.orchestrator = await deploy(Orchestrator.abi, Orchestrator.bytecode, [this.table]);
    this.anchor = await deployAnchor(wallet, wallet, { l1ChainId: DEVNET_CHAIN_ID });
    this.bls = getBls();
    const { keys, set: all } = generateKeys(this.bls, opts.hosts, opts.keysPerNode);
    this.keys = keys;
    /** Each host's set entries (pubkey, weight, proof of possession), in or out of a set. */
    this.entries = keys.map((_, i) => all.verifiers.slice(i * opts.keysPerNode, (i + 1) * opts.keysPerNode));
    const joining = new Set(opts.joining ?? []);
    const set = { ...all, verifiers: this.entries.flatMap((e, i) => (joining.has(i) ? [] : e)) };
    this.set = set;
    await registerKeys(wallet, wallet, this.anchor, set.verifiers);
    this.setId = await registerSet(wallet, wallet, this.anchor, set);
    if (opts.activationLeadSlots !== undefined) {
      // Block-number slots (secondsPerSlot 0), as the nodes count them.
      const hash = await wallet.writeContract({
        address: this.anchor,
        abi: OcpAnchor.abi,
        functionName: "setSlotClock",
        args: [0n, 0n, BigInt(opts.activationLeadSlots)],
      });
      await wallet.waitForTransactionReceipt({ hash });
    }
    this.stream = streamId(DEVNET_CHAIN_ID, fromHex(this.table));
    this.domain = { chainId: DEVNET_CHAIN_ID, verifyingContract: fromHex(this.anchor) };
    opts.log(`contracts deployed; ${set.verifiers.length} keys registered, set ${this.setId}`);
  }

  /** Each host's directory: keystores, password, API token, anchorer key, and later node.json. */
  async writeHosts() {
    const { opts } = this;
    await writeFile(join(opts.dir, "set.json"), JSON.stringify(verifierSetToJson(this.set), null, 2));
    this.token = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
    this.anchorers = Math.min(opts.hosts, MAX_ANCHORERS);
    const password = "sim";
    for (let i = 0; i < opts.hosts; i++) {
      const hd = join(opts.dir, `host-${i}`);
      await mkdir(hd, { recursive: true });
      await writeBlsKeystores(join(hd, "keystores"), this.keys[i], password, this.bls);
      await writeFile(join(hd, "password.txt"), `${password}\n`);
      await writeFile(join(hd, "api-token.txt"), `${this.token}\n`);
      if (i < this.anchorers)
        await writeFile(
          join(hd, "anchorer.json"),
          JSON.stringify(
            await createV3Keystore(fromHex(ANVIL_PRIVATE_KEYS[2 + i]), password, {
              kdf: "pbkdf2",
              pbkdf2C: DEVNET_KDF_ROUNDS,
            }),
          ),
        );
    }
  }

  /** node.json of host i, as an operator of that machine would write it. */
  async writeConfig(i, bootstrapPeers) {
    const { opts } = this;
    const slotMs = opts.slotMs;
    const addr = `/ip4/${dataIp(i)}/tcp/${P2P_PORT}`;
    const config = {
      dataDir: "db",
      network: {
        network: "ocp-sim",
        listenAddrs: [addr],
        announceAddrs: [addr],
        bootstrapPeers,
      },
      domain: { chainId: DEVNET_CHAIN_ID, verifyingContract: this.anchor },
      streams: [{ name: STREAM_NAME, l1ChainId: DEVNET_CHAIN_ID, tableContract: this.table }],
      l1: {
        rpcUrls: [this.rpcUrl],
        wsUrl: this.rpcUrl.replace(/^http/, "ws"),
        confirmations: 1,
        pollIntervalMs: Math.max(50, Math.min(250, Math.floor(slotMs / 8))),
        slots: { mode: "block-number" },
      },
      // Either the set file every operator was handed, or the sets registered on OcpAnchor
      // (through the same chain's RPC: this network's anchor chain is its L1).
      ...(opts.setsFromAnchor
        ? { setsFromAnchor: { rpcUrl: this.rpcUrl, refreshSlots: opts.setsFromAnchor.refreshSlots } }
        : { verifierSets: ["../set.json"] }),
      keystores: { dir: "keystores", passwordFile: "password.txt" },
      ...(i < this.anchorers
        ? {
            anchor: {
              rpcUrl: this.anchorRpcUrl,
              index: i,
              count: this.anchorers,
              fallbackDelayMs: 2 * slotMs,
              keystore: "anchorer.json",
              passwordFile: "password.txt",
            },
          }
        : {}),
      api: { host: mgmtIp(i), port: API_PORT, bearerTokenFile: "api-token.txt" },
      proposal: { selfProposeDelayMs: opts.selfProposeDelayMs ?? Math.min(1000, slotMs / 2) },
      doppelganger: { enabled: false },
      sync: { intervalMs: Math.max(2000, 2 * slotMs) },
      // The network's builder, as every operator of it lists it (the devnet does the same):
      // its commitments are relayed before a node has read the block itself.
      chain: { validation: { builderAllowlist: [privateKeyToAccount(BUILDER_KEY).address] } },
    };
    const merged = opts.configOverride ? deepMerge(config, opts.configOverride) : config;
    await writeFile(join(opts.dir, `host-${i}`, "node.json"), JSON.stringify(merged, null, 2));
  }

  /** Starts host i's node (its config already written); resolves once it printed its identity. */
  async startNode(i) {
    const hd = join(this.opts.dir, `host-${i}`);
    const logFd = openSync(join(hd, "node.log"), "a");
    const proc = this.procs.spawn(
      `node ${i}`,
      "ip",
      [
        "netns",
        "exec",
        this.net.hostNs(i),
        process.execPath,
        ...NODE_RUNTIME_FLAGS,
        ...(this.opts.nodeFlags?.(i) ?? []),
        OCP_BIN,
        "node",
        "start",
        "--config",
        join(hd, "node.json"),
        "--json",
      ],
      // The node's log (stderr) stays with the host, as on a real machine.
      { cwd: hd, logFile: logFd, env: NODE_RUNTIME_ENV },
    );
    closeSync(logFd);
    const line = await proc.waitForJson(isStarted, 120_000).catch((e) => {
      throw new Error(`host ${i}: ${e.message}\n${readFileSync(join(hd, "node.log"), "utf8").slice(-2000)}`);
    });
    const prev = this.nodes[i];
    const node = {
      index: i,
      proc,
      pid: proc.pid,
      api: line.api,
      peerId: line.peerId,
      multiaddrs: line.multiaddrs,
      up: true,
      pids: [...(prev?.pids ?? []), proc.pid],
      startedAt: Date.now(),
    };
    this.nodes[i] = node;
    return node;
  }

  /**
   * Starts the nodes in waves, as a network grows: each host is given up to
   * BOOTSTRAP_PEERS bootstrap addresses drawn from the hosts already running
   * (their peer ids are known only once they run). Further peers a node
   * learns by gossipsub peer exchange from them, up to its targetPeers.
   */
  async startAll() {
    const { opts } = this;
    const rng = makeRng((opts.seed ?? 1) + 17);
    const started = [];
    let next = 0;
    let wave = 1;
    while (next < opts.hosts) {
      const members = [];
      for (let k = 0; k < wave && next < opts.hosts; k++) members.push(next++);
      for (const i of members) {
        const pool = [...started];
        const boot = [];
        while (boot.length < BOOTSTRAP_PEERS && pool.length > 0)
          boot.push(pool.splice(Math.floor(rng() * pool.length), 1)[0]);
        await this.writeConfig(
          i,
          boot.map((h) => `/ip4/${dataIp(h)}/tcp/${P2P_PORT}/p2p/${this.nodes[h].peerId}`),
        );
      }
      await Promise.all(members.map((i) => this.startNode(i)));
      started.push(...members);
      // 1, 1, 2, 4, 8, 8, …: later hosts draw their bootstrap peers from a wider pool; at most
      // 8 start at once, so start-up CPU does not time out their first connections.
      if (started.length > 1) wave = Math.min(wave * 2, 8);
    }
    opts.log(`${opts.hosts} nodes started`);
    const counts = await this.waitForPeers(Math.min(opts.hosts - 1, 1), 60_000, false);
    this.isolatedAtStart = counts.filter((c) => c === 0).length;
    if (this.isolatedAtStart > 0)
      opts.log(
        `${this.isolatedAtStart} hosts have no peer after start-up (peers per host ${counts.join(",")})`,
      );
  }

  /** Every node up has at least `min` peers (else, after `ms`, an error or, with `strict` false, the counts). */
  async waitForPeers(min, ms, strict = true) {
    const until = Date.now() + ms;
    for (;;) {
      const counts = await this.peerCounts();
      if (counts.every((c, i) => !this.nodes[i].up || c >= min)) return counts;
      if (Date.now() > until && !strict) return counts;
      if (Date.now() > until) throw new Error(`hosts did not connect: peers per host ${counts.join(",")}`);
      await sleep(500);
    }
  }

  peerCounts() {
    return Promise.all(
      this.nodes.map(async (n) =>
        n.up ? ((await getJson(`${n.api}/v1/node/peers`).catch(() => [])) ?? []).length : 0,
      ),
    );
  }

  /** Kills host i's node at once (SIGKILL: a crash or a pulled plug). */
  async killNode(i) {
    const n = this.nodes[i];
    if (!n?.up) return;
    n.up = false;
    try {
      process.kill(n.pid, "SIGKILL");
    } catch {
      // already gone
    }
    await n.proc.exited;
  }

  /** Restarts host i's node with its config, keys and database. */
  async restartNode(i) {
    return this.startNode(i);
  }

  /**
   * Registers a verifier set on OcpAnchor as its owner would: `ocp anchor
   * register-set` (its keys first, when not yet registered) with the owner's
   * key. Resolves with the contract's set id once every transaction is mined.
   */
  async registerSetWithCli(data) {
    const { opts } = this;
    const file = join(opts.dir, `set-${data.epoch}.json`);
    await writeFile(file, JSON.stringify(verifierSetToJson(data), null, 2));
    const keyFile = join(opts.dir, "owner.key");
    await writeFile(keyFile, `${DEPLOYER_KEY}\n`, { mode: 0o600 });
    const proc = this.procs.spawn(`register-set ${data.epoch}`, process.execPath, [
      OCP_BIN,
      "anchor",
      "register-set",
      "--rpc",
      this.rpcUrl,
      "--anchor",
      this.anchor,
      "--set",
      file,
      "--private-key-file",
      keyFile,
    ]);
    let out = "";
    proc.child.stdout.on("data", (c) => {
      out += c.toString();
    });
    const code = await proc.exited;
    if (code !== 0) throw new Error(`ocp anchor register-set exited with ${code}\n${proc.tail()}`);
    return out.trim();
  }

  /** The L1 slot clock: one block per slot from now on. */
  async startSlots() {
    const test = createTestClient({ chain: foundry, mode: "anvil", transport: http(this.rpcUrl) });
    await test.setAutomine(false);
    await test.setIntervalMining({ interval: Math.max(1, Math.round(this.opts.slotMs / 1000)) });
  }

  /** Stops everything this cluster started: nodes and anvil by pid, then namespaces and links. Idempotent. */
  async stop() {
    if (this.stopped) return;
    this.stopped = true;
    // Nodes first (SIGTERM: a clean shutdown), so they do not see the L1 vanish under them; then the rest.
    await Promise.all(
      this.nodes
        .filter((n) => n?.up)
        .map(async (n) => {
          try {
            process.kill(n.pid, "SIGTERM");
          } catch {
            return;
          }
          await Promise.race([n.proc.exited, sleep(5000)]);
        }),
    );
    await this.emulator.stop().catch(() => undefined);
    await this.procs.stopAll();
    this.net.destroy();
  }
}
