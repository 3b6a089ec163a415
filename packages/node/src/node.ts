// OcpNode: wires the daemon together — slot clock → gossip in → validate →
// pools → checkers → signer → aggregator → db — from NodeOptions, with a
// graceful stop(). Every component lives in its own folder; this file only
// connects them.
import "./polyfill.js";
import { EventEmitter } from "node:events";
import {
  type Attestation,
  type BlsBackend,
  type BlsSecretKey,
  buildVerifierSet,
  bytesEqual,
  type Certificate,
  type Domain,
  decodeCertificatesByRangeRequestSsz,
  decodeCertificatesByRangeResponseSsz,
  decodeTableByDigestRequestSsz,
  encodeAttestationSsz,
  encodeCertificateSsz,
  encodeCertificatesByRangeRequestSsz,
  encodeCertificatesByRangeResponseSsz,
  encodeEvidenceSsz,
  encodeSignedCommitmentSsz,
  fromHex,
  getBls,
  MAX_CERTIFICATES_PER_RANGE,
  type Observation,
  observationRoot,
  type SignedCommitment,
  type SszEvidence,
  signedWeightOf,
  splitTableFramesSsz,
  streamId,
  toHex,
  VerifierSetRegistry,
} from "@ocp/protocol";
import { type Logger as PinoLogger, pino } from "pino";
import { Counter, Gauge, Registry } from "prom-client";
import type { PublicClient } from "viem";
// Types only: viem, the anchor service and the HTTP API (fastify) are loaded in
// start() when configured, so a plain verifier process never holds them.
import type { AnchorService } from "./anchor/service.js";
import type { AnchoredEvent, ApiServer } from "./api/server.js";
import { BatchingBlsVerifier } from "./chain/bls/verifier.js";
import { BeaconTimeClock, BlockNumberClock, type SlotClock } from "./chain/clock.js";
import { WsHeadStream } from "./chain/l1/heads.js";
import { getHead } from "./chain/l1/reader.js";
import { httpJsonRpc } from "./chain/l1/rpc.js";
import { ChainPipeline, type EvidenceEvent } from "./chain/pipeline.js";
import type { PooledCertificate } from "./chain/pools/certificatePool.js";
import type { PooledCommitment } from "./chain/pools/commitmentPool.js";
import { domainKey, slotKey } from "./chain/pools/keys.js";
import { encodeTableBytes } from "./chain/tableBytes.js";
import { createCheckers } from "./checkers/index.js";
import { ObserveChecker } from "./checkers/observe.js";
import { CheckerPipeline, type Decision } from "./checkers/pipeline.js";
import { type StreamContext, streamSlotId, type TableChecker } from "./checkers/types.js";
import type { DbOp } from "./db/database.js";
import { NodeDb } from "./db/nodeDb.js";
import { defaultRetentionOptions } from "./db/retention.js";
import type { BoundsReport } from "./metrics/bounds.js";
import { ChainHealthMetrics, NodeMetrics } from "./metrics/node.js";
import { Network } from "./network/network.js";
import { ReqRespProtocolName } from "./network/reqresp/protocols.js";
import { ResponseCode, ResponseError } from "./network/reqresp/types.js";
import { GossipKind } from "./network/topics.js";
import { type NodeOptions, type NodeOptionsInput, resolveNodeOptions } from "./options.js";
import { DoppelgangerGuard } from "./signer/doppelganger.js";
import { SlashingProtection } from "./signer/slashingProtection.js";
import { ValidatorStore } from "./signer/validatorStore.js";

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

export interface NodeEvents {
  commitment: [SignedCommitment];
  attestation: [Attestation];
  certificate: [Certificate, { source: "aggregator" | "gossip" | "sync"; signedWeight: bigint }];
  evidence: [SszEvidence];
  /** This node's anchoring transaction for a slot was mined. */
  anchored: [AnchoredEvent];
  decision: [{ stream: string; slot: bigint; decision: Decision }];
  /**
   * A new block was read ahead of its confirmation; `observed`: it carries a
   * table and this node's votes for it are computed (not released).
   */
  prepared: [{ stream: string; slot: bigint; observed: boolean }];
}

interface SlotState {
  stream: StreamContext;
  slot: bigint;
  /** "pending" until observe decides; "waiting" for a commitment; then final. */
  phase: "pending" | "deciding" | "waiting" | "attested" | "done";
  observation?: Observation;
  rootHex?: string;
  confirmedAtMs?: number;
  timer?: NodeJS.Timeout;
}

const PEER_KEY_META = "peerKey";

