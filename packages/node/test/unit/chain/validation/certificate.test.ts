import {
  buildCertificate,
  type Certificate,
  CertificateErrorCode,
  encodeAttestationSsz,
  encodeCertificateSsz,
  type VerifierSet,
} from "@ocp/protocol";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AttestationErrorCode, CertificateGossipErrorCode } from "../../../../src/chain/index.js";
import { GossipAction, GossipActionError } from "../../../../src/network/errors.js";
import {
  attest,
  makeSet,
  OTHER_DOMAIN,
  observation,
  type TestChain,
  testChain,
  testKeys,
} from "../fixtures.js";

const keys = testKeys(4);
const set = makeSet(keys);
const HEAD = 30n;

function cert(
  signers: number[],
  slot = HEAD,
  domain = undefined as undefined | typeof OTHER_DOMAIN,
): Certificate {
  const o = observation(slot);
  return buildCertificate(
    signers.map((i) => attest(keys[i]!, set, i, o, domain)),
    set as VerifierSet,
  );
}

const chains: TestChain[] = [];
function chain(): TestChain {
  const c = testChain([set], HEAD);
  chains.push(c);
  return c;
}
afterEach(async () => {
  for (const c of chains.splice(0)) await c.pipeline.stop();
});

async function outcome(p: Promise<unknown>) {
  try {
    await p;
    return "accept" as const;
  } catch (e) {
    if (!(e instanceof GossipActionError)) throw e;
    return { action: e.action, code: e.code, detail: e.detail };
  }
}

