// Forms certificates from the attestation pool: when a group's signed weight
// strictly passes quorum, build and emit; later votes may emit a heavier
// certificate, at most once per group per upgrade interval. Each emission
// carries when to gossip it, from this node's place in the slot's order
// (rank.ts; docs/spec.md §6, "Aggregation").
import { buildCertificate, type Certificate, quorumReached, type VerifierSet } from "@ocp/protocol";
import { type Logger, nullLogger } from "../../util/logger.js";
import type { AttestationGroup } from "../pools/attestationPool.js";

export interface AggregatorOptions {
  /**
   * Shortest time between two certificates for one group (the first one is
   * not delayed). Building re-aggregates every signature (~0.1 ms each), and
   * peers IGNORE certificates that add no weight anyway.
   * @default 500
   */
  upgradeIntervalMs: number;
  /**
   * Random extra wait before an upgrade, up to this much. Every node holding
   * the late votes would otherwise build the same heavier certificate at the
   * same moment; with a spread, the first one's gossip arrives before the
   * others' timers fire, and they skip (no more weight than held).
   * @default 250
   */
  upgradeJitterMs: number;
  /**
   * Wait per place in the slot's order (rank.ts) before a certificate built
   * here is gossiped: the first-placed node gossips at once, the next one
   * this much later, and so on; a certificate of a peer that arrives
   * meanwhile makes ours unneeded. The build itself is not delayed, so the
   * node holds its certificate at once. Of the order of one gossip hop
   * across the internet.
   * @default 200
   */
  rankDelayMs: number;
  /** Longest wait from the place (late places, and nodes without keys in the set). @default 2000 */
  maxRankDelayMs: number;
}

export const defaultAggregatorOptions: AggregatorOptions = {
  upgradeIntervalMs: 500,
  upgradeJitterMs: 250,
  rankDelayMs: 200,
  maxRankDelayMs: 2000,
};

export interface CertificateEvent {
  /** "new": first certificate for the group; "upgrade": more weight than the last one emitted. */
  kind: "new" | "upgrade";
  certificate: Certificate;
  set: VerifierSet;
  signedWeight: bigint;
  observationRoot: Uint8Array;
  rootHex: string;
  slotKey: string;
  slot: bigint;
  /** How long to hold the certificate back before gossiping it (this node's place in the slot's order). */
  publishDelayMs: number;
}

export interface AggregatorModules {
  onCertificate: (ev: CertificateEvent) => void;
  /**
   * Weight of the best certificate already held for the group's root (ours or
   * a peer's): building one of no more weight would only repeat it.
   */
  heldWeight?: (group: AttestationGroup) => bigint | undefined;
  /** This node's place in the group's slot order (0 = first to gossip); @default 0 */
  rank?: (group: AttestationGroup) => number;
  /** @default Date.now */
  now?: () => number;
  logger?: Logger;
}

interface GroupState {
  group: AttestationGroup;
  emittedWeight: bigint;
  lastEmitMs: number | undefined;
  timer: NodeJS.Timeout | undefined;
  pending: boolean;
}

export class Aggregator {
  /** Certificates emitted (new + upgrades). */
  emitted = 0;
  /** Builds that failed (an undecodable or non-subgroup sum; never emitted). */
  selfCheckFailures = 0;
  private readonly opts: AggregatorOptions;
  private readonly modules: AggregatorModules;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly states = new Map<string, GroupState>();
  private tickQueued = false;
  private stopped = false;

  constructor(opts: Partial<AggregatorOptions>, modules: AggregatorModules) {
    this.opts = { ...defaultAggregatorOptions, ...opts };
    this.modules = modules;
    this.now = modules.now ?? Date.now;
    this.logger = modules.logger ?? nullLogger;
  }

