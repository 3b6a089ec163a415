import { describe, expect, it } from "vitest";
import { GOSSIP_KINDS, GossipKind, gossipTopic, parseGossipTopic } from "../../../src/network/topics.js";

describe("gossip topics", () => {
  it("formats /ocp/1/<network>/<kind>/ssz", () => {
    expect(gossipTopic("mainnet", GossipKind.attestation)).toBe("/ocp/1/mainnet/attestation/ssz");
  });

  it("parses every kind back", () => {
    for (const kind of GOSSIP_KINDS) {
      expect(parseGossipTopic(gossipTopic("dev-1", kind))).toEqual({ network: "dev-1", kind });
    }
  });

  it("refuses foreign or malformed topics", () => {
    for (const t of [
      "/ocp/2/dev/attestation/ssz",
      "/ocp/1/dev/blocks/ssz",
      "/ocp/1/dev/attestation/json",
      "/ocp/1/a/b/attestation/ssz",
      "/ocp/1//attestation/ssz",
      "/ocp/1/dev net/attestation/ssz",
      "",
    ]) {
      expect(parseGossipTopic(t)).toBeUndefined();
    }
  });
});
