// Over 500 lines: one declaration per node.json field (about 200), kept in one place on purpose.
// The `node.json` schema, declared once: it gives the file's TypeScript type
// (Static), its validation (config.ts), the defaults shown to operators and the
// README's configuration table (configDocs.ts). Defaults come from the node's
// own default objects where the lean `@ocp/node` entry exports them; the API's
// and the anchorer's are written here (their modules load fastify and viem,
// which `ocp node start` must not load) and a test compares them.
import {
  defaultAggregatorOptions,
  defaultAttestationPoolOptions,
  defaultBlsVerifierOptions,
  defaultCertificatePoolOptions,
  defaultCommitmentPoolOptions,
  defaultExecCheckerOptions,
  defaultGossipScoreThresholds,
  defaultNetworkOptions,
  defaultNodeMetricsOptions,
  defaultNodeOptions,
  defaultProofCheckerOptions,
  defaultRetentionOptions,
  defaultScoringOptions,
  defaultSeenCacheOptions,
  defaultValidationOptions,
  MIN_SEND_BACKLOG_BYTES,
  REQRESP_PROTOCOLS,
  ReqRespProtocolName,
} from "@ocp/node";
import {
  FormatRegistry,
  type SchemaOptions,
  type Static,
  type TObject,
  type TProperties,
  type TSchema,
  Type,
} from "@sinclair/typebox";

/**
 * Annotations this schema adds to JSON Schema: `expected` words a value the
 * generic message would describe badly; `defaultText` documents a default that
 * is computed at run time rather than a constant.
 */
export interface ConfigAnnotations {
  expected?: string;
  defaultText?: string;
}

function isUrl(v: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(v).protocol);
  } catch {
    return false;
  }
}
FormatRegistry.Set("http-url", (v) => isUrl(v, ["http:", "https:"]));
FormatRegistry.Set("ws-url", (v) => isUrl(v, ["ws:", "wss:"]));

type Doc = SchemaOptions & ConfigAnnotations;
const doc = (description: string, extra: Doc = {}): Doc => ({ description, ...extra });

/** An object that rejects keys it does not declare. */
const section = <T extends TProperties>(description: string, props: T, extra: Doc = {}): TObject<T> =>
  Type.Object(props, { ...doc(description, extra), additionalProperties: false });

const int = (min: number, description: string, extra: Doc = {}) =>
  Type.Integer({ minimum: min, maximum: Number.MAX_SAFE_INTEGER, ...doc(description, extra) });
/** Durations and rates: fractions allowed (a devnet slot of 1.5 s gives 750 ms waits). */
const num = (min: number, description: string, extra: Doc = {}) =>
  Type.Number({ minimum: min, ...doc(description, extra) });
const str = (description: string, extra: Doc = {}) =>
  Type.String({ minLength: 1, expected: "a non-empty string", ...doc(description, extra) });
const bool = (description: string, extra: Doc = {}) => Type.Boolean(doc(description, extra));
const httpUrl = (description: string, extra: Doc = {}) =>
  Type.String({ format: "http-url", expected: "an http(s) URL", ...doc(description, extra) });
const ADDRESS = "^0x[0-9a-fA-F]{40}$";
const address = (description: string) =>
  Type.String({ pattern: ADDRESS, expected: "a 0x-prefixed 20-byte address", ...doc(description) });
const multiaddrs = (description: string, needPeerId: boolean, def?: string[]) =>
  Type.Array(
    needPeerId
      ? Type.String({ pattern: "^/.*/p2p/[^/]+$", expected: "a multiaddr ending in /p2p/<peer id>" })
      : Type.String({ pattern: "^/", expected: "a multiaddr such as /ip4/127.0.0.1/tcp/9000" }),
    doc(description, def === undefined ? {} : { default: def }),
  );
const opt = Type.Optional;
/** A default computed at start rather than a constant. */
const derived = (how: string): Doc => ({ defaultText: `derived ${how}` });

const net = defaultNetworkOptions;
const gossip = net.gossip;
const thresholds = defaultGossipScoreThresholds;
const reqResp = net.reqResp;
const scoring = defaultScoringOptions;

const bucket = (what: string, d: { perSecond: number; burst: number } | undefined) =>
  opt(
    section(`${what} (both fields when set)`, {
      perSecond: num(0, "sustained requests per second", { default: d?.perSecond }),
      burst: num(1, "requests allowed back to back", { default: d?.burst }),
    }),
  );
const rateLimit = (name: ReqRespProtocolName) =>
  bucket(`per-peer token bucket of \`${name}\` requests`, REQRESP_PROTOCOLS[name].rateLimit);
const totalRateLimit = (name: ReqRespProtocolName) =>
  bucket(`token bucket of \`${name}\` requests over all peers`, REQRESP_PROTOCOLS[name].totalRateLimit);

