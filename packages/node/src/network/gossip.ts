// Gossip plumbing: subscribe a topic kind with its validator, run the network's
// own pre-checks, turn the verdict into gossipsub's TopicValidatorResult in one
// place (counting every outcome), and hand accepted messages to the pipeline.
import type { TopicScoreParams } from "@libp2p/gossipsub/score";
import { isProtocolError } from "@ocp/protocol";
import type { Logger } from "pino";
import type { NetworkMetrics } from "../metrics/network.js";
import { decrement } from "../util/counts.js";
import {
  GossipAction,
  GossipActionError,
  GossipErrorCode,
  GossipFutureSlotError,
  GossipUnknownSetError,
} from "./errors.js";
import {
  GOSSIP_HEARTBEAT_MS,
  GOSSIP_MCACHE_LENGTH,
  type Host,
  type HostGossipMessage,
  type PublishOutcome,
  TopicValidatorResult,
} from "./host.js";
import type { GossipOptions } from "./options.js";
import { GOSSIP_KINDS, GOSSIP_MAX_BYTES, type GossipKind, gossipTopic } from "./topics.js";

/** What a validator sees. `from` forwarded the message; it is not necessarily the author. */
export interface GossipMessage {
  kind: GossipKind;
  topic: string;
  data: Uint8Array;
  from: string;
  msgId: string;
}

/** A successful validation, carrying the decoded value so it is decoded only once. */
export interface GossipValidationResult<T = unknown> {
  value: T;
}

/**
 * Validates one message: resolves to accept, throws GossipActionError to IGNORE
 * or REJECT. A ProtocolError with an SSZ code (undecodable payload) counts as
 * REJECT; any other throw is IGNOREd as VALIDATOR_FAILED (our fault, not the peer's).
 * Validators never write state (a gossip handler decodes, validates, pools, emits).
 */
export type GossipValidatorFn<T = unknown> = (msg: GossipMessage) => Promise<GossipValidationResult<T>>;

export interface AcceptedGossipMessage<T = unknown> extends GossipMessage {
  value: T;
}

/** Runs after ACCEPT was reported (the message is already being forwarded): pool + emit. */
export type GossipAcceptedHandler<T = unknown> = (msg: AcceptedGossipMessage<T>) => void | Promise<void>;

export interface GossipPublishResult {
  outcome: PublishOutcome;
  recipients: number;
}

export type GossipOutcome = { result: "accept" } | { result: "ignore" | "reject"; code: string };

export interface GossipModules {
  host: Host;
  metrics: NetworkMetrics | null;
  logger: Logger;
  /** Called for every accepted message after the kind's own handler (network event). */
  onAccepted?(msg: AcceptedGossipMessage): void;
  /**
   * Called for a REJECT given after the message left gossipsub's message
   * cache: gossipsub's own penalty (P4) no longer sees it, so the
   * application score must charge the forwarding peer instead.
   */
  onLateReject?(peer: string, kind: GossipKind, code: string): void;
  /**
   * Resolves true once `slot` has started here (the slot clock), false after
   * `maxMs`; null at once when `slot` is more than `aheadSlots` slots beyond
   * the future tolerance. Without it, messages from the future are IGNOREd at
   * once (docs/spec.md §5.3).
   */
  awaitSlot?(slot: bigint, aheadSlots: number, maxMs: number): Promise<boolean> | null;
  /**
   * Resolves true once a refresh of this node's verifier sets from the anchor
   * succeeds, false after `maxMs`; null at once when the sets come from files
   * only (nothing to wait for). Without it, messages under a set this node
   * does not hold are IGNOREd at once (docs/spec.md §5.3).
   */
  awaitSets?(maxMs: number): Promise<boolean> | null;
  /**
   * Called for each message IGNOREd beyond the forwarding peer's allowance
   * (`ignoreBudget`): the network charges it to the peer's score.
   */
  onIgnoreOverBudget?(peer: string, kind: GossipKind, code: string): void;
  /** Milliseconds, for the IGNORE allowance's refill (tests inject a clock). @default performance.now */
  now?(): number;
}

