// The node's component graph, built from its options: each component gets the
// narrow dependency object it declares, and the node (node.ts) runs them. Late
// links (a pool's certificate reaching the recorder built after it) are
// closures over `let` bindings, set before anything runs.
import { EventEmitter } from "node:events";
import {
  type BlsBackend,
  type BlsSecretKey,
  buildVerifierSet,
  type Domain,
  fromHex,
  getBls,
  toHex,
  VerifierSetRegistry,
} from "@ocp/protocol";
import { type Logger as PinoLogger, pino } from "pino";
import type { Registry } from "prom-client";
import { BatchingBlsVerifier } from "./chain/bls/verifier.js";
import { type SlotClock, SlotWaiters } from "./chain/clock.js";
import { createL1SlotClock, L1HeadTracker } from "./chain/l1/head.js";
import { ChainPipeline } from "./chain/pipeline.js";
import { domainKey, slotKey } from "./chain/pools/keys.js";
import { createCheckers } from "./checkers/index.js";
import { ObserveChecker } from "./checkers/observe.js";
import { CheckerPipeline } from "./checkers/pipeline.js";
import { type StreamContext, streamContexts, type TableChecker } from "./checkers/types.js";
import { NodeDb } from "./db/nodeDb.js";
import { defaultRetentionOptions } from "./db/retention.js";
import { SlotDuties } from "./duties/slotDuties.js";
import type { NodeEvents } from "./events.js";
import { createMetrics, type Metrics } from "./metrics/metrics.js";
import { GossipHandlers, quietPublisher } from "./network/handlers/gossip.js";
import { type PeerStore, peerStore } from "./network/handlers/peerStore.js";
import { localStatus } from "./network/handlers/reqResp.js";
import { Network } from "./network/network.js";
import type { NodeOptions } from "./options.js";
import { DoppelgangerGuard } from "./signer/doppelganger.js";
import { SlashingProtection } from "./signer/slashingProtection.js";
import { ValidatorStore } from "./signer/validatorStore.js";
import { Recorder } from "./storage/recorder.js";
import { CertificateSync } from "./sync/certificates.js";
import { VerifierSetsSync } from "./sync/verifierSets.js";

export interface NodeModules {
  /** Verifier keys (decrypted from keystores by the caller). */
  secretKeys?: BlsSecretKey[];
  logger?: PinoLogger;
  metricsRegistry?: Registry;
  bls?: BlsBackend;
  /** 0x private key of the anchorer account, when `anchor` is configured. */
  anchorPrivateKey?: `0x${string}`;
  /** Costly checkers (proof, exec) run after observe, once per digest. */
  checkers?: TableChecker[];
}

export interface NodeComponents {
  events: EventEmitter<NodeEvents>;
  logger: PinoLogger;
  metrics: Metrics;
  db: NodeDb;
  sets: VerifierSetRegistry;
  domain: Domain;
  streams: StreamContext[];
  clock: SlotClock;
  slotWaiters: SlotWaiters;
  l1Head: L1HeadTracker;
  validators: ValidatorStore;
  doppelganger: DoppelgangerGuard;
  checkers: CheckerPipeline;
  network: Network;
  chain: ChainPipeline;
  setsSync: VerifierSetsSync;
  duties: SlotDuties;
  recorder: Recorder;
  gossip: GossipHandlers;
  certSync: CertificateSync;
  peerStore: PeerStore;
}

/** What the components read of the running node. */
export interface NodeState {
  isRunning(): boolean;
  /** Certificates waiting to be anchored; undefined when the node does not anchor. */
  anchorBacklog(): number | undefined;
}