export class OcpNode {
  readonly opts: NodeOptions;
  readonly events = new EventEmitter<NodeEvents>();
  readonly logger: PinoLogger;
  readonly registry: Registry;
  readonly db: NodeDb;
  readonly sets = new VerifierSetRegistry();
  readonly domain: Domain;
  readonly streams: StreamContext[];
  readonly clock: SlotClock;
  readonly validators: ValidatorStore;
  readonly doppelganger: DoppelgangerGuard;
  readonly checkers: CheckerPipeline;
  private network_: Network | undefined;
  /** Present when this node anchors certificates. */
  anchor: AnchorService | undefined;
  /** Present while the HTTP API serves (`opts.api` set). */
  api: ApiServer | undefined;
  /** BLS, certificate latency, peers, db size, anchoring and process series in `registry`. */
  readonly nodeMetrics: NodeMetrics;
  private readonly chainHealth: ChainHealthMetrics;
  private chain_: ChainPipeline | undefined;
  private readonly bls: BlsBackend;
  private readonly slots = new Map<string, SlotState>();
  /**
   * Slots decided "nothing" (no block or no table), by slot-state key: no
   * certificate can exist, so sync never asks for them. Kept for the sync
   * lookback window.
   */
  private readonly noTableSlots = new Map<string, bigint>();
  /** This node's own observationRoot per slot-state key, from the block read ahead or decided. */
  private readonly ownRoots = new Map<string, { slot: bigint; rootHex: string }>();
  private readonly secretKeys: BlsSecretKey[];
  readonly #anchorKey: `0x${string}` | undefined;
  private readonly metrics;
  private syncTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private running = false;
  /** Wall time (ms) the L1 RPC last returned a head; read by /readyz. */
  private l1HeadAtMs: number | undefined;
  private readonly headRpc: ReturnType<typeof httpJsonRpc>;
  /** Verifier keys given to this node (loaded into `validators` at start). */
  readonly expectedKeys: number;
  private firstSlotSeen = false;
  /** Verifier-set refresh from OcpAnchor (rotations). */
  private readonly setsSync: {
    client?: PublicClient;
    running?: Promise<boolean>;
    lastAttemptMs: number;
    lastAttemptSlot?: bigint;
    /** The contract's latest epoch when last read; sets are re-read only when it moves. */
    latestEpoch?: bigint;
    /** Current slot when the last successful refresh began: sets registered later activate ≥ this + lead. */
    freshAt?: bigint;
    /** The contract's activation lead (slots). */
    leadSlots?: bigint;
  } = { lastAttemptMs: 0 };
  private stopping: Promise<void> | undefined;

  constructor(input: NodeOptionsInput, modules: NodeModules = {}) {
    this.opts = resolveNodeOptions(input);
    this.logger = modules.logger ?? pino({ level: "info" });
    this.registry = modules.metricsRegistry ?? new Registry();
    this.bls = modules.bls ?? getBls();
    this.secretKeys = modules.secretKeys ?? [];
    this.#anchorKey = modules.anchorPrivateKey;
    this.domain = {
      chainId: this.opts.domain.chainId,
      verifyingContract: fromHex(this.opts.domain.verifyingContract, 20),
    };
    this.streams = this.opts.streams.map((s) => ({
      name: s.name,
      id: streamId(s.l1ChainId, fromHex(s.tableContract, 20)),
      l1ChainId: s.l1ChainId,
      tableContract: s.tableContract,
    }));
    for (const data of this.opts.verifierSets) this.sets.add(buildVerifierSet(data, { bls: this.bls }));

    this.db = new NodeDb(
      { path: this.opts.dataDir, retention: { ...defaultRetentionOptions, ...this.opts.retention } },
      { logger: this.logger },
    );
    const l1 = this.opts.l1;
    const headRpc = httpJsonRpc(l1.rpcUrls[0]!, l1.rpcTimeoutMs);
    this.headRpc = headRpc;
    this.expectedKeys = this.secretKeys.length;
    this.clock =
      l1.slots.mode === "block-number"
        ? new BlockNumberClock(
            { pollIntervalMs: l1.pollIntervalMs },
            {
              getHead: async () => {
                const n = await getHead(headRpc);
                this.l1HeadAtMs = Date.now();
                return n;
              },
              headStream: l1.wsUrl ? new WsHeadStream(l1.wsUrl, {}, { logger: this.logger }) : undefined,
              logger: this.logger,
            },
          )
        : new BeaconTimeClock(
            { genesisTime: l1.slots.genesisTime, secondsPerSlot: l1.slots.secondsPerSlot },
            { logger: this.logger },
          );
    this.doppelganger = new DoppelgangerGuard(this.opts.doppelganger, {
      clock: this.clock,
      logger: this.logger,
    });
    this.validators = new ValidatorStore(
      {},
      {
        bls: this.bls,
        slashingProtection: new SlashingProtection({ db: this.db.database }),
        doppelganger: this.doppelganger,
        logger: this.logger,
      },
    );
    const observe = new ObserveChecker({ ...l1 });
    // Pushed headers let `observe` confirm a block read ahead without asking its RPC again.
    this.clock.on("header", (h) => {
      this.l1HeadAtMs = Date.now();
      observe.noteHeader(h);
    });
    this.checkers = new CheckerPipeline(
      { maxCachedDecisions: 256 },
      {
        observe,
        checkers: modules.checkers ?? createCheckers(this.opts.checkers, { l1 }),
      },
    );
    this.metrics = {
      decisions: new Counter({
        name: "ocp_slot_decisions_total",
        help: "Slot decisions by verdict and reason",
        labelNames: ["verdict", "reason"],
        registers: [this.registry],
      }),
      signed: new Counter({
        name: "ocp_attestations_signed_total",
        help: "Attestations signed by this node's keys",
        registers: [this.registry],
      }),
      signRefused: new Counter({
        name: "ocp_sign_refused_total",
        help: "Signatures refused by slashing protection or the doppelganger guard",
        labelNames: ["code"],
        registers: [this.registry],
      }),
      certificates: new Counter({
        name: "ocp_certificates_total",
        help: "Certificates entering the pool by source",
        labelNames: ["source"],
        registers: [this.registry],
      }),
      evidence: new Counter({
        name: "ocp_evidence_total",
        help: "Equivocation evidence stored by source",
        labelNames: ["source"],
        registers: [this.registry],
      }),
      head: new Gauge({ name: "ocp_head_slot", help: "Current slot", registers: [this.registry] }),
    };
    this.chainHealth = new ChainHealthMetrics(
      { dataDir: this.opts.dataDir },
      { registry: this.registry, anchorBacklog: () => this.anchor?.backlog },
    );
    this.nodeMetrics = new NodeMetrics(
      { ...this.opts.metrics, dataDir: this.opts.dataDir },
      { registry: this.registry, getPeers: () => this.network_?.getPeers() ?? [] },
    );
  }

