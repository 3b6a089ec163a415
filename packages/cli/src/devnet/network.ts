// Brings a devnet up: anvil, the table/orchestrator/OcpAnchor contracts, keys
// and the verifier set registered on-chain, and one `ocp node start` process
// per verifier node, each also an anchorer taking turns by slot.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ExecutionTable, Orchestrator } from "@ocp/contracts";
import { NODE_RUNTIME_ENV, NODE_RUNTIME_FLAGS } from "@ocp/node";
import { deployAnchor, registerKeys, registerSet } from "@ocp/node/anchor";
import { ANVIL_PRIVATE_KEYS, type Anvil, startAnvil } from "@ocp/node/devnet";
import {
  type Domain,
  fromHex,
  getBls,
  streamId,
  type VerifierSetData,
  verifierSetToJson,
} from "@ocp/protocol";
import {
  type Account,
  type Chain,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  type PublicActions,
  type PublicClient,
  publicActions,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { createV3Keystore } from "../keystoreV3.js";
import { getJson } from "./http.js";
import { DEVNET_KDF_ROUNDS, generateKeys, writeBlsKeystores } from "./keys.js";
import type { ManagedProcess, ProcessManager } from "./procs.js";

export const DEVNET_CHAIN_ID = 31337;
/** anvil dev account 0 deploys, 1 is the builder, 2.. are the anchorers. */
export const DEPLOYER_KEY = ANVIL_PRIVATE_KEYS[0];
export const BUILDER_KEY = ANVIL_PRIVATE_KEYS[1];
export const MAX_ANCHORERS = ANVIL_PRIVATE_KEYS.length - 2;

export interface NetworkOptions {
  nodes: number;
  keysPerNode: number;
  slotTimeMs: number;
  /** Where the devnet's files go; a temp dir when absent. */
  dir?: string;
  log(msg: string): void;
}

export interface DevnetNode {
  index: number;
  proc: ManagedProcess;
  api: string;
  peerId: string;
  multiaddrs: string[];
}

export interface Network {
  dir: string;
  anvil: Anvil;
  chain: Chain;
  wallet: DevnetWallet;
  table: Hex;
  orchestrator: Hex;
  anchor: Hex;
  stream: Uint8Array;
  domain: Domain;
  set: VerifierSetData;
  nodes: DevnetNode[];
  token: string;
}

export type DevnetWallet = WalletClient<Transport, Chain, Account> & PublicActions<Transport, Chain, Account>;

export function makeWallet(key: Hex, rpcUrl: string): DevnetWallet {
  return createWalletClient({
    account: privateKeyToAccount(key),
    chain: foundry,
    transport: http(rpcUrl),
    pollingInterval: 50,
  }).extend(publicActions) as unknown as DevnetWallet;
}

/** A node process: `ocp node start --config <file> --json`, through this package's bin. */
function nodeCommand(config: string): string[] {
  const bin = fileURLToPath(new URL("../../bin/ocp.js", import.meta.url));
  return [bin, "node", "start", "--config", config, "--json"];
}

function isStarted(v: unknown): v is { peerId: string; multiaddrs: string[]; api: string } {
  const o = v as Record<string, unknown> | null;
  return typeof o === "object" && o !== null && typeof o.peerId === "string" && typeof o.api === "string";
}

export async function startNetwork(opts: NetworkOptions, procs: ProcessManager): Promise<Network> {
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), "ocp-devnet-")));
  await mkdir(dir, { recursive: true });
  opts.log(`devnet files in ${dir}`);

  // Automine while deploying (each setup tx mined at once), slot clock after.
  const anvil = await startAnvil({ chainId: DEVNET_CHAIN_ID });
  procs.track(anvil.pid);
  opts.log(`anvil ${anvil.rpcUrl} (pid ${anvil.pid})`);
  const wallet = makeWallet(DEPLOYER_KEY, anvil.rpcUrl);
  const client = wallet as unknown as PublicClient;
  const deploy = async (abi: unknown, bytecode: Hex, args: unknown[] = []): Promise<Hex> => {
    const hash = await wallet.deployContract({ abi, bytecode, args } as never);
    const r = await wallet.waitForTransactionReceipt({ hash });
    if (!r.contractAddress) throw new Error("deployment failed");
    return r.contractAddress;
  };
  const table = await deploy(ExecutionTable.abi, ExecutionTable.bytecode);
  const orchestrator = await deploy(Orchestrator.abi, Orchestrator.bytecode, [table]);
  const anchor = await deployAnchor(wallet, client, { l1ChainId: DEVNET_CHAIN_ID });
  opts.log(`contracts: ExecutionTable ${table}, Orchestrator ${orchestrator}, OcpAnchor ${anchor}`);

  const bls = getBls();
  const { keys, set } = generateKeys(bls, opts.nodes, opts.keysPerNode);
  await registerKeys(wallet, client, anchor, set.verifiers);
  const setId = await registerSet(wallet, client, anchor, set);
  opts.log(`verifier set: ${set.verifiers.length} keys, quorum 2/3, set id ${setId}`);
  await writeFile(join(dir, "set.json"), JSON.stringify(verifierSetToJson(set), null, 2));

  const token = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex");
  const password = "devnet";
  const anchorers = Math.min(opts.nodes, MAX_ANCHORERS);
  const configs: string[] = [];
  for (let i = 0; i < opts.nodes; i++) {
    const nd = join(dir, `node-${i}`);
    await mkdir(nd, { recursive: true });
    await writeBlsKeystores(join(nd, "keystores"), keys[i]!, password, bls);
    await writeFile(join(nd, "password.txt"), `${password}\n`);
    await writeFile(join(nd, "api-token.txt"), `${token}\n`);
    const isAnchorer = i < anchorers;
    if (isAnchorer)
      await writeFile(
        join(nd, "anchorer.json"),
        JSON.stringify(
          await createV3Keystore(fromHex(ANVIL_PRIVATE_KEYS[2 + i]!), password, {
            kdf: "pbkdf2",
            pbkdf2C: DEVNET_KDF_ROUNDS,
          }),
        ),
      );
    configs.push(join(nd, "node.json"));
  }

  const slotMs = opts.slotTimeMs;
  const writeConfig = async (i: number, peers: string[]): Promise<void> => {
    const config = {
      dataDir: "db",
      network: {
        network: "ocp-devnet",
        listenAddrs: ["/ip4/127.0.0.1/tcp/0"],
        // Static: each link is redialed with backoff when lost, so a node cut
        // off (or frozen) for a while rejoins by itself.
        staticPeers: peers,
        localNetwork: true,
      },
      domain: { chainId: DEVNET_CHAIN_ID, verifyingContract: anchor },
      streams: [{ name: "eez", l1ChainId: DEVNET_CHAIN_ID, tableContract: table }],
      l1: {
        rpcUrls: [anvil.rpcUrl],
        // anvil serves WebSocket JSON-RPC on the same port: heads are pushed.
        wsUrl: anvil.rpcUrl.replace(/^http/, "ws"),
        confirmations: 1,
        pollIntervalMs: Math.max(50, Math.min(250, Math.floor(slotMs / 8))),
        slots: { mode: "block-number" },
      },
      verifierSets: ["../set.json"],
      keystores: { dir: "keystores", passwordFile: "password.txt" },
      ...(i < anchorers
        ? {
            anchor: {
              rpcUrl: anvil.rpcUrl,
              index: i,
              count: anchorers,
              // The slot's anchorer normally lands it within a slot; others step in after two.
              fallbackDelayMs: 2 * slotMs,
              keystore: "anchorer.json",
              passwordFile: "password.txt",
            },
          }
        : {}),
      api: { host: "127.0.0.1", port: 0, bearerTokenFile: "api-token.txt" },
      // The builder publishes right after its block; nodes self-propose only if it stays silent.
      proposal: { selfProposeDelayMs: Math.min(1000, slotMs / 2) },
      // Fresh keys that never signed anywhere: nothing to wait for.
      doppelganger: { enabled: false },
      // The devnet's builder is the network's allowlisted builder.
      chain: { validation: { builderAllowlist: [privateKeyToAccount(BUILDER_KEY).address] } },
      sync: { intervalMs: Math.max(2000, 2 * slotMs) },
    };
    await writeFile(configs[i]!, JSON.stringify(config, null, 2));
  };

  const start = async (i: number): Promise<DevnetNode> => {
    const [script, ...args] = nodeCommand(configs[i]!);
    const proc = procs.spawn(`node ${i}`, process.execPath, [...NODE_RUNTIME_FLAGS, script!, ...args], {
      cwd: dirname(configs[i]!),
      env: NODE_RUNTIME_ENV,
    });
    const line = await proc.waitForJson(isStarted, 60_000);
    opts.log(`node ${i} pid ${proc.pid} api ${line.api}`);
    return { index: i, proc, api: line.api, peerId: line.peerId, multiaddrs: line.multiaddrs };
  };
  // A mesh, not a star around node 0: node i keeps every node before it as a
  // static peer, so every pair is linked and no single node partitions the rest.
  // Started one after another: each needs the addresses of those before it.
  const nodes: DevnetNode[] = [];
  for (let i = 0; i < opts.nodes; i++) {
    await writeConfig(
      i,
      nodes.map((n) => {
        const a = n.multiaddrs[0]!;
        return a.includes("/p2p/") ? a : `${a}/p2p/${n.peerId}`;
      }),
    );
    nodes.push(await start(i));
  }
  await waitForPeers(nodes, opts.nodes);

  // The slot clock: one block per slot from now on.
  const test = createTestClient({ chain: foundry, mode: "anvil", transport: http(anvil.rpcUrl) });
  await test.setAutomine(false);
  await test.setIntervalMining({ interval: Math.max(1, Math.round(slotMs / 1000)) });

  return {
    dir,
    anvil,
    chain: foundry,
    wallet,
    table,
    orchestrator,
    anchor,
    stream: streamId(DEVNET_CHAIN_ID, fromHex(table)),
    domain: { chainId: DEVNET_CHAIN_ID, verifyingContract: fromHex(anchor) },
    set,
    nodes,
    token,
  };
}

/** Every node connected to every other, within 30 s. */
async function waitForPeers(nodes: DevnetNode[], n: number): Promise<void> {
  if (n < 2) return;
  const until = Date.now() + 30_000;
  for (;;) {
    const counts = await Promise.all(
      nodes.map(
        async (nd) => ((await getJson<unknown[]>(`${nd.api}/v1/node/peers`).catch(() => [])) ?? []).length,
      ),
    );
    if (counts.every((c) => c >= n - 1)) return;
    if (Date.now() > until) throw new Error(`nodes did not connect: peers per node ${counts.join(",")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
