import {
  addressFromPrivateKey,
  BuilderSigErrorCode,
  encodeSignedCommitmentSsz,
  observationRoot,
  type SignedCommitment,
  toHex,
  verifyBuilderEquivocation,
} from "@ocp/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { CommitmentErrorCode, type ValidationOptions } from "../../../../src/chain/index.js";
import { GossipAction, GossipActionError } from "../../../../src/network/errors.js";
import {
  builderKey,
  commit,
  DOMAIN,
  makeSet,
  OTHER_DOMAIN,
  OTHER_STREAM,
  observation,
  type TestChain,
  testChain,
  testKeys,
} from "../fixtures.js";

const set = makeSet(testKeys(3));
const HEAD = 20n;
const priv = builderKey(0);
const builder = addressFromPrivateKey(priv);
const otherPriv = builderKey(1);
const other = addressFromPrivateKey(otherPriv);
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

const chains: TestChain[] = [];
function chain(
  validation: Partial<ValidationOptions> = {},
  ownRoot?: (stream: Uint8Array, slot: bigint) => string | undefined,
): TestChain {
  const c = testChain(
    [set],
    HEAD,
    { validation: { retentionSlots: 8, builderAllowlist: [builder, other], ...validation } },
    ownRoot ? { ownRoot } : {},
  );
  chains.push(c);
  return c;
}
afterEach(async () => {
  for (const c of chains.splice(0)) await c.pipeline.stop();
});

async function outcome(
  p: Promise<unknown>,
): Promise<{ action: GossipAction; code: string; detail?: string } | "accept"> {
  try {
    await p;
    return "accept";
  } catch (e) {
    if (!(e instanceof GossipActionError)) throw e;
    return e.detail === undefined
      ? { action: e.action, code: e.code }
      : { action: e.action, code: e.code, detail: e.detail };
  }
}

function highS(s: SignedCommitment): SignedCommitment {
  const sig = s.signature.slice();
  let v = 0n;
  for (const b of sig.subarray(32, 64)) v = (v << 8n) | BigInt(b);
  let flipped = N - v;
  for (let i = 63; i >= 32; i--) {
    sig[i] = Number(flipped & 0xffn);
    flipped >>= 8n;
  }
  sig[64] = sig[64] === 27 ? 28 : 27;
  return { ...s, signature: sig };
}

const IGN = GossipAction.IGNORE;