export const GossipSchema = section(
  "gossipsub degrees, limits and score overrides (`packages/node/src/network/options.ts`)",
  {
    // Defaults of network/host.ts (Ethereum consensus p2p spec values).
    D: opt(int(1, "mesh degree", { default: 8 })),
    Dlo: opt(int(0, "mesh degree low watermark", { default: 6 })),
    Dhi: opt(int(1, "mesh degree high watermark", { default: 12 })),
    Dlazy: opt(int(0, "peers sent IHAVE gossip each heartbeat", { default: 6 })),
    heartbeatIntervalMs: opt(num(1, "gossipsub heartbeat", { default: 700 })),
    floodPublish: opt(bool("own messages go to every topic peer, not only the mesh", { default: true })),
    idontwantMinDataSize: opt(
      int(0, "received messages this large or larger are announced with IDONTWANT", { default: 512 }),
    ),
    maxInboundRpcBytes: opt(
      int(1, "largest RPC frame accepted from a peer, bytes", { default: gossip.maxInboundRpcBytes }),
    ),
    rpcLimits: opt(
      section("element counts allowed in one RPC", {
        maxSubscriptions: opt(int(0, "(un)subscriptions", { default: gossip.rpcLimits.maxSubscriptions })),
        maxMessages: opt(int(0, "messages", { default: gossip.rpcLimits.maxMessages })),
        maxIhaveMessageIDs: opt(
          int(0, "IHAVE message ids", { default: gossip.rpcLimits.maxIhaveMessageIDs }),
        ),
        maxIwantMessageIDs: opt(
          int(0, "IWANT message ids", { default: gossip.rpcLimits.maxIwantMessageIDs }),
        ),
        maxIdontwantMessageIDs: opt(
          int(0, "IDONTWANT message ids", { default: gossip.rpcLimits.maxIdontwantMessageIDs }),
        ),
        maxControlMessages: opt(
          int(0, "control messages of each kind", { default: gossip.rpcLimits.maxControlMessages }),
        ),
        maxPeerInfos: opt(int(0, "peer exchange records", { default: gossip.rpcLimits.maxPeerInfos })),
      }),
    ),
    maxPendingValidations: opt(
      int(1, "messages in validation at once; more are IGNOREd", { default: gossip.maxPendingValidations }),
    ),
    maxPendingValidationsPerPeer: opt(
      int(1, "the same, per forwarding peer", { default: gossip.maxPendingValidationsPerPeer }),
    ),
    validationTimeoutMs: opt(
      num(1, "a validation still running after this is IGNOREd", { default: gossip.validationTimeoutMs }),
    ),
    futureHoldSlots: opt(
      int(
        0,
        "a message for a slot not started here yet, at most this many slots past the tolerance, is held until it starts (0: IGNOREd at once)",
        {
          default: gossip.futureHoldSlots,
        },
      ),
    ),
    futureHoldMax: opt(
      int(0, "messages held for their slot or a set refresh at once; more are IGNOREd", {
        default: gossip.futureHoldMax,
      }),
    ),
    futureHoldMaxPerPeer: opt(
      Type.Integer({
        minimum: 0,
        // Below the backlog at which a peer's gossip stream stops being read
        // (GOSSIP_PEER_BACKLOG_PAUSE, 256): held messages alone never pause a peer.
        maximum: 128,
        ...doc("the same, per forwarding peer (at most 128)", { default: gossip.futureHoldMaxPerPeer }),
      }),
    ),
    futureHoldMs: opt(
      num(1, "a held message whose slot has not started after this is IGNOREd", {
        default: gossip.futureHoldMs,
      }),
    ),
    ignoreBudget: opt(
      section("gossip messages a peer may have IGNOREd before each further one costs it ignorePenalty", {
        burst: opt(int(0, "at once", { default: gossip.ignoreBudget.burst })),
        perSecond: opt(num(0, "sustained, per second", { default: gossip.ignoreBudget.perSecond })),
      }),
    ),
    unknownSetHoldMs: opt(
      num(
        0,
        "a message under a verifier set not held here waits up to this long for a successful set refresh from the anchor, then is validated again (0: IGNOREd at once)",
        { default: gossip.unknownSetHoldMs },
      ),
    ),
    // Bounds of gossipsub's validatePeerScoreParams: weights are penalties (≤ 0).
    // Defaults: network/scoring.ts derivePeerScoreParams.
    scoreParams: opt(
      section("overrides of gossipsub's global peer score params (topic params are derived)", {
        topicScoreCap: opt(num(0, "cap on the sum of topic scores", derived("from the topic score params"))),
        appSpecificWeight: opt(
          num(0, "weight of the application score (req/resp and RPC penalties)", { default: 1 }),
        ),
        IPColocationFactorWeight: opt(
          Type.Number({
            maximum: 0,
            ...doc(
              "penalty weight of peers sharing an IP (≤ 0)",
              derived("-topicScoreCap, 0 with `localNetwork`"),
            ),
          }),
        ),
        IPColocationFactorThreshold: opt(
          num(
            1,
            "peers on one IP before the colocation penalty",
            derived("`network.scoring.ipColocationThreshold`"),
          ),
        ),
        behaviourPenaltyWeight: opt(
          Type.Number({
            maximum: 0,
            ...doc("weight of the behaviour penalty (≤ 0)", derived("gossipThreshold / 36")),
          }),
        ),
        behaviourPenaltyThreshold: opt(num(0, "behaviour penalty counted above this", { default: 6 })),
        behaviourPenaltyDecay: opt(
          Type.Number({
            exclusiveMinimum: 0,
            exclusiveMaximum: 1,
            ...doc("decay of the behaviour penalty", derived("to 1 % in 10 slots")),
          }),
        ),
        decayInterval: opt(num(1000, "score decay period, ms", { default: 1000 })),
        decayToZero: opt(
          Type.Number({
            exclusiveMinimum: 0,
            exclusiveMaximum: 1,
            ...doc("a decayed counter below this is 0", { default: 0.01 }),
          }),
        ),
        retainScore: opt(num(0, "how long a disconnected peer's score is kept, ms", { default: 3_600_000 })),
      }),
    ),
    // Negative by design: gossipsub orders them 0 ≥ gossip ≥ publish ≥ graylist.
    scoreThresholds: opt(
      section("overrides of the gossipsub score thresholds", {
        gossipThreshold: opt(
          Type.Number({
            maximum: 0,
            ...doc("below it a peer gets no gossip (≤ 0)", { default: thresholds.gossipThreshold }),
          }),
        ),
        publishThreshold: opt(
          Type.Number({
            maximum: 0,
            ...doc("below it own messages are not published to the peer (≤ gossipThreshold)", {
              default: thresholds.publishThreshold,
            }),
          }),
        ),
        graylistThreshold: opt(
          Type.Number({
            maximum: 0,
            ...doc("below it the peer's RPCs are ignored and it is banned (≤ publishThreshold)", {
              default: thresholds.graylistThreshold,
            }),
          }),
        ),
        acceptPXThreshold: opt(
          num(0, "peer exchange accepted from peers above it", { default: thresholds.acceptPXThreshold }),
        ),
        opportunisticGraftThreshold: opt(
          num(0, "median mesh score below which better peers are grafted", {
            default: thresholds.opportunisticGraftThreshold,
          }),
        ),
      }),
    ),
  },
);

