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
    expect(s.gossip.heldForSlot).toBe(1);
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
    expect(s.gossip.heldForSlot).toBe(0);
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
    expect(s.gossip.heldForSlot).toBe(0);
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
    expect(s.gossip.heldForSlot).toBe(3);
    expect(await s.held("full")).toBe(2);
    s.clock.onHead(11n);
    await settle();
    expect(s.reports.slice(2).map((r) => [r.msgId, r.result])).toEqual([
      ["a1", TopicValidatorResult.Accept],
      ["a2", TopicValidatorResult.Accept],
      ["b1", TopicValidatorResult.Accept],
    ]);
    expect(s.gossip.heldForSlot).toBe(0);
  });

  it("ignores a held message whose slot does not start in time, and frees its place", async () => {
    const s = setupHold({ futureHoldMs: 30, futureHoldMaxPerPeer: 1 });
    s.clock.onHead(10n);
    s.send(12, "late");
    await new Promise((r) => setTimeout(r, 60));
    expect(s.reports).toEqual([{ msgId: "late", from: "peerA", result: TopicValidatorResult.Ignore }]);
    expect(await s.held("expired")).toBe(1);
    expect(s.runs).toEqual([12n]);
    expect(s.gossip.heldForSlot).toBe(0);
    expect(s.waiters.size).toBe(0);
    // The peer's place is free again.
    s.send(12, "next");
    await settle();
    expect(s.gossip.heldForSlot).toBe(1);
    s.gossip.stop();
    await settle();
    expect(s.reports[1]).toEqual({ msgId: "next", from: "peerA", result: TopicValidatorResult.Ignore });
    expect(s.gossip.heldForSlot).toBe(0);
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