  get network(): Network {
    if (!this.network_) throw new Error("node not started");
    return this.network_;
  }

  get chain(): ChainPipeline {
    if (!this.chain_) throw new Error("node not started");
    return this.chain_;
  }

  get peerId(): string {
    return this.network.peerId;
  }

  /** Every bounded pool, cache and queue of the running node: size, bound, drops. */
  bounds(): BoundsReport {
    return {
      ...this.chain.bounds(),
      ...this.network.bounds(),
      // Slots from `now − maxPendingSlots` to the confirmed head, per stream.
      nodeSlots: {
        size: this.slots.size,
        limit: (this.opts.proposal.maxPendingSlots + 1) * this.streams.length,
        dropped: 0,
      },
      // Gossip attestations waiting for their batched write; "dropped" counts failed batches.
      attestationWrites: {
        size: this.db.deferred.size,
        limit: this.db.deferred.limit,
        dropped: this.db.deferred.failures,
      },
    };
  }

  /** True between a completed start() and stop(). */
  get isRunning(): boolean {
    return this.running;
  }

  /**
   * Milliseconds since the L1 RPC last returned a head, or undefined if it never
   * did. In beacon-time mode nothing polls the head, so this asks the RPC once.
   */
  async l1HeadAgeMs(): Promise<number | undefined> {
    if (this.clock.mode === "beacon-time") {
      try {
        await getHead(this.headRpc);
        this.l1HeadAtMs = Date.now();
      } catch {
        // Unreachable: the age of the last good answer tells how stale we are.
      }
    }
    return this.l1HeadAtMs === undefined ? undefined : Date.now() - this.l1HeadAtMs;
  }

  get multiaddrs(): string[] {
    return this.network.getMultiaddrs();
  }

