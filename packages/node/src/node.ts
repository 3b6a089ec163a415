// OcpNode: the daemon — slot clock → gossip in → validate → pools → checkers →
// signer → aggregator → db — built from NodeOptions (components.ts builds the
// component graph), started in order and stopped gracefully. Each job lives in
// its own module: duties/, network/handlers/, sync/, storage/, chain/, api/.
import "./polyfill.js";
import type { EventEmitter } from "node:events";
import type { BlsSecretKey, Certificate, Domain, SignedCommitment, VerifierSetRegistry } from "@ocp/protocol";
import { toHex } from "@ocp/protocol";
import type { Logger as PinoLogger } from "pino";
import type { Registry } from "prom-client";
// Types only: viem, the anchor service and the HTTP API (fastify) are loaded in
// start() when configured, so a plain verifier process never holds them.
import type { AnchorService } from "./anchor/service.js";
import type { ApiServer } from "./api/server.js";
import type { SlotClock } from "./chain/clock.js";
import type { ChainPipeline } from "./chain/pipeline.js";
import type { AttestationGroup } from "./chain/pools/attestationPool.js";
import { domainKey, slotKey } from "./chain/pools/keys.js";
import type { CheckerPipeline } from "./checkers/pipeline.js";
import type { StreamContext } from "./checkers/types.js";
import { createNodeComponents, type NodeComponents, type NodeModules } from "./components.js";
import type { NodeDb } from "./db/nodeDb.js";
import { apiEventSource, type NodeEvents } from "./events.js";
import type { BoundsReport } from "./metrics/bounds.js";
import type { Metrics } from "./metrics/metrics.js";
import { registerReqRespHandlers } from "./network/handlers/reqResp.js";
import type { Network } from "./network/network.js";
import { type NodeOptions, type NodeOptionsInput, resolveNodeOptions } from "./options.js";
import type { DoppelgangerGuard } from "./signer/doppelganger.js";
import type { ValidatorStore } from "./signer/validatorStore.js";

export type { NodeModules } from "./components.js";
export type { NodeEvents } from "./events.js";

export class OcpNode {
  readonly opts: NodeOptions;
  readonly events: EventEmitter<NodeEvents>;
  readonly logger: PinoLogger;
  /** Every series of the node, in `registry` (metrics/metrics.ts). */
  readonly metrics: Metrics;
  readonly db: NodeDb;
  readonly sets: VerifierSetRegistry;
  readonly domain: Domain;
  readonly streams: StreamContext[];
  readonly clock: SlotClock;
  readonly validators: ValidatorStore;
  readonly doppelganger: DoppelgangerGuard;
  readonly checkers: CheckerPipeline;
  readonly chain: ChainPipeline;
  /** Built with the node; its host (peer id, addresses) exists from start(). */
  readonly network: Network;
  /** Present when this node anchors certificates. */
  anchor: AnchorService | undefined;
  /** Present while the HTTP API serves (`opts.api` set). */
  api: ApiServer | undefined;
  /** Verifier keys given to this node (loaded into `validators` at start). */
  readonly expectedKeys: number;
  private readonly c: NodeComponents;
  private readonly secretKeys: BlsSecretKey[];
  readonly #anchorKey: `0x${string}` | undefined;
  private running = false;
  private stopping: Promise<void> | undefined;

  constructor(input: NodeOptionsInput, modules: NodeModules = {}) {
    this.opts = resolveNodeOptions(input);
    const c = createNodeComponents(this.opts, modules, {
      isRunning: () => this.running,
      anchorBacklog: () => this.anchor?.backlog,
    });
    this.c = c;
    ({ events: this.events, logger: this.logger, metrics: this.metrics, db: this.db, sets: this.sets } = c);
    ({ domain: this.domain, streams: this.streams, clock: this.clock, validators: this.validators } = c);
    ({
      doppelganger: this.doppelganger,
      checkers: this.checkers,
      chain: this.chain,
      network: this.network,
    } = c);
    this.secretKeys = modules.secretKeys ?? [];
    this.expectedKeys = this.secretKeys.length;
    this.#anchorKey = modules.anchorPrivateKey;
  }

  /** The Prometheus registry holding every series of this node. */
  get registry(): Registry {
    return this.metrics.registry;
  }

  get peerId(): string {
    return this.network.peerId;
  }

  get multiaddrs(): string[] {
    return this.network.getMultiaddrs();
  }

  /** True between a completed start() and stop(). */
  get isRunning(): boolean {
    return this.running;
  }

  /** Every bounded pool, cache and queue of the running node: size, bound, drops. */
  bounds(): BoundsReport {
    const deferred = this.db.deferred;
    return {
      ...this.chain.bounds(),
      ...this.network.bounds(),
      // Slots from `now − maxPendingSlots` to the confirmed head, per stream.
      nodeSlots: {
        size: this.c.duties.size,
        limit: (this.opts.proposal.maxPendingSlots + 1) * this.streams.length,
        dropped: 0,
      },
      // Gossip attestations waiting for their batched write; "dropped" counts failed batches.
      attestationWrites: { size: deferred.size, limit: deferred.limit, dropped: deferred.failures },
    };
  }

