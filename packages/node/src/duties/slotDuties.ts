// Slot duties: each slot's state machine from the read-ahead of its block to
// the decision (checkers), the wait for a matching builder commitment (or the
// self-proposal deadline), and the attestation signed with every key of the
// governing set, gossiped and ingested locally.
import {
  type Attestation,
  type Domain,
  encodeAttestationSsz,
  fromHex,
  type Observation,
  observationRoot,
  toHex,
  type VerifierSetRegistry,
  verifierIndexOf,
} from "@ocp/protocol";
import type { ChainPipeline } from "../chain/pipeline.js";
import type { PooledCommitment } from "../chain/pools/commitmentPool.js";
import { encodeTableBytes } from "../chain/tableBytes.js";
import type { CheckerPipeline, Decision } from "../checkers/pipeline.js";
import { type StreamContext, streamSlotId } from "../checkers/types.js";
import type { DbOp } from "../db/database.js";
import type { NodeDb } from "../db/nodeDb.js";
import type { NodeEventSink } from "../events.js";
import type { DutiesMetrics } from "../metrics/metrics.js";
import { GossipKind } from "../network/topics.js";
import type { ProposalOptions } from "../options.js";
import type { ValidatorStore } from "../signer/validatorStore.js";
import type { Logger } from "../util/logger.js";

export interface SlotDutiesModules {
  opts: { proposal: ProposalOptions; confirmations: number; lookbackSlots: number };
  domain: Domain;
  streams: readonly StreamContext[];
  checkers: Pick<CheckerPipeline, "prefetch" | "decide">;
  validators: Pick<ValidatorStore, "precompute" | "signObservationAll">;
  sets: Pick<VerifierSetRegistry, "governing">;
  chain: Pick<ChainPipeline, "pools" | "attestation" | "validateOwnAttestation">;
  db: Pick<NodeDb, "batch" | "observations" | "tables" | "deferred" | "attestations">;
  /** Whether the sets are known current for a slot (refreshing them first if needed). */
  setsFreshFor(slot: bigint): Promise<boolean>;
  /** Gossips; failures are logged, never thrown. */
  publish(kind: GossipKind, bytes: Uint8Array): Promise<void>;
  events: NodeEventSink;
  metrics: DutiesMetrics | null;
  logger: Logger;
  isRunning(): boolean;
}

interface SlotState {
  stream: StreamContext;
  slot: bigint;
  /** "pending" until observe decides; "waiting" for a commitment; then final. */
  phase: "pending" | "deciding" | "waiting" | "attested" | "done";
  observation?: Observation;
  rootHex?: string;
  confirmedAtMs?: number;
  /**
   * The observation's own records (observation, table) until the attestation
   * writes them in its synced batch, whichever way it comes (docs/spec.md §6).
   */
  ops?: DbOp[];
  timer?: NodeJS.Timeout;
}

export class SlotDuties {
  private readonly slots = new Map<string, SlotState>();
  /**
   * Slots decided "nothing" (no block or no table), by slot-state key: no
   * certificate can exist, so sync never asks for them. Kept for the sync
   * lookback window.
   */
  private readonly noTableSlots = new Map<string, bigint>();
  /** This node's own observationRoot per slot-state key, from the block read ahead or decided. */
  private readonly ownRoots = new Map<string, { slot: bigint; rootHex: string }>();
  private firstSlotSeen = false;

  constructor(private readonly m: SlotDutiesModules) {}

  /** Slots tracked now (from `now − maxPendingSlots` to the confirmed head, per stream). */
  get size(): number {
    return this.slots.size;
  }

  /** This node's observationRoot for a slot, once its block was read. */
  ownRoot(stream: Uint8Array, slot: bigint): string | undefined {
    return this.ownRoots.get(streamSlotId(stream, slot))?.rootHex;
  }

  /** The slot was decided "nothing": no certificate can exist for it. */
  knownEmpty(stream: Uint8Array, slot: bigint): boolean {
    return this.noTableSlots.has(streamSlotId(stream, slot));
  }

  /** Wall time (ms) this node confirmed its observation of a slot (by slot-state key). */
  decidedAtMs(stateKey: string): number | undefined {
    return this.slots.get(stateKey)?.confirmedAtMs;
  }

  /** Highest tracked slot for which `certified` holds; 0 if none. */
  latestTracked(certified: (stream: Uint8Array, slot: bigint) => boolean): bigint {
    let latest = 0n;
    for (const st of this.slots.values())
      if (st.slot > latest && certified(st.stream.id, st.slot)) latest = st.slot;
    return latest;
  }

