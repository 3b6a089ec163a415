import fc from "fast-check";
import * as lp from "it-length-prefixed";
import { describe, expect, it } from "vitest";
import {
  decodeErrorMessage,
  encodeVarint,
  errorFrame,
  framingFault,
  responseFrameHeader,
} from "../../../../src/network/reqresp/framing.js";
import { MAX_ERROR_MESSAGE_BYTES, ResponseCode } from "../../../../src/network/reqresp/types.js";

async function decodeAll(bytes: Uint8Array, maxDataLength?: number): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const f of lp.decode([bytes], { maxDataLength })) out.push(f.subarray());
  return out;
}

describe("req/resp framing", () => {
  it("varint prefix matches it-length-prefixed's encoder", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 21 }), (n) => {
        const ours = encodeVarint(n);
        const theirs = lp.encode.single(new Uint8Array(n)).subarray(0, ours.length);
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 50 },
    );
  });

  it("varint decodes back by hand (LEB128) for large values", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => {
        let v = 0;
        let mul = 1;
        const bytes = encodeVarint(n);
        bytes.forEach((b, i) => {
          expect(b >= 0x80).toBe(i < bytes.length - 1);
          v += (b & 0x7f) * mul;
          mul *= 128;
        });
        expect(v).toBe(n);
      }),
    );
  });

  it("a response frame decodes to code byte + payload", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (payload) => {
        const header = responseFrameHeader(ResponseCode.SUCCESS, payload.length);
        const wire = new Uint8Array(header.length + payload.length);
        wire.set(header);
        wire.set(payload, header.length);
        const [frame, ...rest] = await decodeAll(wire);
        expect(rest).toHaveLength(0);
        expect(frame?.[0]).toBe(ResponseCode.SUCCESS);
        expect(frame?.subarray(1)).toEqual(payload);
      }),
    );
  });

  it("error frames carry a message cut to 256 bytes on a character boundary", async () => {
    const long = "é".repeat(300); // 2 bytes each
    const [frame] = await decodeAll(errorFrame(ResponseCode.RATE_LIMITED, long));
    expect(frame?.[0]).toBe(ResponseCode.RATE_LIMITED);
    const body = frame?.subarray(1) ?? new Uint8Array();
    expect(body.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_BYTES);
    expect(new TextDecoder("utf-8", { fatal: true }).decode(body)).toBe("é".repeat(128));
  });

  it("remote messages lose control characters", () => {
    expect(decodeErrorMessage(new TextEncoder().encode("a\nb\u001b[31mc"))).toBe("a b [31mc");
  });

  it("classifies it-length-prefixed errors", async () => {
    const tooLong = await decodeAll(encodeVarint(100), 10).catch((e: unknown) => e);
    expect(framingFault(tooLong)).toBe("too_large");
    const hugeVarint = await decodeAll(new Uint8Array(12).fill(0xff)).catch((e: unknown) => e);
    expect(framingFault(hugeVarint)).toBe("malformed");
    const truncated = await decodeAll(Uint8Array.of(5, 1, 2)).catch((e: unknown) => e);
    expect(framingFault(truncated)).toBe("eof");
    expect(framingFault(new Error("reset"))).toBeUndefined();
  });
});
