import { sha256 } from "@noble/hashes/sha2.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NetworkErrorCode } from "../../../src/network/errors.js";
import {
  generatePeerKey,
  gossipMessageId,
  peerIdFromPeerKey,
  peerIdOfMultiaddr,
} from "../../../src/network/host.js";

describe("host helpers", () => {
  it("message id is the first 20 bytes of sha256(data) (checked against noble)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (data) => {
        expect(gossipMessageId(data)).toEqual(sha256(data).subarray(0, 20));
      }),
      { numRuns: 50 },
    );
  });

  it("a persisted key gives back the same peer id; garbage is a typed error", async () => {
    const key = await generatePeerKey();
    const id = peerIdFromPeerKey(key);
    expect(peerIdFromPeerKey(key.slice())).toBe(id);
    expect(peerIdFromPeerKey(await generatePeerKey())).not.toBe(id);
    expect(() => peerIdFromPeerKey(Uint8Array.of(1, 2, 3))).toThrow(
      expect.objectContaining({ code: NetworkErrorCode.INVALID_PRIVATE_KEY }),
    );
  });

  it("extracts /p2p/<id> from a multiaddr", async () => {
    const id = peerIdFromPeerKey(await generatePeerKey());
    expect(peerIdOfMultiaddr(`/ip4/127.0.0.1/tcp/9000/p2p/${id}`)).toBe(id);
    for (const bad of ["/ip4/127.0.0.1/tcp/9000", "not a multiaddr"]) {
      expect(() => peerIdOfMultiaddr(bad)).toThrow(
        expect.objectContaining({ code: NetworkErrorCode.INVALID_MULTIADDR }),
      );
    }
  });
});