  async start(): Promise<void> {
    if (this.running) return;
    await this.db.start();
    if (this.opts.setsFromAnchor) await this.refreshSetsFromAnchor();
    for (const sk of this.secretKeys) this.validators.addKey(sk);

    this.chain_ = new ChainPipeline(this.opts.chain, {
      domains: [this.domain],
      streams: this.streams.map((s) => s.id),
      clock: this.clock,
      sets: this.sets,
      bls: this.bls,
      verifier: new BatchingBlsVerifier(this.opts.chain.blsVerifier, {
        bls: this.bls,
        metrics: this.nodeMetrics.bls,
        onPeerFailure: (peer) => this.network_?.penalizeBlsFailure(peer),
      }),
      logger: this.logger,
      onCertificate: (c, source) => void this.onCertificate(c, source),
      onEvidence: (ev) => void this.onEvidence(ev),
      onUnknownSet: () => void this.requestSetsRefresh(false),
      setsCurrentFor: (slot) => this.setsCurrentFor(slot),
      ownRoot: (stream, slot) => this.ownRoots.get(streamSlotId(stream, slot))?.rootHex,
    });

    const peerKeyHex = await this.db.meta.getJson<string>(PEER_KEY_META);
    this.network_ = new Network(this.opts.network, {
      ...(peerKeyHex ? { privateKey: fromHex(peerKeyHex) } : {}),
      logger: this.logger.child({ module: "network" }),
      metricsRegistry: this.registry,
      getStatus: () => this.localStatus(),
      knownPeers: {
        load: async () => (await this.db.peers.recent(32)).flatMap((p) => p.record.multiaddrs),
        save: async (addrs) => {
          const now = Date.now();
          for (const a of addrs) {
            const id = a.split("/p2p/")[1];
            if (id) await this.db.peers.put(id, { multiaddrs: [a], lastSeenMs: now });
          }
        },
      },
    });
    this.subscribeGossip();
    await this.registerReqResp();
    await this.network_.start();
    if (!peerKeyHex)
      await this.db.meta.putJson(PEER_KEY_META, toHex(this.network_.privateKey), { sync: true });
    this.network_.events.on("peer:connected", () => this.scheduleSync(500));

    if (this.opts.anchor) {
      if (!this.#anchorKey) throw new Error("anchor role configured without an anchorer key");
      const { AnchorService } = await import("./anchor/service.js");
      this.anchor = new AnchorService(
        {
          chainId: this.domain.chainId,
          contract: this.opts.domain.verifyingContract,
          ...this.opts.anchor,
        },
        {
          privateKey: this.#anchorKey,
          sets: this.sets,
          receipts: this.db.anchorReceipts,
          queue: this.db.anchorQueue,
          certificates: this.db.certificates,
          streams: this.streams.map((s) => s.id),
          currentSlot: () => this.clock.currentSlot(),
          logger: this.logger.child({ module: "anchor" }),
          metrics: this.nodeMetrics.anchor,
          onAnchored: (ev) => this.events.emit("anchored", ev),
        },
      );
      const anchor = this.anchor;
      await anchor.start();
      this.events.on("certificate", (cert) => anchor.onCertificate(cert));
    }

    this.running = true;
    this.clock.on("slot", (s) => this.onSlot(s));
    await this.clock.start();
    this.syncTimer = setInterval(() => this.scheduleSync(0), this.opts.sync.intervalMs);
    this.syncTimer.unref();
    if (this.opts.api) {
      const [{ ApiServer }, { anchorStatusFromReceipts }] = await Promise.all([
        import("./api/server.js"),
        import("./api/views.js"),
      ]);
      this.api = new ApiServer(this.opts.api, {
        node: this,
        logger: this.logger.child({ module: "api" }),
        anchorStatus: anchorStatusFromReceipts(this.db.anchorReceipts),
        onAnchored: (listener) => {
          this.events.on("anchored", listener);
          return () => this.events.off("anchored", listener);
        },
      });
      await this.api.start();
    }
    this.logger.info(
      { peerId: this.network_.peerId, addrs: this.network_.getMultiaddrs(), keys: this.validators.size },
      "ocp node started",
    );
  }

  /**
   * Adds the verifier sets registered on OcpAnchor that this node does not
   * hold yet. Only the latest epoch is read when it has not moved since the
   * last refresh. Records the slot the refresh began at: a set registered
   * after it activates no earlier than that slot plus the contract's lead.
   */
  async refreshSetsFromAnchor(): Promise<number> {
    const src = this.opts.setsFromAnchor;
    if (!src) return 0;
    const sync = this.setsSync;
    const startedAt = this.clock.currentSlot() ?? undefined;
    const [{ createPublicClient, http }, { readVerifierSets }, { OcpAnchor }] = await Promise.all([
      import("viem"),
      import("./anchor/admin.js"),
      import("@ocp/contracts"),
    ]);
    sync.client ??= createPublicClient({ transport: http(src.rpcUrl) }) as PublicClient;
    const client = sync.client;
    const address = this.opts.domain.verifyingContract;
    const read = (functionName: string): Promise<unknown> =>
      client.readContract({ address, abi: OcpAnchor.abi, functionName, args: [] } as never);
    const [exists, latest] = (await read("latestEpoch")) as readonly [boolean, bigint];
    // A contract without the view has no lead rule: the node then refreshes before every slot it signs.
    sync.leadSlots = (await read("activationLeadSlots").catch(() => 0n)) as bigint;
    let added = 0;
    if (exists && (sync.latestEpoch === undefined || latest > sync.latestEpoch)) {
      for (const data of await readVerifierSets(client, address)) {
        const before = this.sets.size;
        this.sets.add(buildVerifierSet(data, { bls: this.bls }));
        if (this.sets.size > before) added++;
      }
      sync.latestEpoch = latest;
    }
    if (startedAt !== undefined) sync.freshAt = startedAt;
    if (added > 0)
      this.logger.info({ added, total: this.sets.size }, "verifier sets loaded from the anchor contract");
    return added;
  }

  /**
   * A refresh, single-flight. `force` (periodic, or before signing) skips the
   * rate limit that bounds refreshes asked for by messages with unknown set ids.
   */
  private requestSetsRefresh(force: boolean): Promise<boolean> {
    const src = this.opts.setsFromAnchor;
    const sync = this.setsSync;
    if (!src || !this.running) return Promise.resolve(false);
    if (sync.running) return sync.running;
    const now = Date.now();
    if (!force && now - sync.lastAttemptMs < (src.minRefreshIntervalMs ?? 2000))
      return Promise.resolve(false);
    sync.lastAttemptMs = now;
    sync.lastAttemptSlot = this.clock.currentSlot() ?? undefined;
    sync.running = this.refreshSetsFromAnchor()
      .then(() => true)
      .catch((e: unknown) => {
        this.logger.warn({ err: String(e) }, "verifier set refresh failed");
        return false;
      })
      .finally(() => {
        sync.running = undefined;
      });
    return sync.running;
  }

  /**
   * True when this node's sets certainly include the one governing `slot` on
   * chain: sets from files, or the last refresh began less than the
   * contract's activation lead before `slot`. Otherwise refreshes first.
   */
  private async setsFreshFor(slot: bigint): Promise<boolean> {
    if (this.setsCurrentFor(slot)) return true;
    await this.requestSetsRefresh(true);
    return this.setsCurrentFor(slot);
  }

  /** `setsFreshFor` without refreshing. */
  private setsCurrentFor(slot: bigint): boolean {
    if (!this.opts.setsFromAnchor) return true;
    const { freshAt, leadSlots } = this.setsSync;
    return freshAt !== undefined && leadSlots !== undefined && slot < freshAt + leadSlots;
  }

  /** Graceful and idempotent: timers, clock, network, chain, then the database. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.running = false;
    await this.api?.stop();
    this.clock.stop();
    if (this.syncTimer) clearInterval(this.syncTimer);
    for (const s of this.slots.values()) if (s.timer) clearTimeout(s.timer);
    await this.anchor?.stop();
    await this.checkers.close();
    await this.network_?.stop();
    await this.syncing?.catch(() => undefined);
    await this.chain_?.stop();
    await this.db.stop();
    this.logger.info("ocp node stopped");
  }

  // ---------------------------------------------------------------- slots

  private onSlot(slot: bigint): void {
    if (!this.running) return;
    this.metrics.head.set(Number(slot));
    this.chain.onSlot(slot);
    const last = this.setsSync.lastAttemptSlot;
    const every = BigInt(this.opts.setsFromAnchor?.refreshSlots ?? 32);
    if (this.opts.setsFromAnchor && (last === undefined || slot - last >= every))
      void this.requestSetsRefresh(true);
    this.checkers.prune(slot - BigInt(this.chain.ctx.retentionSlots));
    const lookback = slot - BigInt(this.opts.sync.lookbackSlots);
    for (const [key, s] of this.noTableSlots) if (s < lookback) this.noTableSlots.delete(key);
    const target = slot - BigInt(this.opts.l1.confirmations);
    // Read the new block now (at confirmation only its hash is re-checked) and
    // compute our votes for it: signing at the decision is then only the
    // slashing-protection write.
    if (target < slot) for (const stream of this.streams) void this.prepare(stream, slot);
    const oldest = slot - BigInt(this.opts.proposal.maxPendingSlots);
    for (const [key, r] of this.ownRoots) if (r.slot < oldest) this.ownRoots.delete(key);
    // After a start (or restart) the recent slots are worth deciding too: the
    // node may have missed them while down. Slashing protection makes a repeat
    // harmless (same root → same signature, re-published).
    const first = this.firstSlotSeen ? target : oldest + 1n;
    this.firstSlotSeen = true;
    for (let s = first < 0n ? 0n : first; s <= target; s++) {
      for (const stream of this.streams) {
        const key = streamSlotId(stream.id, s);
        if (!this.slots.has(key)) this.slots.set(key, { stream, slot: s, phase: "pending" });
      }
    }
    for (const [key, st] of this.slots) {
      if (st.slot < oldest) {
        if (st.timer) clearTimeout(st.timer);
        this.slots.delete(key);
      } else if (st.phase === "pending") {
        void this.decide(st);
      }
    }
    if (slot % 32n === 0n) {
      const listed = this.chain.ctx.builderAllowlist;
      void this.db
        .prune(slot, undefined, { keepBuilderEvidence: (builder) => listed.has(builder) })
        .catch((e) => this.logger.warn({ err: String(e) }, "prune failed"));
    }
  }

  private async prepare(stream: StreamContext, slot: bigint): Promise<void> {
    const observation = await this.checkers.prefetch(stream, slot);
    if (!this.running) return;
    if (observation !== undefined) {
      this.ownRoots.set(streamSlotId(stream.id, slot), {
        slot,
        rootHex: toHex(observationRoot(this.domain, observation)),
      });
      if (this.sets.governing(slot)) this.validators.precompute(this.domain, observation);
    }
    this.events.emit("prepared", { stream: stream.name, slot, observed: observation !== undefined });
  }

  private async decide(st: SlotState): Promise<void> {
    st.phase = "deciding";
    const decision = await this.checkers.decide(st.stream, st.slot);
    if (!this.running) return;
    this.events.emit("decision", { stream: st.stream.name, slot: st.slot, decision });
    if (decision.verdict === "abstain") {
      this.metrics.decisions.inc({ verdict: "abstain", reason: decision.reason });
      this.logger.warn(
        {
          stream: st.stream.name,
          slot: st.slot.toString(),
          reason: decision.reason,
          detail: decision.detail,
        },
        "abstaining for slot",
      );
      // Transient trouble (RPC, confirmations): retried on the next slot tick.
      st.phase = "pending";
      return;
    }
    if (decision.verdict === "nothing") {
      this.metrics.decisions.inc({ verdict: "nothing", reason: decision.reason });
      this.noTableSlots.set(streamSlotId(st.stream.id, st.slot), st.slot);
      st.phase = "done";
      return;
    }
    this.metrics.decisions.inc({ verdict: "sign", reason: "" });
    const observation = decision.observation;
    st.observation = observation;
    st.rootHex = toHex(observationRoot(this.domain, observation));
    this.ownRoots.set(streamSlotId(st.stream.id, st.slot), { slot: st.slot, rootHex: st.rootHex });
    st.confirmedAtMs = Date.now();
    const ops = this.observationOps(st, decision);
    if (this.matchingCommitment(st)) {
      // The usual case: the builder's commitment came first. The observation
      // record rides in the signer's synced slashing-protection batch.
      st.phase = "waiting";
      await this.attest(st, "commitment", ops);
      return;
    }
    await this.db.batch(ops);
    if (!this.running) return;
    st.phase = "waiting";
    if (this.matchingCommitment(st)) {
      await this.attest(st, "commitment");
      return;
    }
    // Self-proposal: no matching commitment by the deadline → our own observation.
    st.timer = setTimeout(() => void this.attest(st, "self"), this.opts.proposal.selfProposeDelayMs);
  }

  /** The node's own observation and its table, to be written in one batch. */
  private observationOps(st: SlotState, decision: Decision & { verdict: "sign" }): DbOp[] {
    return [
      this.db.observations.putOwnOp({
        observation: decision.observation,
        checkers: decision.checkersRan.map((c) => ({ checker: c, outcome: "pass" as const })),
        decision: "attest",
        decidedAtMs: Date.now(),
      }),
      ...this.db.tables.putOps(
        st.stream.id,
        st.slot,
        decision.observation.tableDigest,
        encodeTableBytes(decision.table.calls),
      ),
    ];
  }

  private matchingCommitment(st: SlotState): PooledCommitment | undefined {
    if (st.rootHex === undefined) return undefined;
    const c = this.chain.pools.commitments.forRoot(st.rootHex);
    return c && c.slot === st.slot ? c : undefined;
  }

  /**
   * Signs our observation with every key that is in the governing set.
   * `ops`: the observation's records when not written yet (same batch as the
   * slashing-protection records).
   */
  private async attest(st: SlotState, why: "commitment" | "self", ops: DbOp[] = []): Promise<void> {
    if (st.phase !== "waiting" || !st.observation || !this.running) return;
    st.phase = "attested";
    if (st.timer) clearTimeout(st.timer);
    // Never sign under a set other than the one governing the slot on chain.
    if (!(await this.setsFreshFor(st.slot))) {
      if (ops.length > 0) await this.db.batch(ops);
      this.logger.warn(
        { slot: st.slot.toString() },
        "verifier sets not known to be current; not signing yet",
      );
      // Decided again on the next slot tick (the decision is cached).
      st.phase = "pending";
      return;
    }
    if (!this.running) return;
    const set = this.sets.governing(st.slot);
    if (!set) {
      if (ops.length > 0) await this.db.batch(ops);
      this.logger.warn({ slot: st.slot.toString() }, "no verifier set governs this slot; not signing");
      return;
    }
    const results = await this.validators.signObservationAll(this.domain, st.observation, ops);
    const own: Attestation[] = [];
    for (const r of results) {
      if (!r.signature) {
        this.metrics.signRefused.inc({ code: r.error?.code ?? "unknown" });
        this.logger.warn({ slot: st.slot.toString(), code: r.error?.code }, "signature refused");
        continue;
      }
      const index = set.verifiers.findIndex((v) => bytesEqual(v.pubkey, r.pubkey));
      if (index < 0) continue;
      const att: Attestation = {
        domain: this.domain,
        observation: st.observation,
        setId: set.setId,
        verifierIndex: index,
        signature: r.signature,
      };
      this.metrics.signed.inc();
      own.push(att);
    }
    // Out first: peers are waiting for these votes. They were self-checked
    // when signed, so the local copy skips a second signature check.
    const root = fromHex(st.rootHex!);
    const encoded = own.map((att) => encodeAttestationSsz(att));
    await Promise.all([
      ...encoded.map((bytes) => this.publish(GossipKind.attestation, bytes)),
      ...own.map((att) => this.ingestOwnAttestation(att, root)),
    ]);
    this.logger.info({ stream: st.stream.name, slot: st.slot.toString(), why, root: st.rootHex }, "attested");
  }

  private async ingestOwnAttestation(att: Attestation, root: Uint8Array): Promise<void> {
    try {
      this.chain.attestation.accept(await this.chain.validateOwnAttestation(att, root));
    } catch (e) {
      this.logger.warn({ err: String(e) }, "own attestation not accepted locally");
      return;
    }
    this.events.emit("attestation", att);
    await this.db.deferred.write(this.db.attestations.addOp(att, root));
  }

  private async publish(kind: GossipKind, bytes: Uint8Array): Promise<void> {
    try {
      await this.network.publish(kind, bytes);
    } catch (e) {
      this.logger.debug({ kind, err: String(e) }, "publish failed");
    }
  }

  // ---------------------------------------------------------------- gossip

  private subscribeGossip(): void {
    const net = this.network;
    const chain = this.chain;
    net.subscribe(
      GossipKind.commitment,
      async (m) => ({ value: await chain.commitment.validate(m.data, m.from) }),
      async (m) => {
        chain.commitment.accept(m.value);
        await this.onCommitmentAccepted(m.value);
      },
    );
    net.subscribe(
      GossipKind.attestation,
      async (m) => ({ value: await chain.attestation.validate(m.data, m.from) }),
      async (m) => {
        const v = m.value;
        const pubkey = v.set.verifiers[v.attestation.verifierIndex]?.pubkey;
        if (pubkey) this.doppelganger.observe(pubkey, v.slot);
        chain.attestation.accept(v);
        this.events.emit("attestation", v.attestation);
        await this.db.deferred.write(this.db.attestations.addOp(v.attestation, v.observationRoot));
      },
    );
    net.subscribe(
      GossipKind.certificate,
      async (m) => ({ value: await chain.certificate.validate(m.data) }),
      (m) => chain.certificate.accept(m.value),
    );
    net.subscribe(
      GossipKind.evidence,
      async (m) => ({ value: await chain.evidence.validate(m.data) }),
      (m) => chain.evidence.accept(m.value),
    );
  }

  private async onCommitmentAccepted(c: PooledCommitment): Promise<void> {
    const stream = this.streams.find((s) => bytesEqual(s.id, c.signed.commitment.observation.stream));
    // An unlisted builder's commitment is kept only when it is our own observation
    // (its conflicting one, relayed as proof of equivocation, is not).
    const ours =
      stream !== undefined && this.ownRoots.get(streamSlotId(stream.id, c.slot))?.rootHex === c.rootHex;
    // Signing does not wait for the commitment's own record (it is in the pool).
    const stored =
      c.listed === false && !ours
        ? Promise.resolve()
        : this.db.commitments.add(c.signed).then(
            () => this.events.emit("commitment", c.signed),
            (e: unknown) => this.logger.error({ err: String(e) }, "storing commitment failed"),
          );
    const st = stream && this.slots.get(streamSlotId(stream.id, c.slot));
    if (st?.phase === "waiting" && st.rootHex === c.rootHex) await this.attest(st, "commitment");
    await stored;
  }

  /**
   * Publishes a builder's signed commitment through this node (API, tests):
   * validated exactly like one from gossip. Throws the validation error.
   */
  async submitCommitment(signed: SignedCommitment): Promise<void> {
    const bytes = encodeSignedCommitmentSsz(signed);
    const v = await this.chain.commitment.validate(bytes);
    this.chain.commitment.accept(v);
    const published = this.publish(GossipKind.commitment, bytes);
    await this.onCommitmentAccepted(v);
    await published;
  }

  private async onCertificate(c: PooledCertificate, source: "aggregator" | "gossip" | "sync"): Promise<void> {
    const cert = c.certificate;
    this.metrics.certificates.inc({ source });
    let ownMissing = 0;
    for (const pk of this.validators.pubkeys) {
      const i = c.set.verifiers.findIndex((v) => bytesEqual(v.pubkey, pk));
      if (i >= 0 && ((cert.signers[i >> 3]! >> (i & 7)) & 1) === 0) ownMissing++;
    }
    this.chainHealth.onCertificate(c.slot, c.signedWeight, c.set, ownMissing);
    const stateKey = streamSlotId(cert.observation.stream, c.slot);
    const decidedAtMs = this.slots.get(stateKey)?.confirmedAtMs;
    if (decidedAtMs !== undefined)
      this.nodeMetrics.observeCertificateLatency(stateKey, source, (Date.now() - decidedAtMs) / 1000);
    // Ours goes out first: every node without a certificate is waiting for it.
    const published =
      source === "aggregator" ? this.publish(GossipKind.certificate, encodeCertificateSsz(cert)) : undefined;
    // Held from here on (the pool; `bestCertificate` reads it before the db).
    this.events.emit("certificate", cert, { source, signedWeight: c.signedWeight });
    try {
      const stored = this.db.certificates.getBestSync(cert.observation.stream, c.slot);
      const storedWeight =
        stored && bytesEqual(stored.setId, c.set.setId) ? signedWeightOf(c.set, stored.signers) : -1n;
      if (!stored || storedWeight < c.signedWeight || !bytesEqual(stored.setId, c.set.setId)) {
        await this.db.certificates.putBest(cert, { sync: false });
      }
    } catch (e) {
      this.logger.error({ err: String(e) }, "storing certificate failed");
    }
    await published;
  }

  /** The best certificate held for a slot: the pool's (recent slots), else the stored one. */
  async bestCertificate(stream: StreamContext, slot: bigint): Promise<Certificate | undefined> {
    const key = slotKey(domainKey(this.domain), toHex(stream.id), slot);
    return (
      this.chain_?.pools.certificates.best(key)?.certificate ??
      (await this.db.certificates.getBest(stream.id, slot))
    );
  }

  private async onEvidence(ev: EvidenceEvent): Promise<void> {
    this.metrics.evidence.inc({ source: ev.source });
    try {
      await this.db.evidence.add(ev.evidence);
    } catch (e) {
      this.logger.error({ err: String(e) }, "storing evidence failed");
    }
    if (ev.source === "local") await this.publish(GossipKind.evidence, encodeEvidenceSsz(ev.evidence));
    this.logger.warn({ offence: ev.offence.kind, slot: ev.offence.slot.toString() }, "equivocation evidence");
    this.events.emit("evidence", ev.evidence);
  }

  // ---------------------------------------------------------------- req/resp

  private localStatus(): { setIds: Uint8Array[]; latestCertifiedSlot: bigint; headSlot: bigint } {
    let latest = 0n;
    if (this.chain_) {
      for (const st of this.slots.values()) {
        const key = slotKey(domainKey(this.domain), toHex(st.stream.id), st.slot);
        if (this.chain_.pools.certificates.best(key) && st.slot > latest) latest = st.slot;
      }
    }
    return {
      setIds: this.sets
        .values()
        .slice(-16)
        .map((s) => s.setId),
      latestCertifiedSlot: latest,
      headSlot: this.clock.currentSlot() ?? 0n,
    };
  }

  private async registerReqResp(): Promise<void> {
    const net = this.network;
    await net.registerHandler(ReqRespProtocolName.tableByDigest, (req) => this.serveTable(req.data));
    await net.registerHandler(ReqRespProtocolName.certificatesByRange, (req) =>
      this.serveCertificates(req.data),
    );
  }

  private async *serveTable(data: Uint8Array): AsyncIterable<Uint8Array> {
    const req = decodeTableByDigestRequestSsz(data);
    const table = await this.db.tables.get(req.tableDigest);
    if (!table) throw new ResponseError(ResponseCode.RESOURCE_UNAVAILABLE, "unknown table");
    yield* splitTableFramesSsz(table);
  }

  private async *serveCertificates(data: Uint8Array): AsyncIterable<Uint8Array> {
    const req = decodeCertificatesByRangeRequestSsz(data);
    const count = Math.min(req.count, MAX_CERTIFICATES_PER_RANGE);
    const certs = await this.db.certificates.range(req.stream, req.startSlot, count);
    yield encodeCertificatesByRangeResponseSsz(certs);
  }

  // ---------------------------------------------------------------- sync

  private scheduleSync(delayMs: number): void {
    if (!this.running || this.syncing) return;
    const run = async (): Promise<void> => {
      await new Promise((r) => setTimeout(r, delayMs).unref());
      if (this.running) await this.syncCertificates();
    };
    this.syncing = run()
      .catch((e) => this.logger.warn({ err: String(e) }, "certificate sync failed"))
      .finally(() => {
        this.syncing = undefined;
      });
  }

  /**
   * Fills certificate gaps of the last lookbackSlots from connected peers.
   * A gap is a confirmed slot with no certificate held that is not known to
   * be empty: missed while down or partitioned, never decided, or still
   * forming. Only the span of gaps is asked for, and nothing at all when there
   * are none (the usual case for a node that keeps up).
   */
  async syncCertificates(): Promise<number> {
    const head = this.clock.currentSlot();
    if (head === null) return 0;
    const from =
      head > BigInt(this.opts.sync.lookbackSlots) ? head - BigInt(this.opts.sync.lookbackSlots) : 0n;
    const confirmed = head - BigInt(this.opts.l1.confirmations);
    let added = 0;
    const peers = this.network.getPeers().slice(0, 3);
    for (const stream of this.streams) {
      const gaps = this.certificateGaps(stream, from, confirmed);
      if (gaps === undefined) continue;
      for (let start = gaps.first; start <= gaps.last; start += BigInt(MAX_CERTIFICATES_PER_RANGE)) {
        const left = gaps.last - start + 1n;
        const count = Number(left < 64n ? left : 64n);
        const payload = encodeCertificatesByRangeRequestSsz({ stream: stream.id, startSlot: start, count });
        for (const peer of peers) {
          let certs: Certificate[];
          try {
            const chunks = await this.network.request(
              peer.peerId,
              ReqRespProtocolName.certificatesByRange,
              payload,
            );
            certs = chunks.flatMap((c) => decodeCertificatesByRangeResponseSsz(c));
          } catch (e) {
            this.logger.debug({ peer: peer.peerId, err: String(e) }, "certificates_by_range failed");
            continue;
          }
          for (const cert of certs) {
            if (cert.observation.slot < start || cert.observation.slot >= start + BigInt(count)) continue;
            try {
              // Through the same validation as gossip: a peer's range answer is untrusted.
              const v = await this.chain.certificate.validate(encodeCertificateSsz(cert));
              const before = this.chain.pools.certificates.best(v.slotKey);
              this.chain.certificate.accept(v);
              if (this.chain.pools.certificates.best(v.slotKey) !== before) added++;
            } catch {
              // IGNORE (already held) or REJECT (bad certificate): nothing to add.
            }
          }
        }
      }
    }
    return added;
  }

  /** First and last slot in [from, to] without a certificate held and not known empty. */
  private certificateGaps(
    stream: StreamContext,
    from: bigint,
    to: bigint,
  ): { first: bigint; last: bigint } | undefined {
    const domain = domainKey(this.domain);
    const streamHex = toHex(stream.id);
    let first: bigint | undefined;
    let last: bigint | undefined;
    for (let slot = from; slot <= to; slot++) {
      if (this.noTableSlots.has(streamSlotId(stream.id, slot))) continue;
      if (this.chain.pools.certificates.best(slotKey(domain, streamHex, slot))) continue;
      // Held from before a restart: in the db, not yet in the pool.
      if (this.db.certificates.getBestSync(stream.id, slot)) continue;
      first ??= slot;
      last = slot;
    }
    return first === undefined || last === undefined ? undefined : { first, last };
  }
}
