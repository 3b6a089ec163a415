// A small ocp network for integration tests: anvil with the devnet table
// contracts, N verifier nodes (in this process, real TCP on 127.0.0.1, real
// LevelDB in temp dirs) and a builder that posts batches and signs commitments.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecutionTable, OcpAnchor, Orchestrator } from "@ocp/contracts";
import { type NodeOptionsInput, OcpNode } from "@ocp/node";
import { deployAnchor, registerKeys, registerSet } from "@ocp/node/anchor";
import { orchestratorCalldata } from "@ocp/node/devnet";
import {
  type BlsSecretKey,
  type Domain,
  eezTableDigest,
  encodePostAndVerifyBatch,
  fromHex,
  getBit,
  getBls,
  type Observation,
  observationRoot,
  type ProofSystemBatchPerVerificationEntries,
  SCHEMA_EEZ_V1,
  signCommitment,
  streamId,
  toHex,
  type VerifierSetData,
} from "@ocp/protocol";
import { pino } from "pino";
import { createTestClient, createWalletClient, type Hex, http, type PublicClient, publicActions } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import {
  ANVIL_PRIVATE_KEYS,
  type Anvil,
  type AnvilOptions,
  startAnvil,
} from "../../../packages/node/src/devnet/anvil.js";
import { ANVIL_POLLING_MS, anvilOwner } from "../../utils/anvil.js";
import { waitFor } from "../../utils/wait.js";

export const BUILDER_KEY = fromHex(ANVIL_PRIVATE_KEYS[1]);
const ANCHOR_ADDRESS = "0x00000000000000000000000000000000000a0c4e" as const;

export interface ClusterOptions {
  nodes: number;
  keysPerNode?: number;
  /** Node overrides (e.g. proposal delay). */
  node?: Partial<NodeOptionsInput>;
  /** Deploy OcpAnchor, register the keys and the set; these node indices anchor. */
  anchorers?: number[];
  /** Per-anchorer option overrides. */
  anchorOptions?: Record<string, unknown>;
  /** Keys a node holds beyond its keys of the initial set (for rotations), by node index. */
  extraKeys?: Record<number, number>;
  /** anvil flags, e.g. a fixed block time. */
  anvil?: AnvilOptions;
  /**
   * Indices of the nodes node i is given as bootstrap peers (and nothing as static peers);
   * by default every node started before it is both.
   */
  bootstrapOf?: (i: number) => number[];
  /** Network options merged into every node's (e.g. redial backoff). */
  network?: Record<string, unknown>;
  /** Runs after the table contracts are deployed, before any node starts; its result overrides node options. */
  setup?: (ctx: { rpcUrl: string; table: Hex }) => Promise<Partial<NodeOptionsInput>>;
}

export interface Cluster {
  anvil: Anvil;
  /** OcpAnchor address (a placeholder without `anchorers`). */
  anchorAddress: Hex;
  nodes: (OcpNode | undefined)[];
  dirs: string[];
  keys: BlsSecretKey[][];
  /** The `extraKeys` (also in `keys`, after the node's set keys), with their node index. */
  extra: { node: number; sk: BlsSecretKey }[];
  set: VerifierSetData;
  domain: Domain;
  table: Hex;
  orchestrator: Hex;
  stream: Uint8Array;
  nodeOptions(i: number): NodeOptionsInput;
  /** Starts node `i` (again), with its options passed through `override` when given. */
  startNode(i: number, override?: (base: NodeOptionsInput) => NodeOptionsInput): Promise<OcpNode>;
  /** Posts batches in one block (directly or via the orchestrator); returns its number and observation. */
  post(
    batches: ProofSystemBatchPerVerificationEntries[],
    via: "direct" | "orchestrator",
  ): Promise<{ slot: bigint; observation: Observation }>;
  mine(blocks?: number): Promise<void>;
  /** The builder's commitment for an observation, submitted through node `via`. */
  commit(observation: Observation, via?: number): Promise<void>;
  /** The observation root OcpAnchor holds for `slot` of the stream; undefined while none. */
  anchoredRoot(slot: bigint): Promise<Hex | undefined>;
  /** Sets OcpAnchor's activation lead (slots between a set's registration and its activation), as its owner. */
  setActivationLead(lead: bigint): Promise<void>;
  /** Waits (up to `ms`, 20 s by default) until every running node has at least `minPeers` peers. */
  waitMeshed(minPeers: number, ms?: number): Promise<void>;
  /** Polls OcpAnchor until `slot` is anchored (up to `ms`, 30 s by default); returns its root. */
  waitAnchored(slot: bigint, ms?: number): Promise<Hex>;
  stop(): Promise<void>;
}

