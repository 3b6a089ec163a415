import {
  encodeAttestationSsz,
  encodeEvidenceSsz,
  SszErrorCode,
  SszEvidenceKind,
  verifyVerifierEquivocation,
} from "@ocp/protocol";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FAKED_TIMERS, settledAfter } from "../../../../../../test/utils/wait.js";
import { nonSubgroupG2 } from "../../../../../protocol/test/unit/bls/points.js";
import type { BlsVerifierStats } from "../../../../src/chain/bls/metrics.js";
import type { BatchingBlsVerifier } from "../../../../src/chain/bls/verifier.js";
import { AttestationErrorCode, EvidenceGossipErrorCode } from "../../../../src/chain/index.js";
import { GossipAction, GossipActionError } from "../../../../src/network/errors.js";
import {
  attest,
  makeSet,
  OTHER_DOMAIN,
  OTHER_STREAM,
  observation,
  type TestChain,
  testChain,
  testKeys,
} from "../fixtures.js";

const keys = testKeys(6);
// epoch 0 governs slots 0..99, epoch 1 (reversed keys) from slot 100
const set0 = makeSet(keys, { epoch: 0n, activationSlot: 0n });
const set1 = makeSet([...keys].reverse(), { epoch: 1n, activationSlot: 100n });
const HEAD = 50n;

async function outcome(p: Promise<unknown>): Promise<{ action: GossipAction; code: string } | "accept"> {
  try {
    await p;
    return "accept";
  } catch (e) {
    if (!(e instanceof GossipActionError)) throw e;
    return { action: e.action, code: e.code };
  }
}

const chains: TestChain[] = [];
function chain(opts: Parameters<typeof testChain>[2] = {}): TestChain {
  const c = testChain([set0, set1], HEAD, opts);
  chains.push(c);
  return c;
}
afterEach(async () => {
  for (const c of chains.splice(0)) await c.pipeline.stop();
  vi.useRealTimers();
});

