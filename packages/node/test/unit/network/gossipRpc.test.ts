// The RPC frame inspector, checked against gossipsub's own protobuf codec
// (protons): what we pass, it decodes; what it refuses for limits, we refuse.
import { RPC } from "@libp2p/gossipsub/message";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ControlIdBudget,
  defaultGossipRpcLimits,
  FrameSplitter,
  type GossipRpcLimits,
  inspectGossipRpc,
} from "../../../src/network/gossipRpc.js";
import { GossipKind, gossipTopic } from "../../../src/network/topics.js";

const OURS = gossipTopic("unit", GossipKind.attestation);
const TOPICS = [OURS, gossipTopic("unit", GossipKind.commitment)].map((t) => new TextEncoder().encode(t));
const L = defaultGossipRpcLimits;

function protonsLimits(l: GossipRpcLimits) {
  return {
    subscriptions: l.maxSubscriptions,
    messages: l.maxMessages,
    control: {
      ihave: l.maxControlMessages,
      ihave$: { messageIDs: l.maxIhaveMessageIDs },
      iwant: l.maxControlMessages,
      iwant$: { messageIDs: l.maxIwantMessageIDs },
      graft: l.maxControlMessages,
      prune: l.maxControlMessages,
      prune$: { peers: l.maxPeerInfos },
      idontwant: l.maxControlMessages,
      idontwant$: { messageIDs: l.maxIdontwantMessageIDs },
    },
  };
}

const id = (n: number) => new Uint8Array(20).fill(n & 0xff);

