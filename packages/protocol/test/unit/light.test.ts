// The light-client entry point never loads the native blst addon: with
// @chainsafe/blst made unloadable, it still builds sets and verifies
// certificates (through the README's example), while the full entry fails.
import { describe, expect, it, vi } from "vitest";
import { checkCertificate } from "../../examples/verify-certificate.js";
import * as light from "../../src/light.js";

vi.mock("@chainsafe/blst", () => {
  throw new Error("@chainsafe/blst must not load");
});

const { nobleBls } = light;
const domain: light.Domain = { chainId: 31337, verifyingContract: new Uint8Array(20).fill(0xaa) };
const observation: light.Observation = {
  stream: new Uint8Array(32).fill(1),
  slot: 150n,
  l1BlockNumber: 150n,
  l1BlockHash: new Uint8Array(32).fill(2),
  schema: new Uint8Array(32).fill(3),
  tableDigest: new Uint8Array(32).fill(4),
  entryCount: 7,
};
const keys = [1, 2, 3, 4].map((i) => nobleBls.keygen(new Uint8Array(32).fill(i)));
const setData: light.VerifierSetData = {
  epoch: 0n,
  activationSlot: 0n,
  quorum: { numerator: 2, denominator: 3 },
  verifiers: keys.map((sk) => ({
    pubkey: nobleBls.publicKeyToBytes(nobleBls.publicKey(sk)),
    weight: 1n,
    pop: nobleBls.popProve(sk),
  })),
};

describe("@ocp/protocol/light", () => {
  it("exports no native backend", () => {
    expect(Object.keys(light)).not.toContain("blstBls");
    expect(Object.keys(light)).not.toContain("getBls");
    expect(light.buildVerifierSet(setData).bls.name).toBe("noble");
  });

  it("verifies a certificate from its JSON form with noble alone", () => {
    const set = light.buildVerifierSet(setData);
    const root = light.observationRoot(domain, observation);
    const votes = [0, 1, 3].map((i) => ({
      domain,
      observation,
      setId: set.setId,
      verifierIndex: i,
      signature: nobleBls.sign(keys[i]!, root),
    }));
    const cert = light.buildCertificate(votes, set);
    const setJson = JSON.parse(JSON.stringify(light.verifierSetToJson(setData)));
    const certJson = JSON.parse(JSON.stringify(light.certificateToJson(cert)));
    expect(checkCertificate(certJson, [setJson])).toBe(3n);

    // One signer's bit cleared: the aggregate no longer matches.
    const forged = { ...certJson, signers: "0x03" };
    expect(() => checkCertificate(forged, [setJson])).toThrow(/certificate rejected/);
  });

  it("the full entry point does load blst (so the block above is real)", async () => {
    const err = await import("../../src/index.js").then(
      () => undefined,
      (e: unknown) => e,
    );
    // vitest wraps the factory's error; ours is its cause.
    expect(String((err as Error | undefined)?.cause)).toMatch(/must not load/);
  });
});