describe("validateGossipAttestation", () => {
  it("votes wait for their batch, except the one that can complete a certificate: then all are checked at once", async () => {
    // Six keys of weight 1: quorum is 5 votes. Time is fake, so no timer flushes the batch.
    vi.useFakeTimers({ toFake: [...FAKED_TIMERS] });
    const { pipeline } = chain({ blsVerifier: { maxBufferWaitMs: 60_000 } });
    const vote = (i: number, tag = 0) =>
      pipeline.attestation.validate(encodeAttestationSsz(attest(keys[i]!, set0, i, observation(HEAD, tag))));
    const first = [0, 1, 2, 3].map((i) => vote(i));
    // Another root's vote does not count toward this one's quorum.
    const other = vote(5, 1);
    expect(await settledAfter([...first, other], 30)).toBe(0);
    const fifth = vote(4);
    expect(await settledAfter([...first, fifth], 0)).toBe(5);
    for (const p of [...first, fifth, other]) expect(await outcome(p)).toBe("accept");
    const m = (pipeline.verifier as BatchingBlsVerifier).metrics as BlsVerifierStats;
    expect(m.batches).toBe(1);
    expect(m.batchedSets).toBe(6);
  });

  it("copies of one vote in flight count once toward the quorum that flushes the batch", async () => {
    // Six keys of weight 1: quorum is 5 votes. Time is fake, so no timer flushes the batch.
    vi.useFakeTimers({ toFake: [...FAKED_TIMERS] });
    const { pipeline } = chain({ blsVerifier: { maxBufferWaitMs: 60_000 } });
    const data = (i: number) => encodeAttestationSsz(attest(keys[i]!, set0, i, observation(HEAD)));
    // Validated, then counted as the gossip handler does; a copy of a counted vote is IGNOREd.
    const vote = (i: number, peer: string) =>
      pipeline.attestation.validate(data(i), peer).then((v) => pipeline.attestation.accept(v));
    // Votes 0 and 1, and three more copies of vote 0 from other peers: two voters, not five.
    const early = [vote(0, "a"), vote(1, "a"), vote(0, "b"), vote(0, "c"), vote(0, "d")];
    // Two more voters arrive while those wait.
    const more = [vote(2, "a"), vote(3, "a")];
    expect(await settledAfter([...early, ...more], 30)).toBe(0);
    // The fifth voter completes the quorum: everything waiting is checked at once.
    const fifth = vote(4, "a");
    expect(await settledAfter([...early, ...more, fifth], 0)).toBe(8);
    for (const p of [...early, ...more, fifth]) expect(await outcome(p)).toBe("accept");
    // One flush, at the fifth voter: not at the third copy of vote 0.
    const m = (pipeline.verifier as BatchingBlsVerifier).metrics as BlsVerifierStats;
    expect(m.batches).toBe(1);
  });

  it("accepts a valid vote and returns the derived data", async () => {
    const { pipeline } = chain();
    const a = attest(keys[2]!, set0, 2, observation(HEAD));
    const v = await pipeline.attestation.validate(encodeAttestationSsz(a));
    expect(v.set).toBe(set0);
    expect(v.attestation.verifierIndex).toBe(2);
    expect(v.equivocation).toBeUndefined();
    // validators never write: nothing is in the pool or seen yet
    expect(pipeline.pools.attestations.size).toBe(0);
    expect(pipeline.seen.attestations.size).toBe(0);
  });

  const REJ = GossipAction.REJECT;
  const IGN = GossipAction.IGNORE;
  const cases: { name: string; make: () => Uint8Array; action: GossipAction; code: string }[] = [
    {
      name: "undecodable payload",
      make: () => encodeAttestationSsz(attest(keys[0]!, set0, 0, observation(HEAD))).slice(0, 50),
      action: REJ,
      code: SszErrorCode.TRUNCATED,
    },
    {
      name: "unknown domain",
      make: () => encodeAttestationSsz(attest(keys[0]!, set0, 0, observation(HEAD), OTHER_DOMAIN)),
      action: REJ,
      code: AttestationErrorCode.UNKNOWN_DOMAIN,
    },
    {
      name: "unknown stream",
      make: () => encodeAttestationSsz(attest(keys[0]!, set0, 0, observation(HEAD, 0, OTHER_STREAM))),
      action: REJ,
      code: AttestationErrorCode.UNKNOWN_STREAM,
    },
    {
      name: "slot older than the retention window (8)",
      make: () => encodeAttestationSsz(attest(keys[0]!, set0, 0, observation(HEAD - 9n))),
      action: IGN,
      code: AttestationErrorCode.SLOT_TOO_OLD,
    },
    {
      name: "slot more than one slot ahead",
      make: () => encodeAttestationSsz(attest(keys[0]!, set0, 0, observation(HEAD + 2n))),
      action: IGN,
      code: AttestationErrorCode.SLOT_FROM_FUTURE,
    },
    {
      name: "unknown set (a rotation this node has not seen yet)",
      make: () =>
        encodeAttestationSsz({ ...attest(keys[0]!, set0, 0, observation(HEAD)), setId: new Uint8Array(32) }),
      action: IGN,
      code: AttestationErrorCode.UNKNOWN_SET,
    },
    {
      name: "set that does not govern the slot",
      make: () => encodeAttestationSsz(attest(keys[5]!, set1, 0, observation(HEAD))),
      action: REJ,
      code: AttestationErrorCode.WRONG_SET_FOR_SLOT,
    },
    {
      name: "index out of range",
      make: () => encodeAttestationSsz(attest(keys[0]!, set0, 6, observation(HEAD))),
      action: REJ,
      code: AttestationErrorCode.INDEX_OUT_OF_RANGE,
    },
    {
      name: "signature of another verifier",
      make: () => encodeAttestationSsz(attest(keys[1]!, set0, 0, observation(HEAD))),
      action: REJ,
      code: AttestationErrorCode.INVALID_SIGNATURE,
    },
    {
      name: "signature over another observation",
      make: () =>
        encodeAttestationSsz({
          ...attest(keys[0]!, set0, 0, observation(HEAD)),
          signature: attest(keys[0]!, set0, 0, observation(HEAD, 1)).signature,
        }),
      action: REJ,
      code: AttestationErrorCode.INVALID_SIGNATURE,
    },
    {
      name: "signature not in the G2 subgroup",
      make: () =>
        encodeAttestationSsz({ ...attest(keys[0]!, set0, 0, observation(HEAD)), signature: nonSubgroupG2() }),
      action: REJ,
      code: AttestationErrorCode.INVALID_SIGNATURE,
    },
    {
      name: "signature encoding of infinity",
      make: () => {
        const inf = new Uint8Array(96);
        inf[0] = 0xc0;
        return encodeAttestationSsz({ ...attest(keys[0]!, set0, 0, observation(HEAD)), signature: inf });
      },
      action: REJ,
      code: AttestationErrorCode.INVALID_SIGNATURE,
    },
  ];
  for (const c of cases) {
    it(`${c.action} ${c.code}: ${c.name}`, async () => {
      const { pipeline } = chain();
      expect(await outcome(pipeline.attestation.validate(c.make()))).toEqual({
        action: c.action,
        code: c.code,
      });
    });
  }

  it("the root memo never lends one observation's root to another", async () => {
    const { pipeline } = chain();
    const a = attest(keys[0]!, set0, 0, observation(HEAD, 0));
    await pipeline.attestation.validate(encodeAttestationSsz(a));
    // same domain and slot, another observation, carrying the signature over the first one's root
    const b = { ...attest(keys[0]!, set0, 0, observation(HEAD, 3)), signature: a.signature };
    expect(await outcome(pipeline.attestation.validate(encodeAttestationSsz(b)))).toEqual({
      action: GossipAction.REJECT,
      code: AttestationErrorCode.INVALID_SIGNATURE,
    });
  });

  it("IGNOREs a vote already accepted", async () => {
    const { pipeline } = chain();
    const bytes = encodeAttestationSsz(attest(keys[3]!, set0, 3, observation(HEAD)));
    pipeline.attestation.accept(await pipeline.attestation.validate(bytes));
    expect(await outcome(pipeline.attestation.validate(bytes))).toEqual({
      action: GossipAction.IGNORE,
      code: AttestationErrorCode.ALREADY_SEEN,
    });
  });

  it("a forged copy arriving first does not suppress the real vote", async () => {
    const { pipeline } = chain();
    const real = attest(keys[4]!, set0, 4, observation(HEAD));
    const forged = { ...real, signature: attest(keys[3]!, set0, 3, observation(HEAD)).signature };
    // Both in flight together, forged first, as gossip may deliver them.
    const pForged = outcome(pipeline.attestation.validate(encodeAttestationSsz(forged)));
    const pReal = pipeline.attestation.validate(encodeAttestationSsz(real));
    expect(await pForged).toEqual({
      action: GossipAction.REJECT,
      code: AttestationErrorCode.INVALID_SIGNATURE,
    });
    const v = await pReal;
    pipeline.attestation.accept(v);
    expect(pipeline.pools.attestations.voteOf(v.slotKey, set0.setIdHex, 4)?.attestation.signature).toEqual(
      real.signature,
    );
    // Once the real vote is recorded, later copies (forged or not) are IGNOREd before any pairing.
    expect(await outcome(pipeline.attestation.validate(encodeAttestationSsz(forged)))).toEqual({
      action: GossipAction.IGNORE,
      code: AttestationErrorCode.ALREADY_SEEN,
    });
  });

  it("verifier equivocation yields evidence that verifies, and the second vote counts nowhere", async () => {
    const { pipeline, registry, evidence } = chain();
    const first = attest(keys[1]!, set0, 1, observation(HEAD, 0));
    const second = attest(keys[1]!, set0, 1, observation(HEAD, 1));
    pipeline.attestation.accept(await pipeline.attestation.validate(encodeAttestationSsz(first)));
    const v = await pipeline.attestation.validate(encodeAttestationSsz(second));
    expect(v.equivocation).toBeDefined();
    const check = verifyVerifierEquivocation(v.equivocation!, registry);
    expect(check.ok).toBe(true);
    if (check.ok) expect(check.value.pubkey).toEqual(keys[1]!.pubkey);

    pipeline.attestation.accept(v);
    expect(evidence).toHaveLength(1);
    expect(evidence[0]!.source).toBe("local");
    const groups = pipeline.pools.attestations.groups(v.slotKey);
    const total = groups.reduce((w, g) => w + g.signedWeight, 0n);
    expect(total).toBe(1n);
    // A third root from the same index is not even verified.
    const third = attest(keys[1]!, set0, 1, observation(HEAD, 2));
    expect(await outcome(pipeline.attestation.validate(encodeAttestationSsz(third)))).toEqual({
      action: GossipAction.IGNORE,
      code: AttestationErrorCode.KNOWN_EQUIVOCATOR,
    });
    // The same evidence arriving by gossip is already held.
    const bytes = encodeEvidenceSsz({
      kind: SszEvidenceKind.VerifierEquivocation,
      evidence: v.equivocation!,
    });
    expect(await outcome(pipeline.evidence.validate(bytes))).toEqual({
      action: GossipAction.IGNORE,
      code: EvidenceGossipErrorCode.ALREADY_KNOWN,
    });
  });

  it("uses the set governing the slot after a rotation", async () => {
    const { pipeline, clock } = chain();
    clock.onHead(100n);
    // keys[5] is index 0 of set1
    const v = await pipeline.attestation.validate(
      encodeAttestationSsz(attest(keys[5]!, set1, 0, observation(100n))),
    );
    expect(v.set).toBe(set1);
    expect(
      await outcome(
        pipeline.attestation.validate(encodeAttestationSsz(attest(keys[0]!, set0, 0, observation(100n)))),
      ),
    ).toEqual({
      action: GossipAction.REJECT,
      code: AttestationErrorCode.WRONG_SET_FOR_SLOT,
    });
  });
});