export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const anvil = await startAnvil(opts.anvil);
  try {
    return await setUp(opts, anvil);
  } catch (e) {
    // A failed set-up must not leave anvil running: afterAll never sees a cluster.
    await anvil.stop();
    throw e;
  }
}

async function setUp(opts: ClusterOptions, anvil: Anvil): Promise<Cluster> {
  const bls = getBls();
  const wallet = createWalletClient({
    account: privateKeyToAccount(ANVIL_PRIVATE_KEYS[0]),
    chain: foundry,
    transport: http(anvil.rpcUrl),
    pollingInterval: ANVIL_POLLING_MS,
  }).extend(publicActions);
  const testClient = createTestClient({ chain: foundry, mode: "anvil", transport: http(anvil.rpcUrl) });
  const h1 = await wallet.deployContract({ abi: ExecutionTable.abi, bytecode: ExecutionTable.bytecode });
  const table = (await wallet.waitForTransactionReceipt({ hash: h1 })).contractAddress as Hex;
  const h2 = await wallet.deployContract({
    abi: Orchestrator.abi,
    bytecode: Orchestrator.bytecode,
    args: [table],
  });
  const orchestrator = (await wallet.waitForTransactionReceipt({ hash: h2 })).contractAddress as Hex;
  const stream = streamId(31337, fromHex(table));
  const setupOverrides = opts.setup ? await opts.setup({ rpcUrl: anvil.rpcUrl, table }) : {};

  const kpn = opts.keysPerNode ?? 1;
  const keys: BlsSecretKey[][] = [];
  const verifiers: VerifierSetData["verifiers"] = [];
  for (let i = 0; i < opts.nodes; i++) {
    const mine: BlsSecretKey[] = [];
    for (let k = 0; k < kpn; k++) {
      const ikm = crypto.getRandomValues(new Uint8Array(32));
      const sk = bls.keygen(ikm);
      mine.push(sk);
      verifiers.push({ pubkey: bls.publicKeyToBytes(bls.publicKey(sk)), weight: 1n, pop: bls.popProve(sk) });
    }
    keys.push(mine);
  }
  const extra: { node: number; sk: BlsSecretKey }[] = [];
  for (const [node, n] of Object.entries(opts.extraKeys ?? {})) {
    for (let k = 0; k < n; k++) {
      const sk = bls.keygen(crypto.getRandomValues(new Uint8Array(32)));
      keys[Number(node)]!.push(sk);
      extra.push({ node: Number(node), sk });
    }
  }
  const set: VerifierSetData = {
    epoch: 0n,
    activationSlot: 0n,
    quorum: { numerator: 2, denominator: 3 },
    verifiers,
  };
  let anchorAddress: Hex = ANCHOR_ADDRESS;
  if (opts.anchorers) {
    const client = wallet as unknown as PublicClient;
    anchorAddress = await deployAnchor(wallet, client, { l1ChainId: 31337 });
    await registerKeys(wallet, client, anchorAddress, verifiers);
    await registerSet(wallet, client, anchorAddress, set);
  }
  const domain: Domain = { chainId: 31337, verifyingContract: fromHex(anchorAddress) };
  const dirs: string[] = [];
  for (let i = 0; i < opts.nodes; i++) dirs.push(await mkdtemp(join(tmpdir(), `ocp-node-${i}-`)));
  const nodes: (OcpNode | undefined)[] = new Array(opts.nodes).fill(undefined);
  const logger = pino({ level: process.env.OCP_TEST_LOG ?? "silent" });

  const cluster: Cluster = {
    anvil,
    anchorAddress,
    nodes,
    dirs,
    keys,
    extra,
    set,
    domain,
    table,
    orchestrator,
    stream,
    nodeOptions(i) {
      const bootstrap = nodes
        .filter(
          (n, j): n is OcpNode => n !== undefined && j !== i && (opts.bootstrapOf?.(i).includes(j) ?? true),
        )
        .flatMap((n) => n.multiaddrs.slice(0, 1));
      const statics = opts.bootstrapOf ? [] : bootstrap;
      return {
        dataDir: dirs[i]!,
        network: {
          network: "itest",
          localNetwork: true,
          bootstrapPeers: bootstrap,
          staticPeers: statics,
          ...opts.network,
        },
        domain: { chainId: 31337, verifyingContract: anchorAddress },
        streams: [{ name: "eez", l1ChainId: 31337, tableContract: table }],
        verifierSets: [set],
        l1: { rpcUrls: [anvil.rpcUrl], confirmations: 1, pollIntervalMs: 100 },
        proposal: { selfProposeDelayMs: 1500 },
        doppelganger: { enabled: false },
        sync: { intervalMs: 2000 },
        // The test builder is the network's allowlisted builder.
        chain: { validation: { builderAllowlist: [privateKeyToAccount(ANVIL_PRIVATE_KEYS[1]).address] } },
        ...opts.node,
        ...setupOverrides,
        ...(opts.anchorers?.includes(i)
          ? {
              anchor: {
                rpcUrl: anvil.rpcUrl,
                index: opts.anchorers.indexOf(i),
                count: opts.anchorers.length,
                fallbackDelayMs: 3000,
                ...opts.anchorOptions,
              },
            }
          : {}),
      };
    },
    async startNode(i, override) {
      const anchorer = opts.anchorers?.indexOf(i) ?? -1;
      const base = cluster.nodeOptions(i);
      const node = new OcpNode(override ? override(base) : base, {
        secretKeys: keys[i]!,
        logger: logger.child({ node: i }),
        ...(anchorer >= 0 ? { anchorPrivateKey: ANVIL_PRIVATE_KEYS[2 + anchorer] } : {}),
      });
      await node.start();
      nodes[i] = node;
      return node;
    },
    async post(input, via) {
      // ExecutionTable reverts on this test flag; random batches may draw it.
      const MAX = (1n << 256n) - 1n;
      const batches = input.map((b) =>
        b.transientExecutionEntryCount === MAX ? { ...b, transientExecutionEntryCount: 0n } : b,
      );
      const data =
        via === "direct" ? toHex(encodePostAndVerifyBatch(batches[0]!)) : orchestratorCalldata(batches);
      const to = via === "direct" ? table : orchestrator;
      const hash = await wallet.sendTransaction({ to, data, gas: 10_000_000n });
      const receipt = await wallet.waitForTransactionReceipt({ hash });
      if (receipt.status !== "success") {
        const why = await wallet
          .call({ to, data, gas: 10_000_000n })
          .catch((e: Error) => e.message.slice(0, 300));
        throw new Error(`batch transaction reverted (gas used ${receipt.gasUsed}): ${String(why)}`);
      }
      const posted = via === "direct" ? batches.slice(0, 1) : batches;
      const digest = eezTableDigest(posted.map((b) => ({ calldata: encodePostAndVerifyBatch(b) })));
      const observation: Observation = {
        stream,
        slot: receipt.blockNumber,
        l1BlockNumber: receipt.blockNumber,
        l1BlockHash: fromHex(receipt.blockHash),
        schema: SCHEMA_EEZ_V1,
        tableDigest: digest.tableDigest,
        entryCount: digest.entryCount,
      };
      return { slot: receipt.blockNumber, observation };
    },
    async mine(blocks = 1) {
      await testClient.mine({ blocks });
    },
    async commit(observation, via = 0) {
      const builder = privateKeyToAccount(ANVIL_PRIVATE_KEYS[1]).address;
      const signed = signCommitment(domain, { observation, builder: fromHex(builder) }, BUILDER_KEY);
      // A builder publishes once its block is out; give the node's head poll time to see it.
      const node = nodes[via]!;
      await waitFor(
        () => ((node.clock.currentSlot() ?? -1n) >= observation.slot ? true : undefined),
        10_000,
        "head",
      );
      await node.submitCommitment(signed);
    },
    async anchoredRoot(slot) {
      const r = await wallet.readContract({
        address: anchorAddress,
        abi: OcpAnchor.abi,
        functionName: "anchored",
        args: [toHex(stream), slot],
      });
      return /^0x0+$/.test(r) ? undefined : r;
    },
    async setActivationLead(lead) {
      const owner = anvilOwner(anvil.rpcUrl);
      await owner.waitForTransactionReceipt({
        hash: await owner.writeContract({
          address: anchorAddress,
          abi: OcpAnchor.abi,
          functionName: "setSlotClock",
          args: [0n, 0n, lead],
        }),
        pollingInterval: ANVIL_POLLING_MS,
      });
    },
    async waitMeshed(minPeers, ms = 20_000) {
      await waitFor(
        () => nodes.every((n) => (n?.network.getPeers().length ?? 0) >= minPeers) || undefined,
        ms,
        `every node with ${minPeers} peers`,
      );
    },
    waitAnchored(slot, ms = 30_000) {
      return waitFor(() => cluster.anchoredRoot(slot), ms, `anchor of slot ${slot}`);
    },
    async stop() {
      await Promise.all(nodes.map((n) => n?.stop()));
      await anvil.stop();
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    },
  };
  try {
    for (let i = 0; i < opts.nodes; i++) await cluster.startNode(i);
  } catch (e) {
    await Promise.all(nodes.map((n) => n?.stop()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
    throw e;
  }
  return cluster;
}

export { waitFor };

export function signerCount(signers: Uint8Array, n: number): number {
  let c = 0;
  for (let i = 0; i < n; i++) if (getBit(signers, i)) c++;
  return c;
}

export { observationRoot };
