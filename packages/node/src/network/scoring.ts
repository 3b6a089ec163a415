// Gossipsub peer scoring for ocp: topic score parameters derived from the
// per-slot message rates of each topic, the global score parameters, and the
// application-specific score (req/resp abuse) that decays back to zero.
import type { PeerScoreParams, TopicScoreParams } from "@libp2p/gossipsub/score";
import { GOSSIP_KINDS, GossipKind } from "./topics.js";

export interface ScoringOptions {
  /** Seconds per slot; every rate below is per slot. @default 12 (Ethereum L1 slots) */
  slotSeconds: number;
  /** Streams carried by the network: every per-slot rate is per stream. @default 1 */
  streams: number;
  /** Verifier keys in the governing set: one attestation each per slot. @default 128 */
  expectedVerifiers: number;
  /** Builders publishing commitments (1–2 each per slot). @default 4 */
  expectedBuilders: number;
  /**
   * REJECTed messages on one topic that take a peer holding the best possible
   * topic score below the graylist threshold. Honest peers only forward what
   * passed the same rules, so they reach this only through a bug or a verifier
   * set they learned before us. @default 10
   */
  rejectsToGraylist: number;
  /** Slots over which the invalid-message counter decays to zero. @default 100 */
  invalidDecaySlots: number;
  /** Slots over which first-delivery credit decays to zero. @default 32 (an Ethereum epoch) */
  firstDeliveryDecaySlots: number;
  /** Peers sharing one IP before the colocation penalty starts (ignored with localNetwork). @default 3 */
  ipColocationThreshold: number;
  /** How often connected peers' scores are checked against the graylist threshold. @default 1000 */
  checkIntervalMs: number;
  /** Ban of a peer found below the graylist threshold. @default 600_000 (10 min) */
  graylistBanMs: number;
  /**
   * Application score taken per rate-limited req/resp request. 100 hits in a
   * half-life reach the graylist threshold on their own. @default 160
   */
  rateLimitPenalty: number;
  /**
   * Application score taken per gossip message IGNOREd beyond the forwarding
   * peer's allowance (`network.gossip.ignoreBudget`): an IGNORE costs nothing
   * to send, so past what honest forwarding explains it is charged. 100 in a
   * half-life graylist. @default 160
   */
  ignorePenalty: number;
  /**
   * Application score taken per gossip RPC frame dropped unread (undecodable,
   * over the RPC limits, a message on a topic we do not subscribe to, a signed
   * message), and per stream reset before its protocol was agreed (too many
   * new streams, or too many bytes while negotiating: network/inboundStreams.ts).
   * Honest peers send none; 10 in a half-life graylist. @default 1600
   */
  badRpcPenalty: number;
  /**
   * Application score taken per REJECT that gossipsub's own invalid-delivery
   * penalty (P4) cannot see: P4 counts a REJECT only while the message is in
   * gossipsub's message cache (6 heartbeats), and a verdict that comes later,
   * as under a flood, would go unpunished. 10 in a half-life graylist.
   * @default 1600
   */
  rejectPenalty: number;
  /**
   * Application score taken each time signatures a peer forwarded fail
   * together in a BLS batch. Honest peers forward only what they verified;
   * 3 failures in a half-life graylist (the verifier stops checking the peer's
   * sets after 3 anyway, so the rest of its flood costs no REJECTs). @default 6000
   */
  blsFailurePenalty: number;
  /** Half-life of the application penalty. @default 60_000 */
  penaltyHalfLifeMs: number;
}

export const defaultScoringOptions: ScoringOptions = {
  slotSeconds: 12,
  streams: 1,
  expectedVerifiers: 128,
  expectedBuilders: 4,
  rejectsToGraylist: 10,
  invalidDecaySlots: 100,
  firstDeliveryDecaySlots: 32,
  ipColocationThreshold: 3,
  checkIntervalMs: 1000,
  graylistBanMs: 600_000,
  rateLimitPenalty: 160,
  ignorePenalty: 160,
  badRpcPenalty: 1600,
  rejectPenalty: 1600,
  blsFailurePenalty: 6000,
  penaltyHalfLifeMs: 60_000,
};

// Gossipsub decays counters once per decayInterval (its minimum, 1 s) and
// zeroes a counter once it falls under decayToZero.
const DECAY_INTERVAL_MS = 1000;
const DECAY_TO_ZERO = 0.01;