export const ReqRespSchema = section("req/resp timeouts, concurrency and rate limits", {
  dialTimeoutMs: opt(num(1, "time to open a stream", { default: reqResp.dialTimeoutMs })),
  ttfbTimeoutMs: opt(num(1, "time to the first response byte", { default: reqResp.ttfbTimeoutMs })),
  respTimeoutMs: opt(num(1, "time for a whole response", { default: reqResp.respTimeoutMs })),
  requestTimeoutMs: opt(
    num(1, "time for a requester to send its request", { default: reqResp.requestTimeoutMs }),
  ),
  maxConcurrentInboundPerPeer: opt(
    int(1, "concurrent inbound streams per peer", { default: reqResp.maxConcurrentInboundPerPeer }),
  ),
  maxConcurrentTableResponses: opt(
    int(1, "`table_by_digest` responses in progress at once over all peers (one per peer)", {
      default: reqResp.maxConcurrentTableResponses,
    }),
  ),
  rateLimits: opt(
    section("per-peer rate limits by protocol", {
      [ReqRespProtocolName.status]: rateLimit(ReqRespProtocolName.status),
      [ReqRespProtocolName.tableByDigest]: rateLimit(ReqRespProtocolName.tableByDigest),
      [ReqRespProtocolName.certificatesByRange]: rateLimit(ReqRespProtocolName.certificatesByRange),
    }),
  ),
  totalRateLimits: opt(
    section("rate limits over all peers by protocol (more requests are answered busy, uncharged)", {
      [ReqRespProtocolName.tableByDigest]: totalRateLimit(ReqRespProtocolName.tableByDigest),
      [ReqRespProtocolName.certificatesByRange]: totalRateLimit(ReqRespProtocolName.certificatesByRange),
    }),
  ),
});