  /**
   * A group gained a vote. The build waits for the end of the current turn
   * of the event loop (a tick runs once the turn's microtasks are done), so
   * the votes of one batch flush, accepted one per microtask, yield one
   * certificate, not one per vote. It does not wait for the next turn, whose
   * I/O comes first: in the 8 × 8 benchmark, nodes building a turn later
   * held their certificate 10 ms later at the median and 15 ms at p90.
   */
  onGroupUpdated(group: AttestationGroup): void {
    if (this.stopped) return;
    if (!quorumReached(group.set, group.signedWeight)) return;
    let st = this.states.get(group.key);
    if (st === undefined) {
      st = { group, emittedWeight: 0n, lastEmitMs: undefined, timer: undefined, pending: false };
      this.states.set(group.key, st);
    }
    if (group.signedWeight <= st.emittedWeight || st.pending) return;
    const held = this.modules.heldWeight?.(group);
    if (held !== undefined && group.signedWeight <= held) return;
    st.pending = true;
    // A peer's certificate counts as an emission: the upgrade interval runs from now.
    const since = st.lastEmitMs ?? (held === undefined ? undefined : this.now());
    const wait =
      since === undefined
        ? 0
        : since + this.opts.upgradeIntervalMs - this.now() + Math.random() * this.opts.upgradeJitterMs;
    if (wait > 0) {
      st.timer = setTimeout(() => {
        st.timer = undefined;
        this.process(st);
      }, wait);
    } else if (!this.tickQueued) {
      this.tickQueued = true;
      process.nextTick(() => {
        this.tickQueued = false;
        // After stop() there are no states left to build.
        this.flush();
      });
    }
  }

  /** Builds now every pending group whose upgrade interval has passed; returns what was emitted. */
  flush(): CertificateEvent[] {
    const out: CertificateEvent[] = [];
    const now = this.now();
    for (const st of this.states.values()) {
      if (!st.pending || st.timer !== undefined) continue;
      if (st.lastEmitMs !== undefined && now - st.lastEmitMs < this.opts.upgradeIntervalMs) continue;
      const ev = this.process(st);
      if (ev !== undefined) out.push(ev);
    }
    return out;
  }

  private process(st: GroupState): CertificateEvent | undefined {
    st.pending = false;
    if (this.stopped) return undefined;
    const { group } = st;
    if (group.signedWeight <= st.emittedWeight) return undefined;
    // A peer's certificate may have arrived while this build waited.
    const held = this.modules.heldWeight?.(group);
    if (held !== undefined && group.signedWeight <= held) return undefined;
    let certificate: Certificate;
    try {
      // Pool votes passed their signature check (with subgroup check) on receipt,
      // and a sum of valid signatures over one root is a valid aggregate under
      // the sum of their keys: no pairing check of our own build (it was ~1.5 ms
      // per certificate). The sum itself is checked (not infinity, in the subgroup).
      certificate = buildCertificate([...group.byIndex.values()], group.set, { signaturesVerified: true });
    } catch (e) {
      this.selfCheckFailures++;
      this.logger.error(
        { group: group.key, err: e instanceof Error ? e.message : String(e) },
        "certificate build failed",
      );
      return undefined;
    }
    // The group's weight is that of exactly these signers, past quorum (onGroupUpdated).
    const signedWeight = group.signedWeight;
    const ev: CertificateEvent = {
      kind: st.lastEmitMs === undefined ? "new" : "upgrade",
      certificate,
      set: group.set,
      signedWeight,
      observationRoot: group.observationRoot,
      rootHex: group.rootHex,
      slotKey: group.slotKey,
      slot: group.slot,
      publishDelayMs: Math.min(
        (this.modules.rank?.(group) ?? 0) * this.opts.rankDelayMs,
        this.opts.maxRankDelayMs,
      ),
    };
    st.emittedWeight = signedWeight;
    st.lastEmitMs = this.now();
    this.emitted++;
    try {
      this.modules.onCertificate(ev);
    } catch (e) {
      this.logger.error({ err: e instanceof Error ? e.message : String(e) }, "certificate listener threw");
    }
    return ev;
  }

  /** Groups tracked: one per attestation group past quorum, so bounded by the attestation pool. */
  get groupCount(): number {
    return this.states.size;
  }

  /** Forgets groups of slots below `minSlot`. */
  prune(minSlot: bigint): void {
    for (const [key, st] of this.states) {
      if (st.group.slot >= minSlot) continue;
      if (st.timer !== undefined) clearTimeout(st.timer);
      this.states.delete(key);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const st of this.states.values()) if (st.timer !== undefined) clearTimeout(st.timer);
    this.states.clear();
  }
}
