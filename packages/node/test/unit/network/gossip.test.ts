import { MAX_GOSSIP_MESSAGE_BYTES, ProtocolError } from "@ocp/protocol";
import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { metricSum, metricValue } from "../../../../../test/utils/metrics.js";
import { BlockNumberClock, SlotWaiters } from "../../../src/chain/clock.js";
import { createNetworkMetrics } from "../../../src/metrics/network.js";
import {
  GossipAction,
  GossipActionError,
  GossipErrorCode,
  GossipFutureSlotError,
  GossipUnknownSetError,
} from "../../../src/network/errors.js";
import { type AcceptedGossipMessage, Gossip } from "../../../src/network/gossip.js";
import { type Host, type HostGossipMessage, TopicValidatorResult } from "../../../src/network/host.js";
import { defaultNetworkOptions } from "../../../src/network/options.js";
import { GOSSIP_MAX_BYTES, GossipKind, gossipTopic } from "../../../src/network/topics.js";

// A host whose pubsub records what the Gossip layer reports.
function fakeHost() {
  const reports: { msgId: string; from: string; result: TopicValidatorResult }[] = [];
  const subscribed = new Set<string>();
  let deliver: (m: HostGossipMessage) => void = () => undefined;
  const host = {
    pubsub: {
      subscribe: (t: string) => subscribed.add(t),
      unsubscribe: (t: string) => subscribed.delete(t),
      publish: async () => ({ outcome: "sent" as const, recipients: 1 }),
      onMessage: (h: (m: HostGossipMessage) => void) => {
        deliver = h;
      },
      reportValidationResult: (msgId: string, from: string, result: TopicValidatorResult) =>
        reports.push({ msgId, from, result }),
      getScore: () => 0,
      getMeshPeers: () => [],
      getSubscribers: () => [],
    },
  } as unknown as Host;
  return { host, reports, subscribed, deliver: (m: HostGossipMessage) => deliver(m) };
}

const NETWORK = "unit";
const topic = gossipTopic(NETWORK, GossipKind.attestation);