export const ScoringSchema = section("peer scoring rates and penalties", {
  slotSeconds: opt(
    num(0.001, "seconds per slot; the rates below are per slot", { default: scoring.slotSeconds }),
  ),
  streams: opt(int(1, "streams carried by the network", { default: scoring.streams })),
  expectedVerifiers: opt(
    int(1, "verifier keys in the governing set", { default: scoring.expectedVerifiers }),
  ),
  expectedBuilders: opt(int(1, "builders publishing commitments", { default: scoring.expectedBuilders })),
  rejectsToGraylist: opt(
    num(1, "REJECTs on one topic that take a best-scored peer to the graylist", {
      default: scoring.rejectsToGraylist,
    }),
  ),
  invalidDecaySlots: opt(
    num(1, "decay of the invalid-message counter", { default: scoring.invalidDecaySlots }),
  ),
  firstDeliveryDecaySlots: opt(
    num(1, "decay of first-delivery credit", { default: scoring.firstDeliveryDecaySlots }),
  ),
  ipColocationThreshold: opt(
    num(1, "peers on one IP before the colocation penalty", { default: scoring.ipColocationThreshold }),
  ),
  checkIntervalMs: opt(num(1, "graylist check period", { default: scoring.checkIntervalMs })),
  graylistBanMs: opt(num(0, "ban of a graylisted peer", { default: scoring.graylistBanMs })),
  rateLimitPenalty: opt(
    num(0, "application score per rate-limited request", { default: scoring.rateLimitPenalty }),
  ),
  badRpcPenalty: opt(
    num(
      0,
      "application score per RPC frame dropped unread, and per stream reset before its protocol is agreed",
      { default: scoring.badRpcPenalty },
    ),
  ),
  ignorePenalty: opt(
    num(0, "application score per gossip message IGNOREd beyond the peer's allowance", {
      default: scoring.ignorePenalty,
    }),
  ),
  rejectPenalty: opt(
    num(0, "application score per REJECT gossipsub's own penalty cannot see", {
      default: scoring.rejectPenalty,
    }),
  ),
  blsFailurePenalty: opt(
    num(0, "application score per failed BLS batch of a peer", { default: scoring.blsFailurePenalty }),
  ),
  penaltyHalfLifeMs: opt(
    num(1, "half-life of the application penalty", { default: scoring.penaltyHalfLifeMs }),
  ),
});

export const NetworkSchema = section("libp2p options (`network.*` below)", {
  network: opt(
    Type.String({
      pattern: "^[A-Za-z0-9._-]{1,64}$",
      expected: "1 to 64 of A-Z a-z 0-9 . _ -",
      ...doc("network name, part of every gossip topic", { default: net.network }),
    }),
  ),
  listenAddrs: opt(multiaddrs("libp2p listen multiaddrs", false, net.listenAddrs)),
  announceAddrs: opt(multiaddrs("addresses to announce instead", false, net.announceAddrs)),
  bootstrapPeers: opt(
    multiaddrs(
      "multiaddrs with `/p2p/<id>`, dialed at start and redialed with backoff while below `targetPeers`",
      true,
      net.bootstrapPeers,
    ),
  ),
  targetPeers: opt(
    int(
      0,
      "connected peers below which bootstrap peers are redialed (peers learned by peer exchange are dialed only below gossipsub's `D_lo`, 6)",
      { default: net.targetPeers },
    ),
  ),
  staticPeers: opt(multiaddrs("multiaddrs kept connected (redialed with backoff)", true, net.staticPeers)),
  peerExchange: opt(
    bool(
      "gossipsub peer exchange: our PRUNEs carry other peers' signed records; PX from bootstrap and static peers (or peers scoring ≥ `acceptPXThreshold`) is dialed. Peers that passed Status are redialed at their announced address after they drop, while below `targetPeers`",
      {
        default: net.peerExchange,
      },
    ),
  ),
  localNetwork: opt(
    bool("all peers on one IP (devnets): lifts per-host limits", { default: net.localNetwork }),
  ),
  maxConnections: opt(int(1, "upper bound on open connections", { default: net.maxConnections })),
  maxConnectionsPerIp: opt(
    int(1, "inbound connections from one IP (`16384` with `localNetwork`)", {
      default: net.maxConnectionsPerIp,
    }),
  ),
  dialTimeoutMs: opt(int(1, "time to dial a peer", { default: net.dialTimeoutMs })),
  pingIntervalMs: opt(
    int(
      1,
      "a connection nothing arrived on for this long is pinged (by one end; busy links never are); a failed ping closes it. Sets the idle CPU per peer",
      { default: net.pingIntervalMs },
    ),
  ),
  pingTimeoutMs: opt(
    int(
      1,
      "longest a ping may take; a dead peer is dropped within `1.5 × pingIntervalMs + pingTimeoutMs` of the last thing it sent",
      { default: net.pingTimeoutMs },
    ),
  ),
  writeCoalesceMs: opt(
    int(
      0,
      "writes to a connection are joined until the job that made them ends (`0`) or, on a busy connection, until this many ms after its last write (the first write after a quiet window goes at once): fewer frames and packets for up to that much latency per hop",
      { default: net.writeCoalesceMs },
    ),
  ),
  knownPeersSaveIntervalMs: opt(
    int(
      0,
      "the connected peers worth redialing after a crash (past Status, score ≥ 0) are saved this often when they changed, and at stop; `0`: at stop only",
      { default: net.knownPeersSaveIntervalMs },
    ),
  ),
  staticPeerRedialMinMs: opt(
    int(1, "static peer redial backoff, first delay", { default: net.staticPeerRedialMinMs }),
  ),
  staticPeerRedialMaxMs: opt(
    int(1, "static peer redial backoff, maximum", { default: net.staticPeerRedialMaxMs }),
  ),
  statusAttempts: opt(
    int(1, "Status requests on connect before giving up on a peer", { default: net.statusAttempts }),
  ),
  banDurationMs: opt(
    int(1, "default ban length (by peer id, and by IP outside local networks)", {
      default: net.banDurationMs,
    }),
  ),
  statusFailureBanMs: opt(
    int(0, "ban of a non-static peer that never completes Status; `0` only disconnects", {
      default: net.statusFailureBanMs,
    }),
  ),
  maxSendBacklogBytes: opt(
    int(
      MIN_SEND_BACKLOG_BYTES,
      "unsent bytes held for one peer (per stream, per connection) before it is dropped and banned as not reading; at least 131072",
      { default: net.maxSendBacklogBytes },
    ),
  ),
  sendBacklogBanMs: opt(
    int(0, "ban of a peer dropped for unsent bytes over `maxSendBacklogBytes`; `0` only disconnects", {
      default: net.sendBacklogBanMs,
    }),
  ),
  gossip: opt(GossipSchema),
  reqResp: opt(ReqRespSchema),
  scoring: opt(ScoringSchema),
});