  onSlot(slot: bigint): void {
    const { opts, streams } = this.m;
    this.m.metrics?.head.set(Number(slot));
    const lookback = slot - BigInt(opts.lookbackSlots);
    for (const [key, s] of this.noTableSlots) if (s < lookback) this.noTableSlots.delete(key);
    const target = slot - BigInt(opts.confirmations);
    // Read the new block now (at confirmation only its hash is re-checked) and
    // compute our votes for it: signing at the decision is then only the
    // slashing-protection write.
    if (target < slot) for (const stream of streams) void this.prepare(stream, slot);
    const oldest = slot - BigInt(opts.proposal.maxPendingSlots);
    for (const [key, r] of this.ownRoots) if (r.slot < oldest) this.ownRoots.delete(key);
    // After a start (or restart) the recent slots are worth deciding too: the
    // node may have missed them while down. Slashing protection makes a repeat
    // harmless (same root → same signature, re-published).
    const first = this.firstSlotSeen ? target : oldest + 1n;
    this.firstSlotSeen = true;
    for (let s = first < 0n ? 0n : first; s <= target; s++) {
      for (const stream of streams) {
        const key = streamSlotId(stream.id, s);
        if (!this.slots.has(key)) this.slots.set(key, { stream, slot: s, phase: "pending" });
      }
    }
    for (const [key, st] of this.slots) {
      if (st.slot < oldest) {
        // A decided slot still waiting for a commitment is self-proposed now: on
        // a fast chain the window can pass before the deadline, and a slot
        // dropped unsigned on enough nodes would never be certified.
        if (st.phase === "waiting") void this.attest(st, "self");
        if (st.timer) clearTimeout(st.timer);
        this.slots.delete(key);
      } else if (st.phase === "pending") {
        void this.decide(st);
      }
    }
  }

  /** A commitment entered the pool: attests now if a decided slot waits for it. */
  async onCommitment(stream: StreamContext, c: PooledCommitment): Promise<void> {
    const st = this.slots.get(streamSlotId(stream.id, c.slot));
    if (st?.phase === "waiting" && st.rootHex === c.rootHex) await this.attest(st, "commitment");
  }

  stop(): void {
    for (const s of this.slots.values()) if (s.timer) clearTimeout(s.timer);
  }

  private async prepare(stream: StreamContext, slot: bigint): Promise<void> {
    const observation = await this.m.checkers.prefetch(stream, slot);
    if (!this.m.isRunning()) return;
    if (observation !== undefined) {
      this.ownRoots.set(streamSlotId(stream.id, slot), {
        slot,
        rootHex: toHex(observationRoot(this.m.domain, observation)),
      });
      if (this.m.sets.governing(slot)) this.m.validators.precompute(this.m.domain, observation);
    }
    this.m.events.emit("prepared", { stream: stream.name, slot, observed: observation !== undefined });
  }

