// The inbound gossip gate: when a peer's frames reach gossipsub.
import { RPC } from "@libp2p/gossipsub/message";
import type { Stream } from "@libp2p/interface";
import { describe, expect, it, vi } from "vitest";
import { defaultGossipRpcLimits } from "../../../src/network/gossipRpc.js";
import { GatedGossipStream, type GossipInboundControl } from "../../../src/network/host.js";
import { GossipKind, gossipTopic } from "../../../src/network/topics.js";

const OURS = gossipTopic("unit", GossipKind.attestation);
const TOPICS = [new TextEncoder().encode(OURS)];

/** The part of a libp2p stream the gate uses: events, status, pause and resume. */
class FakeStream extends EventTarget {
  status = "open";
  readStatus = "readable";
  protocol = "/meshsub/1.2.0";
  pause(): void {
    this.readStatus = "paused";
  }
  resume(): void {
    this.readStatus = "readable";
  }
  abort(): void {
    this.status = "aborted";
  }
  /** Bytes arriving from the peer, as the muxer delivers them. */
  deliver(bytes: Uint8Array): void {
    const e = new Event("message") as Event & { data: { subarray(): Uint8Array } };
    e.data = { subarray: () => bytes };
    this.dispatchEvent(e);
  }
}

/** `body` behind its varint length, as a frame on the wire. */
function lengthPrefixed(body: Uint8Array): Uint8Array {
  const prefix: number[] = [];
  for (let len = body.length; ; len >>>= 7) {
    if (len < 0x80) {
      prefix.push(len);
      break;
    }
    prefix.push((len & 0x7f) | 0x80);
  }
  return Uint8Array.from([...prefix, ...body]);
}

/** One length-prefixed gossip RPC frame carrying `n` messages on our topic. */
function frame(n: number, tag: number): Uint8Array {
  return lengthPrefixed(
    RPC.encode({
      subscriptions: [],
      messages: Array.from({ length: n }, (_, i) => ({ topic: OURS, data: Uint8Array.of(tag, i & 0xff) })),
    }),
  );
}

function gate() {
  const raw = new FakeStream();
  const control: GossipInboundControl = {
    admit: async () => true,
    backlog: () => 0,
    backlogBelow: async () => {},
    onDropped: vi.fn(),
    onMessages: vi.fn(),
  };
  const gated = new GatedGossipStream(
    raw as unknown as Stream,
    "peer-a",
    control,
    1 << 20,
    defaultGossipRpcLimits,
    TOPICS,
  );
  /** Tags of the frames handed to gossipsub, in order. */
  const got: number[] = [];
  gated.addEventListener("message", (e) => {
    const bytes = (e as Event & { data: Uint8Array }).data;
    let at = 0;
    while (bytes[at]! & 0x80) at++;
    const rpc = RPC.decode(bytes.subarray(at + 1));
    // A frame without messages (subscriptions only) adds no tag.
    if (rpc.messages.length > 0) got.push(rpc.messages[0]!.data![0]!);
  });
  return { raw, got, control };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

describe("GatedGossipStream", () => {
  it("hands a peer's frame to gossipsub in the turn its bytes arrive, not a turn later", () => {
    const { raw, got, control } = gate();
    raw.deliver(frame(1, 7));
    // Synchronously: waiting a turn puts every gossip hop behind that turn's other I/O.
    expect(got).toEqual([7]);
    expect(control.onDropped).not.toHaveBeenCalled();
  });

  it("counts every message copy it hands on, and none of a frame it drops", () => {
    const { raw, control } = gate();
    raw.deliver(frame(3, 1));
    // A frame with no message (a bare subscription) counts nothing.
    raw.deliver(
      lengthPrefixed(RPC.encode({ subscriptions: [{ subscribe: true, topic: OURS }], messages: [] })),
    );
    raw.deliver(frame(5, 2));
    expect(control.onMessages).toHaveBeenCalledTimes(2);
    expect(vi.mocked(control.onMessages!).mock.calls).toEqual([[3], [5]]);
    // Undecodable (a group wire type): dropped unread and charged, not counted.
    raw.deliver(lengthPrefixed(Uint8Array.of(0x0b)));
    expect(control.onDropped).toHaveBeenCalledWith("peer-a", "undecodable");
    expect(control.onMessages).toHaveBeenCalledTimes(2);
  });

  it("still hands a burst over in slices of 64 messages, one slice per turn", async () => {
    const { raw, got } = gate();
    // Three frames of 40 messages in one read: 40 + 40 reach the slice's 64, the third waits a turn.
    const one = frame(40, 1);
    const two = frame(40, 2);
    const three = frame(40, 3);
    raw.deliver(Uint8Array.from([...one, ...two, ...three]));
    expect(got).toEqual([1, 2]);
    // More bytes from the same peer within that turn queue behind the burst.
    raw.deliver(frame(1, 4));
    expect(got).toEqual([1, 2]);
    await turn();
    expect(got).toEqual([1, 2, 3, 4]);
  });
});