const l1 = defaultNodeOptions.l1;
export const L1Schema = section("L1 reading (`l1.*` below)", {
  rpcUrls: Type.Array(Type.String({ format: "http-url", expected: "an http(s) URL" }), {
    minItems: 1,
    ...doc("L1 JSON-RPC URLs"),
  }),
  agreement: opt(
    int(1, "RPCs that must return the same block and digest (at most the number of `rpcUrls`)", {
      default: l1.agreement,
    }),
  ),
  confirmations: opt(
    int(0, "blocks on top of a slot's block before it is read", { default: l1.confirmations }),
  ),
  rpcTimeoutMs: opt(int(1, "per RPC request", { default: l1.rpcTimeoutMs })),
  slots: opt(
    Type.Union(
      [
        section("", { mode: Type.Literal("block-number") }),
        section("", {
          mode: Type.Literal("beacon-time"),
          genesisTime: int(0, "unix seconds of slot 0"),
          secondsPerSlot: int(1, "seconds per slot"),
        }),
      ],
      doc('slot ↔ block: `block-number`, or `{mode:"beacon-time", genesisTime, secondsPerSlot}`', {
        default: l1.slots,
      }),
    ),
  ),
  pollIntervalMs: opt(int(1, "head polling in block-number mode", { default: l1.pollIntervalMs })),
  wsUrl: opt(
    Type.String({
      format: "ws-url",
      expected: "a ws(s) URL",
      ...doc(
        'WebSocket JSON-RPC URL: new heads pushed by `eth_subscribe("newHeads")` (block-number mode); polling drops to every 5 s while subscribed',
      ),
    }),
  ),
});

export const DomainSchema = section(
  "EIP-712 domain: `{chainId, verifyingContract}` of the anchor chain and the `OcpAnchor` address",
  {
    name: opt(Type.Literal("ocp", doc('always `"ocp"`'))),
    version: opt(Type.Literal("1", doc('always `"1"`'))),
    chainId: int(1, "anchor chain id"),
    verifyingContract: address("`OcpAnchor` address"),
  },
);

export const StreamSchema = section("", {
  name: str("short name for logs and metrics, unique"),
  l1ChainId: int(1, "chain id of the L1 carrying the table contract"),
  tableContract: address("the EEZ table contract"),
});

const proposal = defaultNodeOptions.proposal;
const validation = defaultValidationOptions;
const bls = defaultBlsVerifierOptions;