// Positive score a topic can give, split as Lodestar does for Ethereum: a
// little for staying in the mesh, more for delivering messages first.
const MAX_IN_MESH_SCORE = 10;
const MAX_FIRST_MESSAGE_DELIVERIES_SCORE = 40;

/**
 * Relative topic weights: attestations carry the network's work, commitments
 * and certificates are fewer but decide what gets signed and anchored,
 * evidence is rare.
 */
const TOPIC_WEIGHT: Record<GossipKind, number> = {
  [GossipKind.attestation]: 1,
  [GossipKind.commitment]: 0.5,
  [GossipKind.certificate]: 0.5,
  [GossipKind.evidence]: 0.25,
};

/** Per-interval factor that takes a counter from 1 to DECAY_TO_ZERO in `slots` slots. */
export function decayFactor(slots: number, slotSeconds: number): number {
  const ticks = Math.max(1, (slots * slotSeconds * 1000) / DECAY_INTERVAL_MS);
  return DECAY_TO_ZERO ** (1 / ticks);
}

/** Steady-state value of a counter that gains `perTick` per tick and decays by `decay`. */
function convergence(decay: number, perTick: number): number {
  return perTick / (1 - decay);
}

/** Messages per slot per stream on each topic (upper end of the honest rate). */
export function messagesPerSlot(o: ScoringOptions): Record<GossipKind, number> {
  return {
    // one vote per verifier key per slot
    [GossipKind.attestation]: o.expectedVerifiers,
    // 1–2 commitments per builder (a corrected one carries the equivocation)
    [GossipKind.commitment]: 2 * o.expectedBuilders,
    // the first certificate and one heavier upgrade; equal-weight copies are IGNOREd
    [GossipKind.certificate]: 2,
    // rare: one piece per equivocating key; no positive credit is derived from it
    [GossipKind.evidence]: 0,
  };
}

/** Best positive score over all topics (before the cap). */
export function maxPositiveScore(): number {
  let total = 0;
  for (const kind of GOSSIP_KINDS)
    total += (MAX_IN_MESH_SCORE + MAX_FIRST_MESSAGE_DELIVERIES_SCORE) * TOPIC_WEIGHT[kind];
  return total;
}

/**
 * Topic score params per kind, derived from the per-slot rates:
 * - P1 time in mesh: `MAX_IN_MESH_SCORE` after an hour in the mesh, counted in slots.
 * - P2 first deliveries: a mesh peer is first for about 1/D of the topic's
 *   messages; twice that fair share, accumulated under the decay, is the cap,
 *   and the cap is worth `MAX_FIRST_MESSAGE_DELIVERIES_SCORE`. Evidence gets none.
 * - P3/P3b mesh delivery deficits: off. Our topics are slot-paced and sparse
 *   (a devnet set of 4 keys sends 4 votes per slot), so an honest mesh peer
 *   could not meet any useful threshold and would be pruned for it.
 * - P4 invalid deliveries (every REJECT): quadratic in the count, so the
 *   weight is set where `rejectsToGraylist` rejects cost the graylist
 *   threshold plus the capped positive score; the count decays to zero over
 *   `invalidDecaySlots`.
 */