export function createNodeComponents(
  opts: NodeOptions,
  modules: NodeModules,
  node: NodeState,
): NodeComponents {
  const logger = modules.logger ?? pino({ level: "info" });
  const bls = modules.bls ?? getBls();
  const events = new EventEmitter<NodeEvents>();
  const { chainId, verifyingContract } = opts.domain;
  const domain = { chainId, verifyingContract: fromHex(verifyingContract, 20) };
  const streams = streamContexts(opts.streams);
  const sets = new VerifierSetRegistry();
  for (const data of opts.verifierSets) sets.add(buildVerifierSet(data, { bls }));
  // Late links: set below, called only once the node runs.
  let network: Network | undefined;
  let recorder: Recorder | undefined;
  let duties: SlotDuties | undefined;
  const metrics = createMetrics(
    { ...opts.metrics, dataDir: opts.dataDir },
    { getPeers: () => network?.getPeers() ?? [], anchorBacklog: () => node.anchorBacklog() },
    modules.metricsRegistry,
  );
  const retention = { ...defaultRetentionOptions, ...opts.retention };
  const db = new NodeDb({ path: opts.dataDir, retention }, { logger });
  const l1Head = new L1HeadTracker(opts.l1);
  const clock = createL1SlotClock(opts.l1, { head: l1Head, logger });
  const doppelganger = new DoppelgangerGuard(opts.doppelganger, { clock, logger });
  const slashingProtection = new SlashingProtection({ db: db.database });
  const validators = new ValidatorStore({}, { bls, slashingProtection, doppelganger, logger });
  const observe = new ObserveChecker({ ...opts.l1 });
  // Pushed headers let `observe` confirm a block read ahead without asking its RPC again.
  clock.on("header", (h) => {
    l1Head.note();
    observe.noteHeader(h);
  });
  const checkers = new CheckerPipeline(
    { maxCachedDecisions: 256 },
    { observe, checkers: modules.checkers ?? createCheckers(opts.checkers, { l1: opts.l1 }) },
  );
  const isRunning = node.isRunning;
  const base = { domain, streams, sets, bls, clock, db, validators, doppelganger, events, logger, isRunning };
  const setsSync = new VerifierSetsSync({
    ...base,
    source: opts.setsFromAnchor,
    contract: verifyingContract,
  });
  const peers = peerStore(db);
  const verifier = new BatchingBlsVerifier(opts.chain.blsVerifier, {
    bls,
    metrics: metrics.node.bls,
    onPeerFailure: (peer) => network?.penalizeBlsFailure(peer),
  });
  const chain = new ChainPipeline(opts.chain, {
    ...base,
    domains: [domain],
    streams: streams.map((s) => s.id),
    verifier,
    ownKeys: validators,
    onCertificate: (c, source) => void recorder?.onCertificate(c, source),
    onCertificateTurn: (c, outcome) => void recorder?.onCertificateTurn(c, outcome),
    onEvidence: (ev) => void recorder?.onEvidence(ev),
    onUnknownSet: () => void setsSync.request(false),
    setsCurrentFor: (slot) => setsSync.currentFor(slot),
    ownRoot: (stream, slot) => duties?.ownRoot(stream, slot),
  });
  // Our Status: the latest certified slot among the slots the duties track.
  const certifiedHead = (): bigint =>
    duties?.latestTracked(
      (stream, slot) =>
        chain.pools.certificates.best(slotKey(domainKey(domain), toHex(stream), slot)) !== undefined,
    ) ?? 0n;
  // Gossip for a slot not started here yet waits for it (docs/spec.md §5.3).
  const slotWaiters = new SlotWaiters(clock);
  network = new Network(opts.network, {
    privateKey: peers.privateKey,
    knownPeers: peers.knownPeers,
    logger: logger.child({ module: "network" }),
    metrics: metrics.network,
    metricsRegistry: metrics.registry,
    getStatus: () =>
      localStatus({ sets, headSlot: () => clock.currentSlot(), latestCertifiedSlot: certifiedHead }),
    awaitSlot: (slot, aheadSlots, maxMs) => slotWaiters.wait(slot, aheadSlots, maxMs),
    // Gossip under a set not held here waits for the refresh it asks for (§5.3).
    awaitSets: (maxMs) => setsSync.nextRefresh(maxMs),
  });
  const shared = { ...base, network, chain, checkers, publish: quietPublisher(network, logger) };
  const { confirmations } = opts.l1;
  const slotDuties = new SlotDuties({
    ...shared,
    metrics: metrics.duties,
    setsFreshFor: (slot) => setsSync.freshFor(slot),
    opts: { proposal: opts.proposal, confirmations, lookbackSlots: opts.sync.lookbackSlots },
  });
  duties = slotDuties;
  const rec = new Recorder({ ...shared, duties: slotDuties, metrics: metrics.recorder });
  recorder = rec;
  const gossip = new GossipHandlers({
    ...shared,
    storeCommitment: (stream, c) => rec.storeCommitment(stream, c),
    onCommitment: (stream, c) => slotDuties.onCommitment(stream, c),
  });
  const certSync = new CertificateSync({
    ...shared,
    opts: { ...opts.sync, confirmations },
    metrics: metrics.sync,
    knownEmpty: (stream, slot) => slotDuties.knownEmpty(stream, slot),
  });
  return {
    events,
    logger,
    metrics,
    db,
    sets,
    domain,
    streams,
    clock,
    slotWaiters,
    l1Head,
    validators,
    doppelganger,
    checkers,
    network,
    chain,
    setsSync,
    duties: slotDuties,
    recorder: rec,
    gossip,
    certSync,
    peerStore: peers,
  };
}