function setup(maxPendingValidations = 100, validationTimeoutMs = 5000) {
  const h = fakeHost();
  const metrics = createNetworkMetrics(new Registry());
  const accepted: AcceptedGossipMessage[] = [];
  const gossip = new Gossip(
    { ...defaultNetworkOptions.gossip, maxPendingValidations, validationTimeoutMs, network: NETWORK },
    { host: h.host, metrics, logger: pino({ level: "silent" }), onAccepted: (m) => accepted.push(m) },
  );
  gossip.start();
  return { ...h, metrics, gossip, accepted };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("Gossip validation plumbing", () => {
  it("maps validator outcomes to TopicValidatorResult and counts each", async () => {
    const s = setup();
    const handled: unknown[] = [];
    s.gossip.subscribe(
      GossipKind.attestation,
      async (m) => {
        if (m.data[0] === 1) throw new GossipActionError(GossipAction.IGNORE, "ATTESTATION_ERROR_SEEN");
        if (m.data[0] === 2) throw new GossipActionError(GossipAction.REJECT, "ATTESTATION_ERROR_BAD_SIG");
        if (m.data[0] === 3) throw new ProtocolError("SSZ_ERROR_TRUNCATED", "short");
        if (m.data[0] === 4) throw new Error("bug");
        return { value: { decoded: m.data[0] } };
      },
      (m) => {
        handled.push(m.value);
      },
    );
    expect(s.subscribed.has(topic)).toBe(true);
    for (let i = 0; i <= 4; i++) s.deliver({ topic, data: Uint8Array.of(i), msgId: `m${i}`, from: "peerA" });
    await tick();
    const byId = Object.fromEntries(s.reports.map((r) => [r.msgId, r.result]));
    expect(byId).toEqual({
      m0: TopicValidatorResult.Accept,
      m1: TopicValidatorResult.Ignore,
      m2: TopicValidatorResult.Reject,
      m3: TopicValidatorResult.Reject,
      m4: TopicValidatorResult.Ignore,
    });
    const v = s.metrics.gossipValidation;
    expect(await metricValue(v, { kind: "attestation", result: "accept", code: "" })).toBe(1);
    expect(
      await metricValue(v, { kind: "attestation", result: "ignore", code: "ATTESTATION_ERROR_SEEN" }),
    ).toBe(1);
    expect(
      await metricValue(v, { kind: "attestation", result: "reject", code: "ATTESTATION_ERROR_BAD_SIG" }),
    ).toBe(1);
    expect(await metricValue(v, { kind: "attestation", result: "reject", code: "SSZ_ERROR_TRUNCATED" })).toBe(
      1,
    );
    expect(
      await metricValue(v, { kind: "attestation", result: "ignore", code: GossipErrorCode.VALIDATOR_FAILED }),
    ).toBe(1);
    expect(await metricSum(v)).toBe(5);
    // The decoded value reaches the handler and the network event, once.
    expect(handled).toEqual([{ decoded: 0 }]);
    expect(s.accepted.map((m) => m.value)).toEqual([{ decoded: 0 }]);
    expect(s.accepted[0]?.from).toBe("peerA");
  });

  it("rejects an oversized message without calling the validator", async () => {
    const s = setup();
    let calls = 0;
    s.gossip.subscribe(GossipKind.attestation, async () => {
      calls++;
      return { value: null };
    });
    const max = GOSSIP_MAX_BYTES[GossipKind.attestation];
    expect(max).toBeLessThanOrEqual(MAX_GOSSIP_MESSAGE_BYTES);
    s.deliver({ topic, data: new Uint8Array(max + 1), msgId: "big", from: "p" });
    s.deliver({ topic, data: new Uint8Array(max), msgId: "max", from: "p" });
    await tick();
    expect(s.reports).toEqual([
      { msgId: "big", from: "p", result: TopicValidatorResult.Reject },
      { msgId: "max", from: "p", result: TopicValidatorResult.Accept },
    ]);
    expect(calls).toBe(1);
    expect(
      await metricValue(s.metrics.gossipValidation, {
        kind: "attestation",
        result: "reject",
        code: GossipErrorCode.MESSAGE_TOO_LARGE,
      }),
    ).toBe(1);
  });

  it("ignores messages beyond the pending-validation bound", async () => {
    const s = setup(2);
    const release: (() => void)[] = [];
    s.gossip.subscribe(GossipKind.attestation, async () => {
      await new Promise<void>((r) => release.push(r));
      return { value: 1 };
    });
    for (let i = 0; i < 3; i++) s.deliver({ topic, data: Uint8Array.of(i), msgId: `m${i}`, from: "p" });
    await tick();
    expect(s.reports).toEqual([{ msgId: "m2", from: "p", result: TopicValidatorResult.Ignore }]);
    for (const r of release) r();
    await tick();
    expect(s.reports.map((r) => r.result).sort()).toEqual([
      TopicValidatorResult.Accept,
      TopicValidatorResult.Accept,
      TopicValidatorResult.Ignore,
    ]);
  });

  it("ignores a validation that outlives the timeout and frees its slot", async () => {
    const s = setup(1, 50);
    let calls = 0;
    s.gossip.subscribe(GossipKind.attestation, async (m) => {
      calls++;
      if (m.data[0] === 0) await new Promise(() => undefined); // never settles
      return { value: 1 };
    });
    s.deliver({ topic, data: Uint8Array.of(0), msgId: "stuck", from: "p" });
    await new Promise((r) => setTimeout(r, 100));
    s.deliver({ topic, data: Uint8Array.of(1), msgId: "next", from: "p" });
    await tick();
    expect(s.reports).toEqual([
      { msgId: "stuck", from: "p", result: TopicValidatorResult.Ignore },
      { msgId: "next", from: "p", result: TopicValidatorResult.Accept },
    ]);
    expect(calls).toBe(2);
    expect(
      await metricValue(s.metrics.gossipValidation, {
        kind: "attestation",
        result: "ignore",
        code: GossipErrorCode.VALIDATION_TIMEOUT,
      }),
    ).toBe(1);
  });

  it("a throwing on-accepted handler is counted, not propagated", async () => {
    const s = setup();
    s.gossip.subscribe(
      GossipKind.attestation,
      async () => ({ value: 1 }),
      () => {
        throw new Error("pool full");
      },
    );
    s.deliver({ topic, data: Uint8Array.of(0), msgId: "m", from: "p" });
    await tick();
    expect(s.reports[0]?.result).toBe(TopicValidatorResult.Accept);
    expect(await metricValue(s.metrics.gossipHandlerError, { kind: "attestation" })).toBe(1);
  });

  it("refuses to publish over the size limit", async () => {
    const s = setup();
    await expect(
      s.gossip.publish(GossipKind.commitment, new Uint8Array(GOSSIP_MAX_BYTES[GossipKind.commitment] + 1)),
    ).rejects.toMatchObject({ code: GossipErrorCode.MESSAGE_TOO_LARGE, action: GossipAction.REJECT });
    await expect(s.gossip.publish(GossipKind.commitment, new Uint8Array(10))).resolves.toEqual({
      outcome: "sent",
      recipients: 1,
    });
  });
});

// A node whose L1 head is behind its peers' sees their messages for slots it has
// not started yet (docs/spec.md §5.3): they wait for the slot, not IGNOREd and lost.
describe("Gossip for a slot not started yet", () => {
  const FUTURE = "ATTESTATION_ERROR_SLOT_FROM_FUTURE";
  // A held message due again starts in a later time slice of the inbox.
  const settle = async () => {
    for (let i = 0; i < 3; i++) await tick();
  };

  function setupHold(over: Partial<typeof defaultNetworkOptions.gossip> = {}) {
    const h = fakeHost();
    const metrics = createNetworkMetrics(new Registry());
    // The real clock and waiters: heads arrive through onHead, as from a head poll.
    const clock = new BlockNumberClock({ futureSlotTolerance: 1 });
    const waiters = new SlotWaiters(clock);
    const accepted: AcceptedGossipMessage[] = [];
    const gossip = new Gossip(
      { ...defaultNetworkOptions.gossip, ...over, network: NETWORK },
      {
        host: h.host,
        metrics,
        logger: pino({ level: "silent" }),
        onAccepted: (m) => accepted.push(m),
        awaitSlot: (slot, ahead, maxMs) => waiters.wait(slot, ahead, maxMs),
      },
    );
    gossip.start();
    const runs: bigint[] = [];
    // The slot window check of every topic: data[0] is the message's slot.
    gossip.subscribe(GossipKind.attestation, async (m) => {
      const slot = BigInt(m.data[0]!);
      runs.push(slot);
      if (clock.isFromFuture(slot)) throw new GossipFutureSlotError(FUTURE, slot);
      return { value: slot };
    });
    const send = (slot: number, msgId: string, from = "peerA") =>
      h.deliver({ topic, data: Uint8Array.of(slot), msgId, from });
    const held = (result: string) => metricValue(metrics.gossipFutureHold, { kind: "attestation", result });
    return { ...h, metrics, clock, waiters, gossip, accepted, runs, send, held };
  }

  it("holds a message until its slot starts, then accepts it and hands it on", async () => {
    const s = setupHold();
    s.clock.onHead(10n);
    s.send(13, "m13");
    await settle();
    // 13 > 10 + 1: not started here yet, so neither judged nor lost.
    expect(s.reports).toEqual([]);
    expect(s.gossip.held).toBe(1);
    expect(s.gossip.pendingValidations).toBe(1);
    expect(await s.held("held")).toBe(1);
    s.clock.onHead(11n);
    await settle();
    expect(s.reports).toEqual([]);
    s.clock.onHead(12n);
    await settle();
    expect(s.reports).toEqual([{ msgId: "m13", from: "peerA", result: TopicValidatorResult.Accept }]);
    expect(s.accepted.map((m) => m.value)).toEqual([13n]);
    // Judged twice: on arrival and when its slot started.
    expect(s.runs).toEqual([13n, 13n]);
    expect(s.gossip.held).toBe(0);
    expect(s.gossip.pendingValidations).toBe(0);
    expect(s.waiters.size).toBe(0);
    expect(await s.held("due")).toBe(1);
    expect(
      await metricValue(s.metrics.gossipValidation, { kind: "attestation", result: "ignore", code: FUTURE }),
    ).toBe(0);
  });

  it("ignores at once a message too far ahead, and without a head at all", async () => {
    const s = setupHold({ futureHoldSlots: 2 });
    s.send(5, "nohead");
    await settle();
    s.clock.onHead(10n);
    s.send(14, "far");
    await settle();
    expect(s.reports).toEqual([
      { msgId: "nohead", from: "peerA", result: TopicValidatorResult.Ignore },
      { msgId: "far", from: "peerA", result: TopicValidatorResult.Ignore },
    ]);
    expect(await s.held("too_far")).toBe(2);
    expect(s.gossip.held).toBe(0);
    expect(
      await metricValue(s.metrics.gossipValidation, { kind: "attestation", result: "ignore", code: FUTURE }),
    ).toBe(2);
  });

  it("bounds the held messages per peer and in all; beyond them they are ignored at once", async () => {
    const s = setupHold({ futureHoldMax: 3, futureHoldMaxPerPeer: 2 });
    s.clock.onHead(10n);
    s.send(12, "a1", "peerA");
    s.send(12, "a2", "peerA");
    s.send(12, "a3", "peerA");
    s.send(12, "b1", "peerB");
    s.send(12, "c1", "peerC");
    await settle();
    expect(s.reports).toEqual([
      { msgId: "a3", from: "peerA", result: TopicValidatorResult.Ignore },
      { msgId: "c1", from: "peerC", result: TopicValidatorResult.Ignore },
    ]);
    expect(s.gossip.held).toBe(3);
    expect(await s.held("full")).toBe(2);
    s.clock.onHead(11n);
    await settle();
    expect(s.reports.slice(2).map((r) => [r.msgId, r.result])).toEqual([
      ["a1", TopicValidatorResult.Accept],
      ["a2", TopicValidatorResult.Accept],
      ["b1", TopicValidatorResult.Accept],
    ]);
    expect(s.gossip.held).toBe(0);
  });

  it("ignores a held message whose slot does not start in time, and frees its place", async () => {
    const s = setupHold({ futureHoldMs: 30, futureHoldMaxPerPeer: 1 });
    s.clock.onHead(10n);
    s.send(12, "late");
    await new Promise((r) => setTimeout(r, 60));
    expect(s.reports).toEqual([{ msgId: "late", from: "peerA", result: TopicValidatorResult.Ignore }]);
    expect(await s.held("expired")).toBe(1);
    expect(s.runs).toEqual([12n]);
    expect(s.gossip.held).toBe(0);
    expect(s.waiters.size).toBe(0);
    // The peer's place is free again.
    s.send(12, "next");
    await settle();
    expect(s.gossip.held).toBe(1);
    s.gossip.stop();
    await settle();
    expect(s.reports[1]).toEqual({ msgId: "next", from: "peerA", result: TopicValidatorResult.Ignore });
    expect(s.gossip.held).toBe(0);
    s.waiters.stop();
    expect(s.waiters.size).toBe(0);
  });

  it("with holding off, a message from the future is ignored at once as before", async () => {
    const s = setupHold({ futureHoldSlots: 0 });
    s.clock.onHead(10n);
    s.send(12, "m");
    await settle();
    expect(s.reports).toEqual([{ msgId: "m", from: "peerA", result: TopicValidatorResult.Ignore }]);
    expect(s.runs).toEqual([12n]);
  });
});

// A vote or certificate under a verifier set this node has not loaded yet (a
// rotation it has not refreshed for) waits for the set refresh it asks for
// (docs/spec.md §5.3), instead of being IGNOREd and lost to the seen cache.
describe("Gossip under a verifier set not held here", () => {
  const UNKNOWN = "ATTESTATION_ERROR_UNKNOWN_SET";
  const FUTURE = "ATTESTATION_ERROR_SLOT_FROM_FUTURE";
  const settle = async () => {
    for (let i = 0; i < 3; i++) await tick();
  };

  function setupSets(over: Partial<typeof defaultNetworkOptions.gossip> = {}, fromFilesOnly = false) {
    const h = fakeHost();
    const metrics = createNetworkMetrics(new Registry());
    const clock = new BlockNumberClock({ futureSlotTolerance: 1 });
    const waiters = new SlotWaiters(clock);
    clock.onHead(10n);
    // Set ids this node holds; a refresh adds what the "anchor" has.
    const held = new Set<number>([1]);
    const anchor = new Set<number>([1]);
    let refreshes: ((ok: boolean) => void)[] = [];
    const refresh = (ok: boolean) => {
      if (ok) for (const id of anchor) held.add(id);
      const list = refreshes;
      refreshes = [];
      for (const done of list) done(ok);
    };
    const asked: number[] = [];
    const gossip = new Gossip(
      { ...defaultNetworkOptions.gossip, ...over, network: NETWORK },
      {
        host: h.host,
        metrics,
        logger: pino({ level: "silent" }),
        awaitSlot: (slot, ahead, maxMs) => waiters.wait(slot, ahead, maxMs),
        awaitSets: (maxMs) => {
          asked.push(maxMs);
          if (fromFilesOnly) return null;
          return new Promise<boolean>((resolve) => refreshes.push(resolve));
        },
      },
    );
    gossip.start();
    const runs: string[] = [];
    // data = [slot, setId]
    gossip.subscribe(GossipKind.attestation, async (m) => {
      const slot = BigInt(m.data[0]!);
      const setId = m.data[1]!;
      runs.push(`${slot}/${setId}`);
      if (clock.isFromFuture(slot)) throw new GossipFutureSlotError(FUTURE, slot);
      if (!held.has(setId)) throw new GossipUnknownSetError(UNKNOWN, String(setId));
      return { value: setId };
    });
    const send = (slot: number, setId: number, msgId: string, from = "peerA") =>
      h.deliver({ topic, data: Uint8Array.of(slot, setId), msgId, from });
    const setHold = (result: string) => metricValue(metrics.gossipSetHold, { kind: "attestation", result });
    return { ...h, metrics, clock, gossip, runs, send, setHold, anchor, refresh, asked };
  }

  it("holds a vote under an unknown set until the refresh loads the set, then accepts it", async () => {
    const s = setupSets();
    s.anchor.add(2);
    s.send(10, 2, "v2");
    await settle();
    expect(s.reports).toEqual([]);
    expect(s.gossip.held).toBe(1);
    expect(await s.setHold("held")).toBe(1);
    expect(s.asked).toEqual([defaultNetworkOptions.gossip.unknownSetHoldMs]);
    s.refresh(true);
    await settle();
    expect(s.reports).toEqual([{ msgId: "v2", from: "peerA", result: TopicValidatorResult.Accept }]);
    expect(s.runs).toEqual(["10/2", "10/2"]);
    expect(s.gossip.held).toBe(0);
    expect(s.gossip.pendingValidations).toBe(0);
    expect(await s.setHold("due")).toBe(1);
    expect(
      await metricValue(s.metrics.gossipValidation, { kind: "attestation", result: "ignore", code: UNKNOWN }),
    ).toBe(0);
  });

  it("ignores it when the refresh fails or still does not know the set (judged once more, then dropped)", async () => {
    const s = setupSets();
    s.send(10, 3, "failed");
    await settle();
    s.refresh(false);
    await settle();
    s.send(10, 3, "unknown");
    await settle();
    s.refresh(true);
    await settle();
    expect(s.reports).toEqual([
      { msgId: "failed", from: "peerA", result: TopicValidatorResult.Ignore },
      { msgId: "unknown", from: "peerA", result: TopicValidatorResult.Ignore },
    ]);
    // The failed refresh: no second run. The one that did not bring set 3: one more run, then IGNORE.
    expect(s.runs).toEqual(["10/3", "10/3", "10/3"]);
    expect(await s.setHold("expired")).toBe(1);
    expect(await s.setHold("due")).toBe(1);
    expect(s.gossip.held).toBe(0);
  });

  it("shares the hold bounds with messages held for their slot", async () => {
    const s = setupSets({ futureHoldMax: 3, futureHoldMaxPerPeer: 2 });
    s.anchor.add(2);
    s.send(12, 1, "slot-a", "peerA");
    s.send(10, 2, "set-a", "peerA");
    s.send(10, 2, "set-a2", "peerA");
    s.send(10, 2, "set-b", "peerB");
    s.send(10, 2, "set-c", "peerC");
    await settle();
    expect(s.reports).toEqual([
      { msgId: "set-a2", from: "peerA", result: TopicValidatorResult.Ignore },
      { msgId: "set-c", from: "peerC", result: TopicValidatorResult.Ignore },
    ]);
    expect(s.gossip.held).toBe(3);
    expect(await s.setHold("full")).toBe(2);
    s.refresh(true);
    s.clock.onHead(11n);
    await settle();
    expect(s.reports.slice(2).map((r) => r.result)).toEqual([
      TopicValidatorResult.Accept,
      TopicValidatorResult.Accept,
      TopicValidatorResult.Accept,
    ]);
    expect(s.gossip.held).toBe(0);
  });

  it("holds nothing with sets from files only, or with holding off; stop releases what is held", async () => {
    const files = setupSets({}, true);
    files.send(10, 2, "m");
    await settle();
    expect(files.reports).toEqual([{ msgId: "m", from: "peerA", result: TopicValidatorResult.Ignore }]);
    expect(await files.setHold("held")).toBe(0);

    const off = setupSets({ unknownSetHoldMs: 0 });
    off.send(10, 2, "m");
    await settle();
    expect(off.reports).toEqual([{ msgId: "m", from: "peerA", result: TopicValidatorResult.Ignore }]);
    expect(off.asked).toEqual([]);

    const stopping = setupSets();
    stopping.send(10, 2, "m");
    await settle();
    expect(stopping.gossip.held).toBe(1);
    stopping.gossip.stop();
    await settle();
    expect(stopping.reports).toEqual([{ msgId: "m", from: "peerA", result: TopicValidatorResult.Ignore }]);
    expect(stopping.gossip.held).toBe(0);
    expect(await stopping.setHold("expired")).toBe(1);
  });
});

// A message that can only be IGNOREd costs its sender nothing; past what honest
// forwarding explains, each one is charged to the forwarding peer (§5.3).
describe("Gossip IGNORE allowance per forwarding peer", () => {
  function setupBudget() {
    const h = fakeHost();
    const metrics = createNetworkMetrics(new Registry());
    let nowMs = 0;
    const charged: { peer: string; code: string }[] = [];
    const gossip = new Gossip(
      {
        ...defaultNetworkOptions.gossip,
        ignoreBudget: { burst: 3, perSecond: 2 },
        network: NETWORK,
      },
      {
        host: h.host,
        metrics,
        logger: pino({ level: "silent" }),
        onIgnoreOverBudget: (peer, _kind, code) => charged.push({ peer, code }),
        now: () => nowMs,
      },
    );
    gossip.start();
    // data[0]: 0 accept, 1 IGNORE (a verdict on the message), 2 IGNORE (this node's fault)
    gossip.subscribe(GossipKind.attestation, async (m) => {
      if (m.data[0] === 1) throw new GossipActionError(GossipAction.IGNORE, "ATTESTATION_ERROR_UNKNOWN_SET");
      if (m.data[0] === 2) throw new Error("a bug of ours");
      return { value: m.data[0] };
    });
    let n = 0;
    const send = (what: number, from = "peerA") =>
      h.deliver({ topic, data: Uint8Array.of(what), msgId: `m${n++}`, from });
    const advance = (ms: number) => {
      nowMs += ms;
    };
    return { ...h, metrics, gossip, charged, send, advance };
  }

  it("charges the IGNOREs a peer causes past its burst, refills over time, and counts only verdicts on the message", async () => {
    const s = setupBudget();
    for (let i = 0; i < 3; i++) s.send(1);
    // Accepted messages and this node's own failures draw nothing.
    s.send(0);
    s.send(2);
    await tick();
    expect(s.charged).toEqual([]);
    s.send(1);
    s.send(1, "peerB");
    await tick();
    expect(s.charged).toEqual([{ peer: "peerA", code: "ATTESTATION_ERROR_UNKNOWN_SET" }]);
    expect(await metricValue(s.metrics.gossipIgnoreOverBudget, { kind: "attestation" })).toBe(1);
    // One second refills two.
    s.advance(1000);
    s.send(1);
    s.send(1);
    await tick();
    expect(s.charged).toHaveLength(1);
    s.send(1);
    await tick();
    expect(s.charged).toHaveLength(2);
    // Every message still got its verdict.
    expect(s.reports.filter((r) => r.result === TopicValidatorResult.Ignore)).toHaveLength(9);
  });
});