  /**
   * Milliseconds since the L1 RPC last returned a head, or undefined if it never
   * did. In beacon-time mode nothing polls the head, so this asks the RPC once.
   */
  l1HeadAgeMs(): Promise<number | undefined> {
    return this.c.l1Head.ageMs(this.clock.mode === "beacon-time");
  }

  async start(): Promise<void> {
    if (this.running) return;
    await this.db.start();
    if (this.opts.setsFromAnchor) await this.c.setsSync.refresh();
    for (const sk of this.secretKeys) this.validators.addKey(sk);
    this.c.gossip.register();
    await registerReqRespHandlers({ network: this.network, db: this.db });
    await this.network.start();
    await this.c.peerStore.saveKey(this.network);
    if (this.opts.anchor) await this.startAnchor();
    this.running = true;
    this.clock.on("slot", (s) => this.onSlot(s));
    await this.clock.start();
    this.c.certSync.start();
    if (this.opts.api) await this.startApi();
    this.logger.info(
      { peerId: this.network.peerId, addrs: this.network.getMultiaddrs(), keys: this.validators.size },
      "ocp node started",
    );
  }

  /** Graceful and idempotent: timers, clock, network, chain, then the database. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  /** Adds the verifier sets registered on OcpAnchor that this node does not hold yet. */
  refreshSetsFromAnchor(): Promise<number> {
    return this.c.setsSync.refresh();
  }

  /** Fills certificate gaps of the sync lookback from connected peers; returns how many were added. */
  syncCertificates(): Promise<number> {
    return this.c.certSync.sync();
  }

  /** Validated exactly like gossip (throws the validation error), then published. */
  submitCommitment(signed: SignedCommitment): Promise<void> {
    return this.c.gossip.submitCommitment(signed);
  }

  /** The best certificate held for a slot: the pool's (recent slots), else the stored one. */
  bestCertificate(stream: StreamContext, slot: bigint): Promise<Certificate | undefined> {
    return this.c.recorder.bestCertificate(stream, slot);
  }

  /** The live attestation pool's groups for a slot. */
  attestationGroups(stream: StreamContext, slot: bigint): AttestationGroup[] {
    return this.chain.pools.attestations.groups(slotKey(domainKey(this.domain), toHex(stream.id), slot));
  }

  private async doStop(): Promise<void> {
    this.running = false;
    await this.api?.stop();
    this.clock.stop();
    this.c.slotWaiters.stop();
    this.c.setsSync.stop();
    const synced = this.c.certSync.stop();
    this.c.duties.stop();
    await this.anchor?.stop();
    await this.checkers.close();
    await this.network.stop();
    await synced;
    await this.chain.stop();
    await this.db.stop();
    this.logger.info("ocp node stopped");
  }

  private onSlot(slot: bigint): void {
    if (!this.running) return;
    this.chain.onSlot(slot);
    this.c.setsSync.onSlot(slot);
    this.checkers.prune(slot - BigInt(this.chain.ctx.retentionSlots));
    this.c.duties.onSlot(slot);
    this.c.recorder.onSlot(slot);
  }

  private async startAnchor(): Promise<void> {
    if (!this.#anchorKey) throw new Error("anchor role configured without an anchorer key");
    const { AnchorService } = await import("./anchor/service.js");
    const { db, opts } = this;
    const anchor = new AnchorService(
      { chainId: this.domain.chainId, contract: opts.domain.verifyingContract, ...opts.anchor! },
      {
        privateKey: this.#anchorKey,
        sets: this.sets,
        receipts: db.anchorReceipts,
        queue: db.anchorQueue,
        certificates: db.certificates,
        streams: this.streams.map((s) => s.id),
        currentSlot: () => this.clock.currentSlot(),
        logger: this.logger.child({ module: "anchor" }),
        metrics: this.metrics.node.anchor,
        onAnchored: (ev) => this.events.emit("anchored", ev),
      },
    );
    this.anchor = anchor;
    await anchor.start();
    this.events.on("certificate", (cert) => anchor.onCertificate(cert));
  }

  private async startApi(): Promise<void> {
    const [{ ApiServer }, { anchorStatusFromReceipts }, { checkReadiness }] = await Promise.all([
      import("./api/server.js"),
      import("./api/views.js"),
      import("./api/readiness.js"),
    ]);
    const { db, network, clock, validators, anchor } = this;
    this.api = new ApiServer(this.opts.api!, {
      chain: this, // domain, streams, sets, pools and commitment intake
      db,
      network,
      clock,
      validators,
      anchor,
      anchorStatus: anchorStatusFromReceipts(db.anchorReceipts),
      metrics: this.metrics.api,
      readiness: () => checkReadiness(this.opts.readiness, this),
      events: apiEventSource(this.events),
      logger: this.logger.child({ module: "api" }),
    });
    await this.api.start();
  }
}