export const ChainSchema = section(
  "pipeline internals (pool sizes, BLS batching); see `packages/node/src/chain/pipeline.ts`",
  {
    validation: opt(
      section("gossip validation", {
        retentionSlots: opt(
          int(1, "slots behind the current one gossip still carries", {
            default: validation.retentionSlots,
          }),
        ),
        maxCommitmentsPerBuilderPerSlot: opt(
          int(1, "distinct commitments one builder may publish per slot", {
            default: validation.maxCommitmentsPerBuilderPerSlot,
          }),
        ),
        builderAllowlist: opt(
          Type.Array(Type.String({ pattern: ADDRESS, expected: "a 0x-prefixed 20-byte address" }), {
            ...doc(
              "the builders (0x addresses) whose commitments are relayed, pooled and stored; any other builder's commitment is checked only within the small budgets below, with a plain signature recovery, and counts only when it is this node's own observation. With no builder listed, nodes certify by self-proposal",
            ),
          }),
        ),
        unlistedBuildersPerSlot: opt(
          int(0, "unlisted builders' commitments checked per slot, all peers together", {
            default: validation.unlistedBuildersPerSlot,
          }),
        ),
        unlistedBuildersPerPeerPerSlot: opt(
          int(0, "the same, per peer", { default: validation.unlistedBuildersPerPeerPerSlot }),
        ),
        maxBuilderEvidencePerSlot: opt(
          int(0, "builder equivocation evidence held per slot", {
            default: validation.maxBuilderEvidencePerSlot,
          }),
        ),
      }),
    ),
    blsVerifier: opt(
      section("BLS batch verification", {
        maxBufferedSets: opt(int(1, "flush once this many sets wait", { default: bls.maxBufferedSets })),
        maxBufferWaitMs: opt(num(0, "longest a set waits for others", { default: bls.maxBufferWaitMs })),
        bigBatchSets: opt(int(1, "sets from which the wait shrinks", { default: bls.bigBatchSets })),
        bigBatchWaitMs: opt(num(0, "the shrunk wait", { default: bls.bigBatchWaitMs })),
        maxMultiSetSets: opt(
          int(1, "most distinct-message sets in one library call", { default: bls.maxMultiSetSets }),
        ),
        singleChecksPerFailedPeer: opt(
          int(0, "single checks spent on a peer whose batch failed", {
            default: bls.singleChecksPerFailedPeer,
          }),
        ),
        maxFailuresPerPeer: opt(
          int(1, "failures in the window before a peer's sets are dropped", {
            default: bls.maxFailuresPerPeer,
          }),
        ),
        peerFailureWindowMs: opt(num(1, "window of those failures", { default: bls.peerFailureWindowMs })),
      }),
    ),
    aggregator: opt(
      section("certificate aggregation", {
        upgradeIntervalMs: opt(
          num(0, "shortest time between two certificates of one group", {
            default: defaultAggregatorOptions.upgradeIntervalMs,
          }),
        ),
        upgradeJitterMs: opt(
          num(0, "random extra wait before an upgrade, at most", {
            default: defaultAggregatorOptions.upgradeJitterMs,
          }),
        ),
        rankDelayMs: opt(
          num(0, "wait per place in the slot's order before gossiping a certificate built here", {
            default: defaultAggregatorOptions.rankDelayMs,
          }),
        ),
        maxRankDelayMs: opt(
          num(0, "longest wait from the place in the order", {
            default: defaultAggregatorOptions.maxRankDelayMs,
          }),
        ),
      }),
    ),
    seen: opt(
      section("seen-message cache", {
        maxEntries: opt(int(1, "keys held over all slots", { default: defaultSeenCacheOptions.maxEntries })),
      }),
    ),
    commitmentPool: opt(
      section("commitment pool", {
        maxPerSlot: opt(int(1, "commitments per slot", { default: defaultCommitmentPoolOptions.maxPerSlot })),
        maxTotal: opt(
          int(1, "commitments over all slots", { default: defaultCommitmentPoolOptions.maxTotal }),
        ),
        maxUnlistedPerSlot: opt(
          int(0, "unlisted builders' commitments per slot", {
            default: defaultCommitmentPoolOptions.maxUnlistedPerSlot,
          }),
        ),
      }),
    ),
    attestationPool: opt(
      section("attestation pool", {
        maxTotal: opt(
          int(1, "attestations over all slots", { default: defaultAttestationPoolOptions.maxTotal }),
        ),
      }),
    ),
    certificatePool: opt(
      section("certificate pool", {
        maxRootsPerSlot: opt(
          int(1, "distinct roots per slot", { default: defaultCertificatePoolOptions.maxRootsPerSlot }),
        ),
        maxSlots: opt(int(1, "slots held", { default: defaultCertificatePoolOptions.maxSlots })),
      }),
    ),
  },
);

const proof = defaultProofCheckerOptions;
const exec = defaultExecCheckerOptions;
export const CheckersSchema = section("optional costly checkers; see `packages/node/src/checkers/`", {
  proof: opt(
    section("verify the batch's proofs through pinned proof systems", {
      proofSystems: Type.Record(
        Type.String({ pattern: ADDRESS }),
        section("", {
          vks: Type.Record(
            Type.String({ pattern: "^(0|[1-9][0-9]*)$" }),
            Type.String({ pattern: "^0x[0-9a-fA-F]{64}$", expected: "0x + 32 bytes" }),
            { additionalProperties: false, expected: "an object of rollup id (decimal) → 0x + 32-byte vk" },
          ),
        }),
        {
          additionalProperties: false,
          expected: "an object of proof-system address → {vks}",
          ...doc("`{<proof system address>: {vks: {<rollup id>: <0x 32-byte vk>}}}`"),
        },
      ),
      rpcUrl: opt(httpUrl("RPC for block hashes and eth_call", { defaultText: "the first `l1.rpcUrls`" })),
      rpcTimeoutMs: opt(int(1, "per RPC request", { default: proof.rpcTimeoutMs })),
      allowUnproven: opt(bool("let a batch without any proof system pass", { default: proof.allowUnproven })),
      maxCachedResults: opt(int(0, "(block, digest) results kept", { default: proof.maxCachedResults })),
      maxConcurrentCalls: opt(
        int(1, "eth_calls in flight for one table", { default: proof.maxConcurrentCalls }),
      ),
    }),
  ),
  exec: opt(
    section("run a program on each table", {
      command: str("program to run (absolute path, or a name looked up in PATH)"),
      args: opt(Type.Array(Type.String(), doc("its arguments", { default: exec.args }))),
      timeoutMs: opt(int(1, "wall-clock limit per run", { default: exec.timeoutMs })),
      maxOutputBytes: opt(int(1, "stdout + stderr bytes allowed", { default: exec.maxOutputBytes })),
      maxConcurrent: opt(int(1, "runs at once", { default: exec.maxConcurrent })),
      env: opt(
        Type.Record(Type.String(), Type.String(), {
          ...doc("extra environment (the node's own is not inherited)", { default: exec.env }),
        }),
      ),
      cwd: opt(str("working directory", { defaultText: "the node's" })),
      maxCachedResults: opt(int(0, "(block, digest) results kept", { default: exec.maxCachedResults })),
    }),
  ),
});

