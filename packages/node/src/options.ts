// NodeOptions: every domain's options gathered in one object; the CLI
// deep-merges a config file and flags over `defaultNodeOptions`.
import type { VerifierSetData } from "@ocp/protocol";
import type { AnchorOptions } from "./anchor/service.js";
import type { ApiOptions } from "./api/server.js";
import type { ChainPipelineOptions } from "./chain/pipeline.js";
import type { CheckersOptions } from "./checkers/index.js";
import type { SlotMapping } from "./checkers/observe.js";
import type { RetentionOptions } from "./db/retention.js";
import type { NodeMetricsOptions } from "./metrics/node.js";
import type { NetworkOptionsInput } from "./network/options.js";
import type { DoppelgangerOptions } from "./signer/doppelganger.js";

export interface StreamOptions {
  /** Short name for logs and metrics. */
  name: string;
  l1ChainId: number;
  /** The EEZ table contract whose postAndVerifyBatch calls make the table. */
  tableContract: `0x${string}`;
}

export interface L1Options {
  rpcUrls: string[];
  /** RPCs that must return the same block and digest. @default 1 */
  agreement: number;
  /** Blocks on top of a slot's block before it is read. @default 1 */
  confirmations: number;
  /** @default 5000 */
  rpcTimeoutMs: number;
  /** @default block-number */
  slots: SlotMapping;
  /** Head polling in block-number mode. @default 500 */
  pollIntervalMs: number;
  /**
   * WebSocket JSON-RPC URL of an L1 node (block-number mode): new heads are
   * pushed (`eth_subscribe("newHeads")`) instead of waiting for the next poll;
   * polling drops to a slow safety net while the subscription is live.
   */
  wsUrl?: string;
}

export interface ProposalOptions {
  /**
   * How long after a slot's block is confirmed the node waits for a matching
   * builder commitment before it attests to its own observation.
   * @default 1000
   */
  selfProposeDelayMs: number;
  /**
   * Slots a pending decision is retried (RPC trouble, not yet confirmed). A
   * decided slot still waiting for a commitment when the chain is this far
   * past it is self-proposed then. @default 16
   */
  maxPendingSlots: number;
}

/** What /readyz requires (api/readiness.ts). */
export interface ReadinessOptions {
  /** Connected peers needed to be ready. @default 1 */
  minPeers: number;
  /**
   * Oldest acceptable L1 head: the last head the RPC returned (polled or
   * pushed) must be younger than this.
   * @default 30000 — several polls and, on Ethereum, more than two slots
   */
  l1HeadMaxAgeMs: number;
  /** Verifier keys that must be loaded; unset = every key given to the node. */
  minKeys?: number;
}

export interface SyncOptions {
  /** Periodic gap filling with certificates_by_range; a tick without gaps sends nothing. @default 10_000 */
  intervalMs: number;
  /** How far back (slots) a node fills certificate gaps. @default 64 */
  lookbackSlots: number;
}

export interface SetsFromAnchorOptions {
  rpcUrl: string;
  /** Periodic refresh. @default 32 (half the contract's default activation lead of 64) */
  refreshSlots?: number;
  /**
   * Refreshes asked for by messages naming an unknown set id are at most this
   * frequent (a peer cannot make the node hammer its RPC). @default 2000
   */
  minRefreshIntervalMs?: number;
}

/** The optional anchorer role (see anchor/service.ts). */
export type NodeAnchorOptions = Partial<AnchorOptions> & Pick<AnchorOptions, "rpcUrl" | "index">;

