import {
  addressFromPrivateKey,
  buildBuilderEquivocation,
  buildVerifierEquivocation,
  EvidenceErrorCode,
  encodeEvidenceSsz,
  type SszEvidence,
  SszEvidenceKind,
  VerifierSetRegistry,
} from "@ocp/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { EvidenceGossipErrorCode, type ValidationOptions } from "../../../../src/chain/index.js";
import { GossipAction, GossipActionError } from "../../../../src/network/errors.js";
import {
  attest,
  builderKey,
  commit,
  makeSet,
  OTHER_DOMAIN,
  observation,
  type TestChain,
  testChain,
  testKeys,
} from "../fixtures.js";

const keys = testKeys(3);
const set = makeSet(keys);
const HEAD = 40n;
const priv = builderKey(3);
const builder = addressFromPrivateKey(priv);

function builderEv(slot = HEAD, domain = undefined as undefined | typeof OTHER_DOMAIN): SszEvidence {
  const r = buildBuilderEquivocation(
    commit(priv, builder, observation(slot, 0), domain),
    commit(priv, builder, observation(slot, 1), domain),
  );
  if (!r.ok) throw new Error(r.code);
  return { kind: SszEvidenceKind.BuilderEquivocation, evidence: r.value };
}

function verifierEv(): SszEvidence {
  const r = buildVerifierEquivocation(
    attest(keys[2]!, set, 2, observation(HEAD, 0)),
    attest(keys[2]!, set, 2, observation(HEAD, 1)),
    new VerifierSetRegistry([set]),
  );
  if (!r.ok) throw new Error(r.code);
  return { kind: SszEvidenceKind.VerifierEquivocation, evidence: r.value };
}

const chains: TestChain[] = [];
function chain(validation: Partial<ValidationOptions> = { builderAllowlist: [builder] }): TestChain {
  const c = testChain([set], HEAD, { validation: { retentionSlots: 8, ...validation } });
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

describe("validateGossipEvidence", () => {
  for (const [name, make] of [
    ["builder", builderEv],
    ["verifier", verifierEv],
  ] as const) {
    it(`${name} equivocation: accepted once, then IGNOREd as already held`, async () => {
      const { pipeline, evidence } = chain();
      const bytes = encodeEvidenceSsz(make());
      const v = await pipeline.evidence.validate(bytes);
      expect(v.offence.kind).toBe(name);
      pipeline.evidence.accept(v);
      expect(evidence.map((e) => e.source)).toEqual(["gossip"]);
      expect(await outcome(pipeline.evidence.validate(bytes))).toMatchObject({
        action: GossipAction.IGNORE,
        code: EvidenceGossipErrorCode.ALREADY_KNOWN,
      });
    });
  }

  it("REJECTs evidence that does not verify", async () => {
    const { pipeline } = chain();
    const b = builderEv();
    if (b.kind !== SszEvidenceKind.BuilderEquivocation) throw new Error("kind");
    const same: SszEvidence = { kind: b.kind, evidence: { a: b.evidence.a, b: b.evidence.a } };
    expect(await outcome(pipeline.evidence.validate(encodeEvidenceSsz(same)))).toMatchObject({
      action: GossipAction.REJECT,
      code: EvidenceGossipErrorCode.INVALID,
      detail: EvidenceErrorCode.SAME_OBSERVATION,
    });
    const v = verifierEv();
    if (v.kind !== SszEvidenceKind.VerifierEquivocation) throw new Error("kind");
    const forged: SszEvidence = {
      kind: v.kind,
      evidence: {
        a: v.evidence.a,
        b: { ...v.evidence.b, signature: attest(keys[1]!, set, 1, observation(HEAD, 5)).signature },
      },
    };
    const r = await outcome(pipeline.evidence.validate(encodeEvidenceSsz(forged)));
    expect(r).toMatchObject({ action: GossipAction.REJECT, code: EvidenceGossipErrorCode.INVALID });
    expect(r !== "accept" && r.detail?.startsWith(EvidenceErrorCode.BAD_SIGNATURE)).toBe(true);
  });

  it("applies the shared rules: domain, slot window", async () => {
    const { pipeline } = chain();
    expect(
      await outcome(pipeline.evidence.validate(encodeEvidenceSsz(builderEv(HEAD, OTHER_DOMAIN)))),
    ).toMatchObject({
      action: GossipAction.REJECT,
      code: EvidenceGossipErrorCode.UNKNOWN_DOMAIN,
    });
    expect(await outcome(pipeline.evidence.validate(encodeEvidenceSsz(builderEv(HEAD - 9n))))).toMatchObject({
      action: GossipAction.IGNORE,
      code: EvidenceGossipErrorCode.SLOT_TOO_OLD,
    });
  });
});