describe("validateGossipCertificate", () => {
  it("accepts a valid certificate; IGNOREs one with no more weight for the root; accepts a heavier one", async () => {
    const { pipeline, certificates } = chain();
    const three = encodeCertificateSsz(cert([0, 1, 2]));
    const v = await pipeline.certificate.validate(three);
    expect(v.signedWeight).toBe(3n);
    pipeline.certificate.accept(v);
    expect(certificates.map((c) => c[1])).toEqual(["gossip"]);
    expect(await outcome(pipeline.certificate.validate(three))).toMatchObject({
      action: GossipAction.IGNORE,
      code: CertificateGossipErrorCode.NOT_BETTER,
    });
    // another 3-signer certificate: same weight, still not better
    expect(await outcome(pipeline.certificate.validate(encodeCertificateSsz(cert([1, 2, 3]))))).toMatchObject(
      {
        action: GossipAction.IGNORE,
        code: CertificateGossipErrorCode.NOT_BETTER,
      },
    );
    const four = await pipeline.certificate.validate(encodeCertificateSsz(cert([0, 1, 2, 3])));
    pipeline.certificate.accept(four);
    expect(pipeline.pools.certificates.best(four.slotKey)?.signedWeight).toBe(4n);
  });

  it("REJECTs a certificate that fails verifyCertificate, naming the reason", async () => {
    const { pipeline } = chain();
    const good = cert([0, 1, 2]);
    const otherSig = cert([0, 1, 3]).aggregateSignature;
    const cases: [Certificate, string][] = [
      [{ ...good, aggregateSignature: otherSig }, CertificateErrorCode.BAD_SIGNATURE],
      [cert([0, 1]), CertificateErrorCode.BELOW_QUORUM],
      // signers 0,1,3 claimed for a signature by 0,1,2
      [{ ...good, signers: Uint8Array.of(0x0b) }, CertificateErrorCode.BAD_SIGNATURE],
      [{ ...good, signers: Uint8Array.of(0x17) }, CertificateErrorCode.BAD_BITFIELD_HIGH_BITS],
    ];
    for (const [c, reason] of cases) {
      const r = await outcome(pipeline.certificate.validate(encodeCertificateSsz(c)));
      expect(r).toMatchObject({ action: GossipAction.REJECT, code: CertificateGossipErrorCode.INVALID });
      expect(r !== "accept" && r.detail?.startsWith(reason)).toBe(true);
    }
  });

  it("IGNOREs a certificate under a set this node does not know, and asks for a set refresh", async () => {
    const unknown: Uint8Array[] = [];
    const c = testChain([set], HEAD, {}, { onUnknownSet: (id) => unknown.push(id) });
    chains.push(c);
    const setId = new Uint8Array(32).fill(1);
    const r = await outcome(
      c.pipeline.certificate.validate(encodeCertificateSsz({ ...cert([0, 1, 2]), setId })),
    );
    expect(r).toMatchObject({ action: GossipAction.IGNORE, code: CertificateGossipErrorCode.UNKNOWN_SET });
    expect(unknown).toEqual([setId]);
  });

  it("judges nothing while this node's sets are not known to be current for the slot, and asks for a refresh", async () => {
    let asked = 0;
    const c = testChain(
      [set],
      HEAD,
      {},
      { setsCurrentFor: (slot) => slot < HEAD, onUnknownSet: () => asked++ },
    );
    chains.push(c);
    const r = await outcome(c.pipeline.certificate.validate(encodeCertificateSsz(cert([0, 1, 2]))));
    expect(r).toMatchObject({
      action: GossipAction.IGNORE,
      code: CertificateGossipErrorCode.SETS_NOT_CURRENT,
    });
    const vote = attest(keys[0]!, set, 0, observation(HEAD));
    const v = await outcome(c.pipeline.attestation.validate(encodeAttestationSsz(vote)));
    expect(v).toMatchObject({ action: GossipAction.IGNORE, code: AttestationErrorCode.SETS_NOT_CURRENT });
    expect(asked).toBe(2);
    // An earlier slot is judged as usual.
    expect(
      await outcome(c.pipeline.certificate.validate(encodeCertificateSsz(cert([0, 1, 2], HEAD - 1n)))),
    ).toBe("accept");
  });

  it("applies the shared rules: domain, slot window", async () => {
    const { pipeline } = chain();
    expect(
      await outcome(pipeline.certificate.validate(encodeCertificateSsz(cert([0, 1, 2], HEAD, OTHER_DOMAIN)))),
    ).toMatchObject({ action: GossipAction.REJECT, code: CertificateGossipErrorCode.UNKNOWN_DOMAIN });
    expect(
      await outcome(pipeline.certificate.validate(encodeCertificateSsz(cert([0, 1, 2], HEAD - 9n)))),
    ).toMatchObject({
      action: GossipAction.IGNORE,
      code: CertificateGossipErrorCode.SLOT_TOO_OLD,
    });
  });

  it("a certificate that is exactly the sum of votes already verified needs no pairing; others get one", async () => {
    const pairing = vi.spyOn(set.bls, "fastAggregateVerify");
    try {
      const c = chain();
      const o = observation(HEAD);
      const pooled = [0, 1, 2].map((i) => attest(keys[i]!, set, i, o));
      for (const a of pooled)
        c.pipeline.attestation.accept(await c.pipeline.attestation.validate(encodeAttestationSsz(a)));
      // Validated in the same tick as the votes, before our own aggregator builds.
      const v = await c.pipeline.certificate.validate(encodeCertificateSsz(cert([0, 1, 2])));
      expect(v.signedWeight).toBe(3n);
      expect(pairing).not.toHaveBeenCalled();
      // Vote 3 was never seen here: the pairing decides.
      expect(
        (await c.pipeline.certificate.validate(encodeCertificateSsz(cert([0, 1, 2, 3])))).signedWeight,
      ).toBe(4n);
      expect(pairing).toHaveBeenCalledTimes(1);

      // Same signers as the pool, a wrong signature: not the pool's sum, so checked, and rejected.
      const d = chain();
      for (const a of pooled)
        d.pipeline.attestation.accept(await d.pipeline.attestation.validate(encodeAttestationSsz(a)));
      const forged = { ...cert([0, 1, 2]), aggregateSignature: cert([1, 2, 3]).aggregateSignature };
      expect(await outcome(d.pipeline.certificate.validate(encodeCertificateSsz(forged)))).toMatchObject({
        action: GossipAction.REJECT,
        code: CertificateGossipErrorCode.INVALID,
      });
      expect(pairing).toHaveBeenCalledTimes(2);
    } finally {
      pairing.mockRestore();
    }
  });
});