interface Subscription {
  validator: GossipValidatorFn;
  onAccepted: GossipAcceptedHandler | undefined;
}

/**
 * Topic score params per kind: the hook for the gossip scoring issue. Empty
 * until then, which leaves only the global (IP colocation, behaviour,
 * app-specific) score components active.
 */
export function gossipTopicScoreParams(
  network: string,
  perKind: Partial<Record<GossipKind, TopicScoreParams>> = {},
): Record<string, TopicScoreParams> {
  const out: Record<string, TopicScoreParams> = {};
  for (const kind of GOSSIP_KINDS) {
    const params = perKind[kind];
    if (params !== undefined) out[gossipTopic(network, kind)] = params;
  }
  return out;
}

/**
 * Longest run of validator starts in one event-loop turn. A vote's synchronous
 * part (decode, root, checks) is tens of µs; 10 ms is hundreds of them per turn
 * while pings, sockets and the API still get a turn every 10 ms.
 */
const GOSSIP_VALIDATION_SLICE_MS = 10;

/** Outcomes counted in `ocp_gossip_future_hold_total` (metrics/network.ts). */
const FUTURE_HOLD_RESULTS = ["held", "due", "expired", "full", "too_far"] as const;

/** Outcomes counted in `ocp_gossip_set_hold_total` (metrics/network.ts). */
const SET_HOLD_RESULTS = ["held", "due", "expired", "full"] as const;

/** What a held message waits for: its slot, or a refresh of this node's verifier sets. */
type HoldReason = "slot" | "sets";

/**
 * IGNOREs that say nothing about the forwarding peer: this node's own limits,
 * state and faults. Every other IGNORE is a verdict on the message the peer
 * chose to forward, and draws on its allowance (docs/spec.md §5.3).
 */
const UNCHARGED_IGNORES: ReadonlySet<string> = new Set([
  GossipErrorCode.NO_VALIDATOR,
  GossipErrorCode.QUEUE_FULL,
  GossipErrorCode.PEER_QUEUE_FULL,
  GossipErrorCode.VALIDATION_TIMEOUT,
  GossipErrorCode.VALIDATOR_FAILED,
]);

/** Peers whose IGNORE allowance is tracked at once; the least recently charged is forgotten first. */
const IGNORE_BUDGET_PEERS = 1024;

/** The single conversion point from our verdict to gossipsub's. */
function toTopicValidatorResult(outcome: GossipOutcome): TopicValidatorResult {
  switch (outcome.result) {
    case "accept":
      return TopicValidatorResult.Accept;
    case "ignore":
      return TopicValidatorResult.Ignore;
    case "reject":
      return TopicValidatorResult.Reject;
  }
}

function outcomeOfError(e: unknown): GossipOutcome {
  if (e instanceof GossipActionError)
    return { result: e.action === GossipAction.REJECT ? "reject" : "ignore", code: e.code };
  // [REJECT] an undecodable payload (docs/spec.md §5)
  if (isProtocolError(e) && e.code.startsWith("SSZ_ERROR_")) return { result: "reject", code: e.code };
  return { result: "ignore", code: GossipErrorCode.VALIDATOR_FAILED };
}

export class Gossip {
  private readonly subscriptions = new Map<GossipKind, Subscription>();
  private readonly kindOfTopic = new Map<string, GossipKind>();
  private pending = 0;
  /** Messages ignored because the validation queue was full (the queue's bound report). */
  queueFullDrops = 0;
  /** Validations waiting to start (counted in `pending`). */
  private readonly inbox: (() => Promise<void>)[] = [];
  private inboxScheduled = false;
  private readonly pendingByPeer = new Map<string, number>();
  private readonly backlogWaiters = new Map<string, { below: number; resolve: () => void }[]>();
  private started = false;
  private stopped = false;
  /** Messages held for their slot or a set refresh (counted in `pending` too), by forwarding peer. */
  private readonly heldByPeer = new Map<string, number>();
  /** Ends each held message's wait (one per held message); all are called (not due) when the layer stops. */
  private readonly heldWakers = new Set<(due: boolean) => void>();
  /** Each forwarding peer's IGNORE allowance (a token bucket), most recently charged last. */
  private readonly ignoreTokens = new Map<string, { tokens: number; atMs: number }>();

