import { decode, encode } from "it-length-prefixed";
import { describe, expect, it } from "vitest";
import { coalesceOutbound, lengthPrefixed } from "../../../src/network/host.js";

/** The part of gossipsub's OutboundStream that the coalescer touches. */
function fakeStream(maxBufferSize = Number.POSITIVE_INFINITY) {
  const chunks: Uint8Array[] = [];
  const stream = {
    pushable: {
      readableLength: 0,
      push(c: Uint8Array) {
        chunks.push(c);
      },
    },
    maxBufferSize,
    push(_: Uint8Array): void {
      throw new Error("not wrapped");
    },
    pushPrefixed(_: Uint8Array | { subarray(): Uint8Array }): void {
      throw new Error("not wrapped");
    },
  };
  return { stream, chunks };
}

const turn = () => new Promise((r) => setImmediate(r));
const rpc = (n: number, len: number) => new Uint8Array(len).fill(n);

async function split(chunks: Uint8Array[]): Promise<number[][]> {
  const out: number[][] = [];
  for await (const m of decode(chunks)) out.push([...m.subarray()]);
  return out;
}

describe("gossip write coalescing", () => {
  it("length prefix equals it-length-prefixed's for sizes around the varint steps", () => {
    for (const n of [0, 1, 127, 128, 300, 16383, 16384, 70000]) {
      expect([...lengthPrefixed(rpc(1, n))]).toEqual([...encode.single(rpc(1, n)).subarray()]);
    }
  });

  it("RPCs pushed in one turn leave as one chunk that decodes to the same RPCs in order", async () => {
    const { stream, chunks } = fakeStream();
    coalesceOutbound(stream);
    stream.push(rpc(1, 10));
    stream.pushPrefixed(encode.single(rpc(2, 300)));
    stream.push(rpc(3, 0));
    expect(chunks).toHaveLength(0);
    await turn();
    expect(chunks).toHaveLength(1);
    expect(await split(chunks)).toEqual([[...rpc(1, 10)], [...rpc(2, 300)], []]);
    stream.push(rpc(4, 5));
    await turn();
    expect(chunks).toHaveLength(2);
  });

  it("a chunk reaching the size cap is written at once", async () => {
    const { stream, chunks } = fakeStream();
    coalesceOutbound(stream, 1000);
    for (let i = 0; i < 5; i++) stream.push(rpc(i, 400));
    // 3 × 402 bytes pass 1000: written synchronously; 2 wait for the turn
    expect(chunks).toHaveLength(1);
    await turn();
    expect(chunks).toHaveLength(2);
    expect((await split(chunks)).map((m) => m[0])).toEqual([0, 1, 2, 3, 4]);
  });

  it("keeps gossipsub's back-pressure error, and leaves unknown stream shapes alone", () => {
    const { stream } = fakeStream(10);
    coalesceOutbound(stream);
    stream.pushable.readableLength = 11;
    expect(() => stream.push(rpc(1, 1))).toThrow(/buffer full/);
    const other = { write() {} };
    expect(coalesceOutbound(other)).toBe(other);
  });
});