// Mirrors packages/node/src/api/server.ts defaultApiOptions (compared by a test).
export const ApiSchema = section("the HTTP API (`api.*` below); absent = no API", {
  host: opt(str("bind address", { default: "127.0.0.1" })),
  port: opt(
    Type.Integer({
      minimum: 0,
      maximum: 65535,
      ...doc("`0` = any free port (printed by `--json`)", { default: 0 }),
    }),
  ),
  bearerTokenFile: opt(str("file with the token for write routes; writes are refused without one")),
  bodyLimit: opt(int(1, "largest request body, bytes", { default: 65536 })),
  cors: opt(Type.Array(str("origin"), doc("allowed origins; no CORS headers when unset"))),
  sseHeartbeatMs: opt(int(1, "SSE heartbeat", { default: 15000 })),
  sseMaxBufferedBytes: opt(int(1, "unread SSE bytes before a client is dropped", { default: 1048576 })),
  sseMaxClients: opt(int(1, "concurrent SSE clients", { default: 64 })),
});

// Mirrors packages/node/src/anchor/service.ts defaultAnchorOptions (compared by a test).
export const AnchorSchema = section("the anchorer role (`anchor.*` below); absent = not an anchorer", {
  rpcUrl: httpUrl("anchor chain JSON-RPC URL (chain id and contract come from `domain`)"),
  index: opt(
    int(0, "this anchorer's turn: slot `s` is ours when `s mod count == index` (below `count`)", {
      default: 0,
    }),
  ),
  count: opt(int(1, "anchorers taking turns", { default: 1 })),
  blockTimeMs: opt(
    int(1, "anchor chain block time", {
      defaultText:
        "measured from the last 16 blocks at start and every `anchor.reconcileIntervalMs` after (only blocks not read before are fetched; 12 s if the RPC does not answer)",
    }),
  ),
  fallbackDelayMs: opt(
    int(0, "wait before anchoring a slot that is not ours; below 2 blocks a warning is logged", {
      defaultText: "max(4000, 3 blocks)",
    }),
  ),
  maxFeePerGasWei: opt(
    Type.String({
      pattern: "^[0-9]+$",
      expected: "a decimal string of wei",
      ...doc("fee cap, decimal wei (200 gwei)", { default: "200000000000" }),
    }),
  ),
  gasBumpPercent: opt(int(10, "fee increase per replacement (replacements need ≥ 10 %)", { default: 20 })),
  receiptTimeoutMs: opt(
    int(
      1,
      "wait for a receipt before bumping (and two blocks mined since the send); below 1 block a warning is logged",
      {
        defaultText: "max(6000, 2 blocks)",
      },
    ),
  ),
  maxAttempts: opt(
    int(1, "fee replacements per submission round; the slot stays queued after a failed round", {
      default: 5,
    }),
  ),
  horizonSlots: opt(
    int(1, "a certified slot is retried until anchored or this many slots old", { default: 7200 }),
  ),
  retryMinMs: opt(int(1, "first retry delay of a failed slot; doubles per failure", { default: 1000 })),
  retryMaxMs: opt(int(1, "longest retry delay (not below `retryMinMs`)", { default: 60000 })),
  reconcileIntervalMs: opt(int(100, "the queue is re-read from the database this often", { default: 30000 })),
  reconcileSlots: opt(
    int(0, "at start, stored certificates of this many recent slots without a receipt are queued", {
      default: 64,
    }),
  ),
  keystore: str("V3 keystore of the anchorer's account"),
  passwordFile: opt(str("its password (asked for on the terminal when absent)")),
});

const retention = defaultRetentionOptions;
const sync = defaultNodeOptions.sync;
const readiness = defaultNodeOptions.readiness;
const doppelganger = defaultNodeOptions.doppelganger;
const nodeMetrics = defaultNodeMetricsOptions;