describe("validateGossipCommitment", () => {
  it("accepts a builder's signed commitment", async () => {
    const { pipeline } = chain();
    const v = await pipeline.commitment.validate(
      encodeSignedCommitmentSsz(commit(priv, builder, observation(HEAD))),
    );
    expect(v.builderHex).toBe(toHex(builder));
    expect(v.equivocation).toBeUndefined();
    expect(pipeline.pools.commitments.size).toBe(0);
  });

  const REJ = GossipAction.REJECT;
  const cases: {
    name: string;
    make: () => SignedCommitment;
    code: string;
    action?: GossipAction;
    detail?: string;
  }[] = [
    {
      name: "unknown domain",
      make: () => commit(priv, builder, observation(HEAD), OTHER_DOMAIN),
      code: CommitmentErrorCode.UNKNOWN_DOMAIN,
    },
    {
      name: "unknown stream",
      make: () => commit(priv, builder, observation(HEAD, 0, OTHER_STREAM)),
      code: CommitmentErrorCode.UNKNOWN_STREAM,
    },
    {
      name: "too old",
      make: () => commit(priv, builder, observation(HEAD - 9n)),
      code: CommitmentErrorCode.SLOT_TOO_OLD,
      action: GossipAction.IGNORE,
    },
    {
      name: "from the future",
      make: () => commit(priv, builder, observation(HEAD + 2n)),
      code: CommitmentErrorCode.SLOT_FROM_FUTURE,
      action: GossipAction.IGNORE,
    },
    {
      name: "signed by another key than the named builder",
      make: () => commit(otherPriv, builder, observation(HEAD)),
      code: CommitmentErrorCode.INVALID_SIGNATURE,
      detail: BuilderSigErrorCode.WRONG_BUILDER,
    },
    {
      name: "high-s twin of a valid signature",
      make: () => highS(commit(priv, builder, observation(HEAD))),
      code: CommitmentErrorCode.INVALID_SIGNATURE,
      detail: BuilderSigErrorCode.HIGH_S,
    },
    {
      name: "signature over another observation",
      make: () => ({
        ...commit(priv, builder, observation(HEAD)),
        signature: commit(priv, builder, observation(HEAD, 1)).signature,
      }),
      code: CommitmentErrorCode.INVALID_SIGNATURE,
    },
  ];
  for (const c of cases) {
    it(`${c.action ?? REJ} ${c.code}: ${c.name}`, async () => {
      const { pipeline } = chain();
      const r = await outcome(pipeline.commitment.validate(encodeSignedCommitmentSsz(c.make())));
      expect(r).toMatchObject({
        action: c.action ?? REJ,
        code: c.code,
        ...(c.detail ? { detail: c.detail } : {}),
      });
    });
  }

  it("a builder outside the allowlist counts only when its observation is this node's own", async () => {
    const ours = toHex(observationRoot(DOMAIN, observation(HEAD)));
    const { pipeline } = chain({ builderAllowlist: [other] }, (_s, slot) =>
      slot === HEAD ? ours : undefined,
    );
    const check = (c: SignedCommitment, from = "p1") =>
      outcome(pipeline.commitment.validate(encodeSignedCommitmentSsz(c), from));
    // [IGNORE] not our observation: not relayed, not pooled, no evidence ever
    expect(await check(commit(priv, builder, observation(HEAD, 1)))).toMatchObject({
      action: IGN,
      code: CommitmentErrorCode.UNLISTED_NOT_OURS,
    });
    // [IGNORE] our observation unknown yet (slot HEAD - 1 not read)
    expect(await check(commit(priv, builder, observation(HEAD - 1n)), "p2")).toMatchObject({
      action: IGN,
      code: CommitmentErrorCode.UNLISTED_NOT_OURS,
    });
    const v = await pipeline.commitment.validate(
      encodeSignedCommitmentSsz(commit(priv, builder, observation(HEAD))),
      "p3",
    );
    expect(v.listed).toBe(false);
    // a listed builder is not judged against our observation
    const w = await pipeline.commitment.validate(
      encodeSignedCommitmentSsz(commit(otherPriv, other, observation(HEAD, 1))),
      "p1",
    );
    expect(w.listed).toBe(true);
  });

  it("builders outside the allowlist share a small budget per slot and per peer, spent before the signature check", async () => {
    const { pipeline } = chain({
      builderAllowlist: [],
      unlistedBuildersPerSlot: 3,
      unlistedBuildersPerPeerPerSlot: 2,
    });
    const throwaway = (i: number) => {
      const k = builderKey(100 + i);
      return encodeSignedCommitmentSsz(commit(k, addressFromPrivateKey(k), observation(HEAD, i)));
    };
    const codes: string[] = [];
    for (const [i, from] of [
      [0, "a"],
      [1, "a"],
      [2, "a"],
      [3, "b"],
      [4, "c"],
    ] as const) {
      const r = await outcome(pipeline.commitment.validate(throwaway(i), from));
      codes.push(r === "accept" ? "accept" : r.code);
    }
    expect(codes).toEqual([
      CommitmentErrorCode.UNLISTED_NOT_OURS,
      CommitmentErrorCode.UNLISTED_NOT_OURS,
      CommitmentErrorCode.UNLISTED_OVER_BUDGET, // peer a spent its 2
      CommitmentErrorCode.UNLISTED_NOT_OURS,
      CommitmentErrorCode.UNLISTED_OVER_BUDGET, // the slot spent its 3
    ]);
    // A bad signature spends budget too (its recovery was paid for): another slot, peer d.
    const bad = commit(priv, builder, observation(HEAD - 1n));
    bad.signature[10]! ^= 1;
    expect(await outcome(pipeline.commitment.validate(encodeSignedCommitmentSsz(bad), "d"))).toMatchObject({
      action: REJ,
      code: CommitmentErrorCode.INVALID_SIGNATURE,
    });
  });

  it("IGNOREs a commitment already seen", async () => {
    const { pipeline } = chain();
    const bytes = encodeSignedCommitmentSsz(commit(priv, builder, observation(HEAD)));
    pipeline.commitment.accept(await pipeline.commitment.validate(bytes));
    expect(await outcome(pipeline.commitment.validate(bytes))).toEqual({
      action: GossipAction.IGNORE,
      code: CommitmentErrorCode.ALREADY_SEEN,
    });
  });

  for (const allowance of [1, 2]) {
    it(`allowance ${allowance}: the first conflicting commitment yields evidence, later ones are IGNOREd`, async () => {
      const { pipeline, evidence } = chain({ maxCommitmentsPerBuilderPerSlot: allowance });
      pipeline.commitment.accept(
        await pipeline.commitment.validate(
          encodeSignedCommitmentSsz(commit(priv, builder, observation(HEAD, 0))),
        ),
      );
      const v = await pipeline.commitment.validate(
        encodeSignedCommitmentSsz(commit(priv, builder, observation(HEAD, 1))),
      );
      expect(v.equivocation).toBeDefined();
      const check = verifyBuilderEquivocation(v.equivocation!);
      expect(check.ok && toHex(check.value.builder)).toBe(toHex(builder));
      pipeline.commitment.accept(v);
      expect(evidence).toHaveLength(1);
      const third = await outcome(
        pipeline.commitment.validate(encodeSignedCommitmentSsz(commit(priv, builder, observation(HEAD, 2)))),
      );
      expect(third).toMatchObject({ action: GossipAction.IGNORE, code: CommitmentErrorCode.OVER_ALLOWANCE });
      // Another builder in the same slot is unaffected.
      expect(
        await outcome(
          pipeline.commitment.validate(
            encodeSignedCommitmentSsz(commit(otherPriv, other, observation(HEAD, 2))),
          ),
        ),
      ).toBe("accept");
    });
  }
});