describe("inspectGossipRpc", () => {
  it("passes what honest peers send and counts the messages", () => {
    const rpc = RPC.encode({
      subscriptions: [
        { subscribe: true, topic: OURS },
        { subscribe: false, topic: "/ocp/1/other/attestation/ssz" },
      ],
      messages: [
        { topic: OURS, data: new Uint8Array(300) },
        { topic: OURS, data: new Uint8Array(0) },
      ],
      control: {
        ihave: [{ topicID: OURS, messageIDs: [id(1), id(2)] }],
        iwant: [{ messageIDs: [id(3)] }],
        graft: [{ topicID: OURS }],
        prune: [{ topicID: OURS, peers: [{ peerID: id(4) }], backoff: 60 }],
        idontwant: [{ messageIDs: [id(5)] }],
      },
    });
    expect(inspectGossipRpc(rpc, L, TOPICS)).toMatchObject({
      ok: true,
      messages: 2,
      controlIds: 4,
      foreignSubscriptions: 1,
    });
    expect(inspectGossipRpc(new Uint8Array(0), L, TOPICS)).toMatchObject({ ok: true, messages: 0 });
  });

  it("refuses each over-limit count exactly where gossipsub's decoder does", () => {
    const cases: [keyof GossipRpcLimits, (n: number) => Parameters<typeof RPC.encode>[0]][] = [
      [
        "maxSubscriptions",
        (n) => ({ subscriptions: Array.from({ length: n }, () => ({ topic: OURS })), messages: [] }),
      ],
      [
        "maxMessages",
        (n) => ({ subscriptions: [], messages: Array.from({ length: n }, () => ({ topic: OURS })) }),
      ],
      [
        "maxIhaveMessageIDs",
        (n) => ({
          subscriptions: [],
          messages: [],
          control: {
            ihave: [{ topicID: OURS, messageIDs: Array.from({ length: n }, (_, i) => id(i)) }],
            iwant: [],
            graft: [],
            prune: [],
            idontwant: [],
          },
        }),
      ],
      [
        "maxIwantMessageIDs",
        (n) => ({
          subscriptions: [],
          messages: [],
          control: {
            ihave: [],
            iwant: [{ messageIDs: Array.from({ length: n }, (_, i) => id(i)) }],
            graft: [],
            prune: [],
            idontwant: [],
          },
        }),
      ],
      [
        "maxIdontwantMessageIDs",
        (n) => ({
          subscriptions: [],
          messages: [],
          control: {
            ihave: [],
            iwant: [],
            graft: [],
            prune: [],
            idontwant: [{ messageIDs: Array.from({ length: n }, (_, i) => id(i)) }],
          },
        }),
      ],
      [
        "maxControlMessages",
        (n) => ({
          subscriptions: [],
          messages: [],
          control: {
            ihave: [],
            iwant: [],
            graft: Array.from({ length: n }, () => ({ topicID: OURS })),
            prune: [],
            idontwant: [],
          },
        }),
      ],
      [
        "maxPeerInfos",
        (n) => ({
          subscriptions: [],
          messages: [],
          control: {
            ihave: [],
            iwant: [],
            graft: [],
            prune: [{ topicID: OURS, peers: Array.from({ length: n }, (_, i) => ({ peerID: id(i) })) }],
            idontwant: [],
          },
        }),
      ],
    ];
    for (const [limit, make] of cases) {
      const at = RPC.encode(make(L[limit]));
      const over = RPC.encode(make(L[limit] + 1));
      expect(inspectGossipRpc(at, L, TOPICS).ok, limit).toBe(true);
      expect(() => RPC.decode(at, { limits: protonsLimits(L) })).not.toThrow();
      expect(inspectGossipRpc(over, L, TOPICS), limit).toEqual({ ok: false, reason: "over_limit" });
      expect(() => RPC.decode(over, { limits: protonsLimits(L) }), limit).toThrow();
    }
  });

  it("drops messages on other topics and signed messages", () => {
    const foreign = RPC.encode({
      subscriptions: [],
      messages: [{ topic: "/big/unsubscribed", data: new Uint8Array(1000) }],
    });
    expect(inspectGossipRpc(foreign, L, TOPICS)).toEqual({ ok: false, reason: "unsubscribed_topic" });
    // a prefix of our topic is another topic
    const prefix = RPC.encode({ subscriptions: [], messages: [{ topic: OURS.slice(0, -1) }] });
    expect(inspectGossipRpc(prefix, L, TOPICS)).toEqual({ ok: false, reason: "unsubscribed_topic" });
    const signed = RPC.encode({ subscriptions: [], messages: [{ topic: OURS, seqno: new Uint8Array(8) }] });
    expect(inspectGossipRpc(signed, L, TOPICS)).toEqual({ ok: false, reason: "signature_policy" });
  });

  it("calls malformed frames undecodable, and never passes what protons cannot decode", () => {
    const good = RPC.encode({ subscriptions: [], messages: [{ topic: OURS, data: new Uint8Array(50) }] });
    for (let cut = 1; cut < good.length; cut++) {
      const v = inspectGossipRpc(good.subarray(0, cut), L, TOPICS);
      if (v.ok) expect(() => RPC.decode(good.subarray(0, cut))).not.toThrow();
      else expect(v.reason).toBe("undecodable");
    }
    expect(inspectGossipRpc(Uint8Array.of(0x0b), L, TOPICS)).toEqual({ ok: false, reason: "undecodable" }); // group wire type
    expect(inspectGossipRpc(Uint8Array.of(0x12, 0x05, 1), L, TOPICS)).toEqual({
      ok: false,
      reason: "undecodable",
    });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const v = inspectGossipRpc(bytes, L, TOPICS);
        if (v.ok) expect(() => RPC.decode(bytes, { limits: protonsLimits(L) })).not.toThrow();
      }),
      { numRuns: 2000 },
    );
  });

  it("agrees with protons on random well-formed RPCs", () => {
    const small: GossipRpcLimits = {
      maxSubscriptions: 3,
      maxMessages: 3,
      maxIhaveMessageIDs: 3,
      maxIwantMessageIDs: 3,
      maxIdontwantMessageIDs: 3,
      maxControlMessages: 3,
      maxPeerInfos: 3,
    };
    const ids = fc.array(fc.uint8Array({ minLength: 1, maxLength: 4 }), { maxLength: 5 });
    const rpc = fc.record({
      subscriptions: fc.array(fc.record({ subscribe: fc.boolean(), topic: fc.constant(OURS) }), {
        maxLength: 5,
      }),
      messages: fc.array(fc.record({ topic: fc.constant(OURS), data: fc.uint8Array({ maxLength: 8 }) }), {
        maxLength: 5,
      }),
      control: fc.record({
        ihave: fc.array(fc.record({ topicID: fc.constant(OURS), messageIDs: ids }), { maxLength: 5 }),
        iwant: fc.array(fc.record({ messageIDs: ids }), { maxLength: 5 }),
        graft: fc.array(fc.record({ topicID: fc.constant(OURS) }), { maxLength: 5 }),
        prune: fc.array(
          fc.record({
            topicID: fc.constant(OURS),
            peers: fc.array(fc.record({ peerID: fc.uint8Array({ maxLength: 4 }) }), { maxLength: 5 }),
          }),
          { maxLength: 5 },
        ),
        idontwant: fc.array(fc.record({ messageIDs: ids }), { maxLength: 5 }),
      }),
    });
    fc.assert(
      fc.property(rpc, (r) => {
        const bytes = RPC.encode(r);
        const v = inspectGossipRpc(bytes, small, TOPICS);
        let decoded = true;
        try {
          RPC.decode(bytes, { limits: protonsLimits(small) });
        } catch {
          decoded = false;
        }
        expect(v.ok).toBe(decoded);
        if (v.ok) expect(v.messages).toBe(r.messages.length);
        else expect(v.reason).toBe("over_limit");
      }),
      { numRuns: 500 },
    );
  });
});