export interface NodeOptions {
  /** Directory of the node's LevelDB. */
  dataDir: string;
  network: NetworkOptionsInput;
  /** EIP-712 domain: the anchor chain and the OcpAnchor address. */
  domain: { chainId: number; verifyingContract: `0x${string}` };
  streams: StreamOptions[];
  l1: L1Options;
  /** Verifier sets (JSON form, parsed), when the node runs without an anchor chain. */
  verifierSets: VerifierSetData[];
  /**
   * Learn verifier sets from OcpAnchor (`domain.verifyingContract`) through this
   * RPC at start and every `refreshSlots` slots (rotations). Sets from files and
   * from the contract are merged by set id.
   */
  setsFromAnchor?: SetsFromAnchorOptions;
  proposal: ProposalOptions;
  doppelganger: Partial<DoppelgangerOptions>;
  retention: Partial<RetentionOptions>;
  chain: Partial<ChainPipelineOptions>;
  sync: SyncOptions;
  readiness: ReadinessOptions;
  /** Anchor certificates on OcpAnchor (needs `NodeModules.anchorPrivateKey`). */
  anchor?: NodeAnchorOptions;
  /** The HTTP API (api/server.ts); not served when absent. */
  api?: Partial<ApiOptions>;
  /** Optional costly checkers (checkers/index.ts `createCheckers`); none when absent. */
  checkers?: CheckersOptions;
  /** Process metrics and their sampling (metrics/node.ts `defaultNodeMetricsOptions`). */
  metrics?: Partial<Omit<NodeMetricsOptions, "dataDir">>;
}

export const defaultNodeOptions = {
  l1: {
    agreement: 1,
    confirmations: 1,
    rpcTimeoutMs: 5000,
    slots: { mode: "block-number" } as SlotMapping,
    pollIntervalMs: 500,
  },
  proposal: { selfProposeDelayMs: 1000, maxPendingSlots: 16 },
  doppelganger: { enabled: true, windowSlots: 2 },
  retention: {},
  chain: {},
  sync: { intervalMs: 10_000, lookbackSlots: 64 },
  readiness: { minPeers: 1, l1HeadMaxAgeMs: 30_000 },
} satisfies Partial<{ [K in keyof NodeOptions]: Partial<NodeOptions[K]> }>;

export type NodeOptionsInput = Pick<NodeOptions, "dataDir" | "domain" | "streams" | "verifierSets"> & {
  network?: NetworkOptionsInput;
  l1: Partial<L1Options> & { rpcUrls: string[] };
  proposal?: Partial<ProposalOptions>;
  doppelganger?: Partial<DoppelgangerOptions>;
  retention?: Partial<RetentionOptions>;
  chain?: Partial<ChainPipelineOptions>;
  sync?: Partial<SyncOptions>;
  readiness?: Partial<ReadinessOptions>;
  anchor?: NodeAnchorOptions;
  api?: Partial<ApiOptions>;
  checkers?: CheckersOptions;
  setsFromAnchor?: SetsFromAnchorOptions;
  metrics?: Partial<Omit<NodeMetricsOptions, "dataDir">>;
};

export function resolveNodeOptions(input: NodeOptionsInput): NodeOptions {
  return {
    dataDir: input.dataDir,
    network: input.network ?? {},
    domain: input.domain,
    streams: input.streams,
    verifierSets: input.verifierSets,
    l1: { ...defaultNodeOptions.l1, ...input.l1 },
    proposal: { ...defaultNodeOptions.proposal, ...input.proposal },
    doppelganger: { ...defaultNodeOptions.doppelganger, ...input.doppelganger },
    retention: { ...defaultNodeOptions.retention, ...input.retention },
    chain: { ...defaultNodeOptions.chain, ...input.chain },
    sync: { ...defaultNodeOptions.sync, ...input.sync },
    readiness: { ...defaultNodeOptions.readiness, ...input.readiness },
    ...(input.anchor ? { anchor: input.anchor } : {}),
    ...(input.setsFromAnchor ? { setsFromAnchor: input.setsFromAnchor } : {}),
    ...(input.api ? { api: input.api } : {}),
    ...(input.checkers ? { checkers: input.checkers } : {}),
    ...(input.metrics ? { metrics: input.metrics } : {}),
  };
}