export const NodeConfigSchema = section("", {
  dataDir: str("directory of the node's LevelDB"),
  network: opt(NetworkSchema),
  domain: DomainSchema,
  streams: Type.Array(StreamSchema, {
    minItems: 1,
    ...doc("`[{name, l1ChainId, tableContract}]`: the table contracts the node attests"),
  }),
  l1: L1Schema,
  verifierSets: opt(
    Type.Array(str("file"), doc("verifier set JSON files, when sets are not read from the anchor contract")),
  ),
  setsFromAnchor: opt(
    section(
      "read verifier sets from `OcpAnchor` at start, every `refreshSlots` slots, and at once when a vote, certificate or evidence names an unknown set id; a node signs a slot only when its last refresh began less than the contract's `activationLeadSlots` before it",
      {
        rpcUrl: httpUrl("anchor chain JSON-RPC URL"),
        refreshSlots: opt(int(1, "periodic refresh", { default: 32 })),
        minRefreshIntervalMs: opt(
          int(0, "refreshes asked for by messages are at most this frequent", { default: 2000 }),
        ),
      },
    ),
  ),
  keystores: opt(
    section("EIP-2335 keystores of the node's verifier keys", {
      dir: str("directory of the keystores (`*.json`, loaded in name order)"),
      passwordFile: opt(str("their password (asked for on the terminal when absent)")),
    }),
  ),
  proposal: opt(
    section("self-proposal (`proposal.*` below)", {
      selfProposeDelayMs: opt(
        num(0, "wait after confirmation for a matching builder commitment before self-proposing", {
          default: proposal.selfProposeDelayMs,
        }),
      ),
      maxPendingSlots: opt(
        int(
          1,
          "slots an undecided slot is retried; a decided slot still waiting for a commitment when the chain is this far past it is self-proposed then",
          {
            default: proposal.maxPendingSlots,
          },
        ),
      ),
    }),
  ),
  doppelganger: opt(
    section("doppelganger check (`doppelganger.*` below)", {
      enabled: opt(bool("listen for the node's own keys before signing", { default: doppelganger.enabled })),
      windowSlots: opt(int(0, "slots to listen", { default: doppelganger.windowSlots })),
    }),
  ),
  retention: opt(
    section("pruning", {
      tableRetentionSlots: opt(
        num(0, "keep tables of the last this many slots", {
          default: retention.tableRetentionSlots,
        }),
      ),
      attestationRetentionSlots: opt(
        num(0, "keep attestations and commitments of the last this many slots", {
          default: retention.attestationRetentionSlots,
        }),
      ),
    }),
  ),
  chain: opt(ChainSchema),
  sync: opt(
    section("certificate gap filling (`sync.*` below)", {
      intervalMs: opt(num(1, "periodic certificate gap filling", { default: sync.intervalMs })),
      lookbackSlots: opt(int(0, "how far back gaps are filled", { default: sync.lookbackSlots })),
    }),
  ),
  readiness: opt(
    section("what `GET /readyz` requires (`readiness.*` below)", {
      minPeers: opt(int(0, "connected peers needed to be ready", { default: readiness.minPeers })),
      l1HeadMaxAgeMs: opt(
        int(1, "oldest acceptable L1 head: the RPC must have returned a head this recently", {
          default: readiness.l1HeadMaxAgeMs,
        }),
      ),
      minKeys: opt(
        int(0, "verifier keys that must be loaded", { defaultText: "every keystore in `keystores.dir`" }),
      ),
    }),
  ),
  anchor: opt(AnchorSchema),
  api: opt(ApiSchema),
  checkers: opt(CheckersSchema),
  metrics: opt(
    section("process metrics (`metrics.*` below)", {
      processMetrics: opt(
        bool("prom-client's process metrics (CPU, memory, event loop, GC)", {
          default: nodeMetrics.processMetrics,
        }),
      ),
      eventLoopMonitoringPrecisionMs: opt(
        int(
          1,
          "sampling interval of the event-loop delay histogram (each sample is a timer wakeup: prom-client's 10 ms default cost an idle node about 3.5 ms of CPU per second)",
          {
            default: nodeMetrics.eventLoopMonitoringPrecisionMs,
          },
        ),
      ),
      dbSizeMaxAgeMs: opt(
        int(0, "the database size gauge is recomputed at most this often", {
          default: nodeMetrics.dbSizeMaxAgeMs,
        }),
      ),
    }),
  ),
});

/** A `node.json` that passed validation (paths not yet resolved, secrets not yet read). */
export type NodeConfigFile = Static<typeof NodeConfigSchema>;

/** The annotations of a schema node. */
export const annotations = (s: TSchema): ConfigAnnotations & { description?: string; default?: unknown } =>
  s as ConfigAnnotations & { description?: string; default?: unknown };