  constructor(
    private readonly opts: GossipOptions & { network: string },
    private readonly modules: GossipModules,
  ) {
    for (const kind of GOSSIP_KINDS) {
      this.kindOfTopic.set(gossipTopic(opts.network, kind), kind);
      // Every hold outcome is exposed from the start (at 0), so that alert rules
      // over it (deploy/prometheus/ocp-alerts.yml) see a series before the first hold.
      for (const result of FUTURE_HOLD_RESULTS) modules.metrics?.gossipFutureHold.inc({ kind, result }, 0);
      for (const result of SET_HOLD_RESULTS) modules.metrics?.gossipSetHold.inc({ kind, result }, 0);
    }
  }

  /** Messages waiting for or in validation (bounded by `maxPendingValidations`). */
  get pendingValidations(): number {
    return this.pending;
  }

  /** Messages held until their slot starts or this node's sets are refreshed (docs/spec.md §5.3). */
  get held(): number {
    return this.heldWakers.size;
  }

  /** Messages forwarded by `peer` waiting for or in validation. */
  backlog(peer: string): number {
    return this.pendingByPeer.get(peer) ?? 0;
  }

  /** Resolves once `peer`'s backlog is below `n` (at once if it is). */
  backlogBelow(peer: string, n: number): Promise<void> {
    if (this.backlog(peer) < n || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.backlogWaiters.get(peer);
      if (list === undefined) this.backlogWaiters.set(peer, [{ below: n, resolve }]);
      else list.push({ below: n, resolve });
    });
  }

  private release(peer: string): void {
    const left = decrement(this.pendingByPeer, peer);
    const waiters = this.backlogWaiters.get(peer);
    if (waiters === undefined) return;
    const still = waiters.filter((w) => {
      if (left >= w.below) return true;
      w.resolve();
      return false;
    });
    if (still.length > 0) this.backlogWaiters.set(peer, still);
    else this.backlogWaiters.delete(peer);
  }

  topic(kind: GossipKind): string {
    return gossipTopic(this.opts.network, kind);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.modules.host.pubsub.onMessage((m) => void this.onMessage(m));
    for (const kind of this.subscriptions.keys()) this.modules.host.pubsub.subscribe(this.topic(kind));
  }

  /** Unsubscribes every topic; messages still in validation are IGNOREd. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const wake of [...this.heldWakers]) wake(false);
    for (const list of this.backlogWaiters.values()) for (const w of list) w.resolve();
    this.backlogWaiters.clear();
    if (!this.started) return;
    for (const kind of this.subscriptions.keys()) this.modules.host.pubsub.unsubscribe(this.topic(kind));
  }

  /**
   * Subscribes the topic of `kind`, validating every message with `validator`;
   * `onAccepted` gets accepted messages with the decoded value. Replaces a previous registration.
   */
  subscribe<T>(
    kind: GossipKind,
    validator: GossipValidatorFn<T>,
    onAccepted?: GossipAcceptedHandler<T>,
  ): void {
    const had = this.subscriptions.has(kind);
    this.subscriptions.set(kind, {
      validator: validator as GossipValidatorFn,
      onAccepted: onAccepted as GossipAcceptedHandler | undefined,
    });
    if (this.started && !this.stopped && !had) this.modules.host.pubsub.subscribe(this.topic(kind));
  }

  unsubscribe(kind: GossipKind): void {
    if (!this.subscriptions.delete(kind)) return;
    if (this.started && !this.stopped) this.modules.host.pubsub.unsubscribe(this.topic(kind));
  }

  isSubscribed(kind: GossipKind): boolean {
    return this.subscriptions.has(kind);
  }

  /**
   * Publishes `data` on `kind`'s topic. Outcome "no_peers" means nobody got it
   * and it was not marked seen, so it may be published again later.
   */
  async publish(kind: GossipKind, data: Uint8Array): Promise<GossipPublishResult> {
    const { metrics } = this.modules;
    if (data.length > GOSSIP_MAX_BYTES[kind]) {
      metrics?.gossipPublish.inc({ kind, result: "too_large" });
      throw new GossipActionError(
        GossipAction.REJECT,
        GossipErrorCode.MESSAGE_TOO_LARGE,
        `${data.length} > ${GOSSIP_MAX_BYTES[kind]} bytes`,
      );
    }
    try {
      const res = await this.modules.host.pubsub.publish(this.topic(kind), data);
      metrics?.gossipPublish.inc({ kind, result: res.outcome });
      return res;
    } catch (e) {
      metrics?.gossipPublish.inc({ kind, result: "error" });
      throw e;
    }
  }

  getMeshPeers(kind: GossipKind): string[] {
    return this.modules.host.pubsub.getMeshPeers(this.topic(kind));
  }

  getTopicPeers(kind: GossipKind): string[] {
    return this.modules.host.pubsub.getSubscribers(this.topic(kind));
  }

  private report(kind: GossipKind, m: HostGossipMessage, outcome: GossipOutcome, receivedAt?: number): void {
    const code = outcome.result === "accept" ? "" : outcome.code;
    this.modules.metrics?.gossipValidation.inc({ kind, result: outcome.result, code });
    if (outcome.result === "ignore" && !UNCHARGED_IGNORES.has(code)) this.chargeIgnore(kind, m.from, code);
    if (
      outcome.result === "reject" &&
      receivedAt !== undefined &&
      performance.now() - receivedAt >
        GOSSIP_MCACHE_LENGTH * (this.opts.heartbeatIntervalMs ?? GOSSIP_HEARTBEAT_MS)
    ) {
      this.modules.metrics?.gossipLateRejects.inc({ kind });
      this.modules.onLateReject?.(m.from, kind, code);
    }
    try {
      this.modules.host.pubsub.reportValidationResult(m.msgId, m.from, toTopicValidatorResult(outcome));
    } catch (e) {
      // Only possible while gossipsub stops under a pending validation.
      this.modules.logger.debug({ err: e }, "could not report a gossip verdict");
    }
  }

  /**
   * Takes one IGNORE from `peer`'s allowance; past it, the IGNORE is charged
   * to the peer (docs/spec.md §5.3). A message that can only be IGNOREd costs
   * its sender nothing, and this node a decode, a check and gossipsub's record
   * of its id for a minute: at line rate, most of a core and tens of MB.
   */
  private chargeIgnore(kind: GossipKind, peer: string, code: string): void {
    const { burst, perSecond } = this.opts.ignoreBudget;
    const now = this.modules.now?.() ?? performance.now();
    let b = this.ignoreTokens.get(peer);
    if (b === undefined) {
      if (this.ignoreTokens.size >= IGNORE_BUDGET_PEERS)
        this.ignoreTokens.delete(this.ignoreTokens.keys().next().value!);
      b = { tokens: burst, atMs: now };
    } else {
      this.ignoreTokens.delete(peer);
      b.tokens = Math.min(burst, b.tokens + ((now - b.atMs) / 1000) * perSecond);
      b.atMs = now;
    }
    this.ignoreTokens.set(peer, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return;
    }
    this.modules.metrics?.gossipIgnoreOverBudget.inc({ kind });
    this.modules.onIgnoreOverBudget?.(peer, kind, code);
  }

  private async onMessage(m: HostGossipMessage): Promise<void> {
    const kind = this.kindOfTopic.get(m.topic);
    // Gossipsub only delivers subscribed topics; anything else is not ours to judge.
    if (kind === undefined) return;
    // [REJECT] payload over the topic's size limit, before any other work
    if (m.data.length > GOSSIP_MAX_BYTES[kind])
      return this.report(kind, m, { result: "reject", code: GossipErrorCode.MESSAGE_TOO_LARGE });
    const sub = this.subscriptions.get(kind);
    if (sub === undefined || this.stopped)
      return this.report(kind, m, { result: "ignore", code: GossipErrorCode.NO_VALIDATOR });
    if (this.pending >= this.opts.maxPendingValidations) {
      this.queueFullDrops++;
      return this.report(kind, m, { result: "ignore", code: GossipErrorCode.QUEUE_FULL });
    }
    // [IGNORE] the forwarding peer already has its share of the queue
    const byPeer = this.pendingByPeer.get(m.from) ?? 0;
    if (byPeer >= this.opts.maxPendingValidationsPerPeer)
      return this.report(kind, m, { result: "ignore", code: GossipErrorCode.PEER_QUEUE_FULL });

    // A copy: the payload may be a view into a larger RPC buffer.
    const msg: GossipMessage = { kind, topic: m.topic, data: m.data.slice(), from: m.from, msgId: m.msgId };
    this.pending++;
    this.pendingByPeer.set(m.from, byPeer + 1);
    // Validators start in time slices (drainInbox): gossipsub hands over every
    // message of an RPC at once, and starting a thousand validations in one
    // turn would hold the event loop for a second.
    const receivedAt = performance.now();
    this.schedule(() => this.validate(kind, sub, m, msg, receivedAt));
  }

  /** Starts `job` in a later time slice of the inbox (drainInbox). */
  private schedule(job: () => Promise<void>): void {
    this.inbox.push(job);
    if (!this.inboxScheduled) {
      this.inboxScheduled = true;
      setImmediate(() => this.drainInbox());
    }
  }

  private drainInbox(): void {
    const until = performance.now() + GOSSIP_VALIDATION_SLICE_MS;
    let i = 0;
    while (i < this.inbox.length && performance.now() < until) void this.inbox[i++]!();
    this.inbox.splice(0, i);
    if (this.inbox.length > 0) setImmediate(() => this.drainInbox());
    else this.inboxScheduled = false;
  }

  /**
   * Holds a message whose slot has not started here yet until it has (docs/spec.md
   * §5.3); resolves true when the validator should run again. Null when it is
   * not held: no slot hook, holding off, a bound reached or the slot too far ahead.
   */
  private holdForSlot(kind: GossipKind, peer: string, slot: bigint): Promise<boolean> | null {
    const { futureHoldSlots, futureHoldMs } = this.opts;
    const { awaitSlot } = this.modules;
    if (awaitSlot === undefined || futureHoldSlots <= 0) return null;
    return this.hold(kind, peer, "slot", () => awaitSlot(slot, futureHoldSlots, futureHoldMs));
  }

  /**
   * Holds a message under a verifier set this node does not hold (or for a slot
   * its sets are not known current for) until a set refresh succeeds
   * (docs/spec.md §5.3). Null when it is not held: no refresh hook, sets from
   * files only, holding off or a bound reached.
   */
  private holdForSets(kind: GossipKind, peer: string): Promise<boolean> | null {
    const { unknownSetHoldMs } = this.opts;
    const { awaitSets } = this.modules;
    if (awaitSets === undefined || unknownSetHoldMs <= 0) return null;
    return this.hold(kind, peer, "sets", () => awaitSets(unknownSetHoldMs));
  }

  /**
   * The bounded hold both waits share: `futureHoldMax` messages in all and
   * `futureHoldMaxPerPeer` per forwarding peer. `wait()` is called once there
   * is room; null from it means "not held" (IGNOREd at once).
   */
  private hold(
    kind: GossipKind,
    peer: string,
    reason: HoldReason,
    wait: () => Promise<boolean> | null,
  ): Promise<boolean> | null {
    if (this.stopped) return null;
    const { futureHoldMax, futureHoldMaxPerPeer } = this.opts;
    const { metrics } = this.modules;
    const count = (result: string): void => {
      if (reason === "slot") metrics?.gossipFutureHold.inc({ kind, result });
      else metrics?.gossipSetHold.inc({ kind, result });
    };
    const byPeer = this.heldByPeer.get(peer) ?? 0;
    if (this.heldWakers.size >= futureHoldMax || byPeer >= futureHoldMaxPerPeer) {
      count("full");
      return null;
    }
    const until = wait();
    if (until === null) {
      if (reason === "slot") count("too_far");
      return null;
    }
    count("held");
    this.heldByPeer.set(peer, byPeer + 1);
    // Not a race against a layer-wide stop promise: each race would leave a
    // reaction on it for the life of the node.
    return new Promise<boolean>((resolve) => {
      const wake = (ready: boolean): void => {
        if (!this.heldWakers.delete(wake)) return;
        decrement(this.heldByPeer, peer);
        const due = ready && !this.stopped;
        count(due ? "due" : "expired");
        resolve(due);
      };
      this.heldWakers.add(wake);
      until.then(wake, () => wake(false));
    });
  }

  /** One run of the kind's validator, bounded by `validationTimeoutMs`. */
  private async runValidator(
    kind: GossipKind,
    sub: Subscription,
    msg: GossipMessage,
  ): Promise<{ value: unknown } | { error: unknown }> {
    let timer: NodeJS.Timeout | undefined;
    try {
      // A validator stuck on I/O must not hold a validation slot forever.
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new GossipActionError(GossipAction.IGNORE, GossipErrorCode.VALIDATION_TIMEOUT)),
          this.opts.validationTimeoutMs,
        );
      });
      return { value: (await Promise.race([sub.validator(msg), timeout])).value };
    } catch (error) {
      const outcome = outcomeOfError(error);
      if (outcome.result === "ignore" && outcome.code === GossipErrorCode.VALIDATOR_FAILED)
        this.modules.logger.warn({ kind, err: error }, "gossip validator failed");
      return { error };
    } finally {
      clearTimeout(timer);
    }
  }

  private async validate(
    kind: GossipKind,
    sub: Subscription,
    m: HostGossipMessage,
    msg: GossipMessage,
    receivedAt: number,
  ): Promise<void> {
    let run: { value: unknown } | { error: unknown };
    try {
      run = await this.runValidator(kind, sub, msg);
      // [IGNORE] slot not started yet, or set unknown: held until the slot has
      // started or the sets are refreshed, then judged again (once).
      const error = "error" in run ? run.error : undefined;
      const due =
        error instanceof GossipFutureSlotError
          ? this.holdForSlot(kind, m.from, error.slot)
          : error instanceof GossipUnknownSetError
            ? this.holdForSets(kind, m.from)
            : null;
      // Held messages fall due together (a head arrives, a refresh ends): they
      // start in time slices like new arrivals.
      if (due !== null && (await due))
        run = await new Promise<{ value: unknown } | { error: unknown }>((resolve) =>
          this.schedule(() => this.runValidator(kind, sub, msg).then(resolve)),
        );
    } finally {
      this.pending--;
      this.release(m.from);
    }
    if ("error" in run) return this.report(kind, m, outcomeOfError(run.error), receivedAt);
    this.report(kind, m, { result: "accept" });

    const accepted: AcceptedGossipMessage = { ...msg, value: run.value };
    try {
      await sub.onAccepted?.(accepted);
    } catch (e) {
      this.modules.metrics?.gossipHandlerError.inc({ kind });
      this.modules.logger.warn({ kind, err: e }, "gossip handler failed");
    }
    this.modules.onAccepted?.(accepted);
  }
}