export function deriveTopicScoreParams(
  opts: ScoringOptions,
  graylistThreshold: number,
  meshDegree: number,
): Record<GossipKind, TopicScoreParams> {
  const rates = messagesPerSlot(opts);
  const slotMs = opts.slotSeconds * 1000;
  const firstDecay = decayFactor(opts.firstDeliveryDecaySlots, opts.slotSeconds);
  const invalidDecay = decayFactor(opts.invalidDecaySlots, opts.slotSeconds);
  const cap = topicScoreCap();
  const timeInMeshCap = 3600 / opts.slotSeconds;
  const out = {} as Record<GossipKind, TopicScoreParams>;
  for (const kind of GOSSIP_KINDS) {
    const topicWeight = TOPIC_WEIGHT[kind];
    const perTick = (rates[kind] * opts.streams * DECAY_INTERVAL_MS) / slotMs;
    const firstCap = convergence(firstDecay, (2 * perTick) / meshDegree);
    const credited = firstCap > 0;
    out[kind] = {
      topicWeight,
      timeInMeshWeight: MAX_IN_MESH_SCORE / timeInMeshCap,
      timeInMeshQuantum: slotMs,
      timeInMeshCap,
      firstMessageDeliveriesWeight: credited ? MAX_FIRST_MESSAGE_DELIVERIES_SCORE / firstCap : 0,
      firstMessageDeliveriesDecay: firstDecay,
      firstMessageDeliveriesCap: credited ? firstCap : 1,
      meshMessageDeliveriesWeight: 0,
      meshMessageDeliveriesDecay: firstDecay,
      meshMessageDeliveriesCap: 1,
      meshMessageDeliveriesThreshold: 1,
      meshMessageDeliveriesWindow: 0,
      meshMessageDeliveriesActivation: 4 * slotMs,
      meshFailurePenaltyWeight: 0,
      meshFailurePenaltyDecay: firstDecay,
      // One unit past the threshold: gossipsub still accepts a score equal to it.
      invalidMessageDeliveriesWeight:
        (graylistThreshold - cap - 1) / (topicWeight * opts.rejectsToGraylist ** 2),
      invalidMessageDeliveriesDecay: invalidDecay,
    };
  }
  return out;
}

/** Cap on the summed topic score: half the best possible, as Lodestar does. */
export function topicScoreCap(): number {
  return maxPositiveScore() / 2;
}

/**
 * Global score params (topics come separately, keyed by full topic string).
 * - App-specific weight 1: the application score is already in score units.
 * - IP colocation: off on local networks (every peer is 127.0.0.1, FACTS
 *   pitfall); elsewhere each peer over the threshold costs the capped
 *   positive score, squared in the surplus.
 * - Behaviour penalty (broken IWANT promises, early GRAFTs): 6 over the
 *   threshold reach the gossip threshold; decays over 10 slots.
 */
export function derivePeerScoreParams(
  opts: ScoringOptions,
  localNetwork: boolean,
  gossipThreshold: number,
): Omit<PeerScoreParams, "topics" | "appSpecificScore"> {
  const cap = topicScoreCap();
  return {
    topicScoreCap: cap,
    appSpecificWeight: 1,
    IPColocationFactorWeight: localNetwork ? 0 : -cap,
    IPColocationFactorThreshold: opts.ipColocationThreshold,
    IPColocationFactorWhitelist: new Set(),
    behaviourPenaltyWeight: gossipThreshold / 36,
    behaviourPenaltyThreshold: 6,
    behaviourPenaltyDecay: decayFactor(10, opts.slotSeconds),
    decayInterval: DECAY_INTERVAL_MS,
    decayToZero: DECAY_TO_ZERO,
    // Scores of disconnected peers are kept for an hour: reconnecting does not wash them.
    retainScore: 3_600_000,
  };
}

/**
 * Decaying per-peer penalties that feed gossipsub's application-specific
 * score. Bounded: when full, the smallest penalty is forgotten first.
 */
export class AppPenalties {
  private readonly entries = new Map<string, { value: number; atMs: number }>();
  /** Entries forgotten to stay within `maxPeers`. */
  evicted = 0;

  constructor(
    private readonly halfLifeMs: number,
    readonly maxPeers = 1024,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  penalize(peer: string, amount: number): void {
    const current = this.value(peer);
    if (!this.entries.has(peer) && this.entries.size >= this.maxPeers) this.evictSmallest();
    this.entries.set(peer, { value: current + amount, atMs: this.now() });
  }

  /** Current penalty (≥ 0); forgets it once it has decayed below 1. */
  value(peer: string): number {
    const e = this.entries.get(peer);
    if (e === undefined) return 0;
    const v = e.value * 0.5 ** ((this.now() - e.atMs) / this.halfLifeMs);
    if (v < 1) {
      this.entries.delete(peer);
      return 0;
    }
    return v;
  }

  /** Application score: the negated penalty. */
  score(peer: string): number {
    return -this.value(peer);
  }

  private evictSmallest(): void {
    let smallest: string | undefined;
    let min = Number.POSITIVE_INFINITY;
    for (const peer of this.entries.keys()) {
      const v = this.value(peer);
      if (!this.entries.has(peer)) return; // decayed away: room made
      if (v < min) {
        min = v;
        smallest = peer;
      }
    }
    if (smallest !== undefined) {
      this.entries.delete(smallest);
      this.evicted++;
    }
  }
}