describe("FrameSplitter", () => {
  const prefix = (body: Uint8Array): Uint8Array => {
    const out: number[] = [];
    let n = body.length;
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return Uint8Array.from([...out, ...body]);
  };

  it("gives back every frame, whatever the chunking", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (bodies, cuts) => {
          const wire = Uint8Array.from(bodies.flatMap((b) => [...prefix(b)]));
          const s = new FrameSplitter(1024);
          const got: Uint8Array[] = [];
          let pos = 0;
          let i = 0;
          while (pos < wire.length) {
            const n = cuts[i++ % cuts.length]!;
            for (const f of s.push(wire.subarray(pos, pos + n))) {
              expect(f.prefixed).toEqual(prefix(f.body));
              got.push(f.body);
            }
            pos += n;
          }
          expect(got).toEqual(bodies);
          expect(s.buffered).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("throws on a frame announced over the limit, before its bytes arrive", () => {
    expect(() => new FrameSplitter(100).push(Uint8Array.of(0x64))).not.toThrow(); // 100: waits for its body
    expect(() => new FrameSplitter(100).push(Uint8Array.of(0x65))).toThrow(RangeError);
    const t = new FrameSplitter(100);
    expect(() => t.push(Uint8Array.of(0xe5, 0x00))).toThrow(RangeError); // 101, varint padded
    const u = new FrameSplitter(100);
    expect(() => u.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0x01))).toThrow(RangeError);
  });
});

describe("ControlIdBudget", () => {
  it("allows the burst, then the rate, and refuses beyond it", () => {
    const b = new ControlIdBudget(0, 1000, 2000);
    expect(b.take(2000, 0)).toBe(true);
    expect(b.take(1, 0)).toBe(false);
    expect(b.take(500, 500)).toBe(true); // 500 ms refilled 500
    expect(b.take(600, 1000)).toBe(false); // only 500 more
    expect(b.take(500, 1000)).toBe(true);
    expect(b.take(2000, 10_000)).toBe(true); // capped at the burst
    expect(b.take(1, 10_000)).toBe(false);
  });
});