  private async decide(st: SlotState): Promise<void> {
    const { m } = this;
    st.phase = "deciding";
    const decision = await m.checkers.decide(st.stream, st.slot);
    if (!m.isRunning()) return;
    m.events.emit("decision", { stream: st.stream.name, slot: st.slot, decision });
    if (decision.verdict === "abstain") {
      m.metrics?.decisions.inc({ verdict: "abstain", reason: decision.reason });
      m.logger.warn(
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
      m.metrics?.decisions.inc({ verdict: "nothing", reason: decision.reason });
      this.noTableSlots.set(streamSlotId(st.stream.id, st.slot), st.slot);
      st.phase = "done";
      return;
    }
    m.metrics?.decisions.inc({ verdict: "sign", reason: "" });
    const observation = decision.observation;
    st.observation = observation;
    st.rootHex = toHex(observationRoot(m.domain, observation));
    this.ownRoots.set(streamSlotId(st.stream.id, st.slot), { slot: st.slot, rootHex: st.rootHex });
    st.confirmedAtMs = Date.now();
    // The observation's records ride in the signer's synced slashing-protection
    // batch, whether the builder's commitment came first (the usual case), comes
    // later or never (self-proposal): no write of their own, which a commitment
    // arriving meanwhile would wait behind.
    st.ops = this.observationOps(st, decision);
    st.phase = "waiting";
    if (this.matchingCommitment(st)) {
      await this.attest(st, "commitment");
      return;
    }
    // Pruned while it was being decided: the window has passed it, so no deadline
    // (and no commitment could find it any more).
    if (this.slots.get(streamSlotId(st.stream.id, st.slot)) !== st) {
      await this.attest(st, "self");
      return;
    }
    // Self-proposal: no matching commitment by the deadline → our own observation.
    st.timer = setTimeout(() => void this.attest(st, "self"), m.opts.proposal.selfProposeDelayMs);
  }

  /** The node's own observation and its table, to be written in one batch. */
  private observationOps(st: SlotState, decision: Decision & { verdict: "sign" }): DbOp[] {
    const { db } = this.m;
    return [
      db.observations.putOwnOp({
        observation: decision.observation,
        checkers: decision.checkersRan.map((c) => ({ checker: c, outcome: "pass" as const })),
        decision: "attest",
        decidedAtMs: Date.now(),
      }),
      ...db.tables.putOps(
        st.stream.id,
        st.slot,
        decision.observation.tableDigest,
        encodeTableBytes(decision.table.calls),
      ),
    ];
  }

  private matchingCommitment(st: SlotState): PooledCommitment | undefined {
    if (st.rootHex === undefined) return undefined;
    const c = this.m.chain.pools.commitments.forRoot(st.rootHex);
    return c && c.slot === st.slot ? c : undefined;
  }

  /**
   * Signs our observation with every key that is in the governing set. The
   * observation's records, when not written yet, go in the same batch as the
   * slashing-protection records.
   */
  private async attest(st: SlotState, why: "commitment" | "self"): Promise<void> {
    const { m } = this;
    if (st.phase !== "waiting" || !st.observation || !m.isRunning()) return;
    st.phase = "attested";
    if (st.timer) clearTimeout(st.timer);
    const ops = st.ops ?? [];
    st.ops = undefined;
    // Never sign under a set other than the one governing the slot on chain.
    if (!(await m.setsFreshFor(st.slot))) {
      if (ops.length > 0) await m.db.batch(ops);
      m.logger.warn({ slot: st.slot.toString() }, "verifier sets not known to be current; not signing yet");
      // Decided again on the next slot tick (the decision is cached).
      st.phase = "pending";
      return;
    }
    if (!m.isRunning()) return;
    const set = m.sets.governing(st.slot);
    if (!set) {
      if (ops.length > 0) await m.db.batch(ops);
      m.logger.warn({ slot: st.slot.toString() }, "no verifier set governs this slot; not signing");
      return;
    }
    // Only keys of the governing set sign: a removed key, or one that joins later, signs nothing.
    const results = await m.validators.signObservationAll(
      m.domain,
      st.observation,
      ops,
      (pk) => verifierIndexOf(set, pk) >= 0,
    );
    const own: Attestation[] = [];
    for (const r of results) {
      if (!r.signature) {
        m.metrics?.signRefused.inc({ code: r.error?.code ?? "unknown" });
        m.logger.warn({ slot: st.slot.toString(), code: r.error?.code }, "signature refused");
        continue;
      }
      const index = verifierIndexOf(set, r.pubkey);
      if (index < 0) continue;
      own.push({
        domain: m.domain,
        observation: st.observation,
        setId: set.setId,
        verifierIndex: index,
        signature: r.signature,
      });
      m.metrics?.signed.inc();
    }
    // Out first: peers are waiting for these votes. They were self-checked
    // when signed, so the local copy skips a second signature check.
    const root = fromHex(st.rootHex!);
    const encoded = own.map((att) => encodeAttestationSsz(att));
    await Promise.all([
      ...encoded.map((bytes) => m.publish(GossipKind.attestation, bytes)),
      ...own.map((att) => this.ingestOwnAttestation(att, root)),
    ]);
    if (own.length === 0) {
      m.logger.debug(
        { stream: st.stream.name, slot: st.slot.toString() },
        "no key of ours in the governing set",
      );
      return;
    }
    m.logger.info(
      { stream: st.stream.name, slot: st.slot.toString(), why, root: st.rootHex, keys: own.length },
      "attested",
    );
  }

  private async ingestOwnAttestation(att: Attestation, root: Uint8Array): Promise<void> {
    const { chain, db } = this.m;
    try {
      chain.attestation.accept(await chain.validateOwnAttestation(att, root));
    } catch (e) {
      this.m.logger.warn({ err: String(e) }, "own attestation not accepted locally");
      return;
    }
    this.m.events.emit("attestation", att);
    await db.deferred.write(db.attestations.addOp(att, root));
  }
}
