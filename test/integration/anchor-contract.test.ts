// OcpAnchor on a real anvil: hash-to-G2 against noble, a protocol certificate
// anchoring end to end, every rejection, replay, conflict, rotation and the
// EIP-2935 block-hash check.
import { bls12_381 as noble } from "@noble/curves/bls12-381.js";
import { ExampleRollup, HashToG2Harness, OcpAnchor } from "@ocp/contracts";
import {
  type Attestation,
  BLS_POP_DST,
  BLS_SIG_DST,
  buildCertificate,
  buildVerifierSet,
  type Certificate,
  computeKeysHash,
  computeSetId,
  g1FromEip2537,
  g2FromEip2537,
  g2ToEip2537,
  getBls,
  type Observation,
  observationRoot,
  toHex,
  type VerifierSet,
} from "@ocp/protocol";
import { decodeEventLog, encodeAbiParameters, type Hex, keccak256 } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { useAnvil } from "../utils/anvil.js";
import {
  bytes32,
  type Chain,
  connect,
  deployAnchor,
  deployHarness,
  deployRollup,
  domainOf,
  makeObservation,
  makeVerifiers,
  obsArg,
  read,
  registerKeys,
  registerSet,
  revertName,
  send,
  type Verifier,
} from "./anchor-fixture.js";

const bls = getBls();
const anvil = useAnvil();
const A = OcpAnchor.abi;

function fpWords(v: bigint): Uint8Array {
  const out = new Uint8Array(64);
  for (let i = 63; i >= 16; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** noble 1.x (the root copy, independent of the protocol's) hash_to_curve in EIP-2537 form. */
function nobleHashToG2(msg: Uint8Array, dst: string): Hex {
  const { x, y } = noble.G2.hashToCurve(msg, { DST: dst }).toAffine();
  return toHex(Buffer.concat([fpWords(x.c0), fpWords(x.c1), fpWords(y.c0), fpWords(y.c1)]));
}

describe("hash-to-G2 on chain", () => {
  let c: Chain;
  let harness: Hex;
  beforeAll(async () => {
    c = connect(anvil.current.rpcUrl);
    harness = await deployHarness(c);
  });

  it("equals noble's hash_to_curve for 0, 32 and 200-byte messages (both DSTs)", async () => {
    for (const len of [0, 32, 48, 200]) {
      const msg = new Uint8Array(len).map((_, i) => (i * 37 + len) & 0xff);
      for (const dst of [BLS_SIG_DST, BLS_POP_DST]) {
        const got = await read<Hex>(c, harness, HashToG2Harness.abi, "hashToG2", [
          toHex(msg),
          toHex(Buffer.from(dst)),
        ]);
        expect(got).toBe(nobleHashToG2(msg, dst));
      }
    }
  });

  it("compresses keys like blst, for both signs of y, and round-trips EIP-2537 encodings", async () => {
    const vs = makeVerifiers(8, "compress");
    const flags = new Set<number>();
    for (const v of vs) {
      const got = await read<Hex>(c, harness, HashToG2Harness.abi, "compressG1", [toHex(v.pubkey128)]);
      expect(got).toBe(toHex(v.pubkey));
      flags.add(v.pubkey[0]! & 0x20);
      expect(toHex(g1FromEip2537(v.pubkey128))).toBe(toHex(v.pubkey));
      expect(toHex(g2FromEip2537(v.pop256))).toBe(toHex(v.pop));
    }
    expect(flags.size).toBe(2);
  });
});

describe("OcpAnchor", () => {
  let c: Chain;
  let anchor: Hex;
  let rollup: Hex;
  let vs: Verifier[];
  let set0: VerifierSet;
  let set1: VerifierSet;
  let chainId: number;
  const stream = bytes32("stream:test");
  // Weights make "exactly at quorum" reachable: total 9, 2/3 → 6 is at quorum.
  const weights0 = [1n, 1n, 1n, 1n, 1n, 1n, 3n];

  const certify = (set: VerifierSet, o: Observation, signers: number[]): Certificate => {
    const domain = domainOf(chainId, anchor);
    const root = observationRoot(domain, o);
    const atts: Attestation[] = signers.map((i) => ({
      domain,
      observation: o,
      setId: set.setId,
      verifierIndex: i,
      signature: bls.sign(vs[set === set0 ? i : i + 3]!.sk, root),
    }));
    return buildCertificate(atts, set);
  };
  const anchorArgs = (cert: Certificate, epoch: bigint, sig?: Uint8Array) => [
    obsArg(cert.observation),
    epoch,
    toHex(cert.signers),
    toHex(sig ?? g2ToEip2537(cert.aggregateSignature)),
  ];

  beforeAll(async () => {
    c = connect(anvil.current.rpcUrl);
    chainId = await c.pub.getChainId();
    anchor = await deployAnchor(c);
    rollup = await deployRollup(c, anchor, toHex(stream));
    vs = makeVerifiers(10, "anchor-contract");
    await registerKeys(c, anchor, vs);
    const data0 = {
      epoch: 0n,
      activationSlot: 0n,
      quorum: { numerator: 2, denominator: 3 },
      verifiers: vs.slice(0, 7).map((v, i) => ({ pubkey: v.pubkey, weight: weights0[i]!, pop: v.pop })),
    };
    set0 = buildVerifierSet(data0);
    await registerSet(c, anchor, {
      epoch: 0n,
      activationSlot: 0n,
      numerator: 2n,
      denominator: 3n,
      members: vs.slice(0, 7),
      weights: weights0,
    });
    // Epoch 1 (keys 3..9, equal weights) governs from slot 100.
    set1 = buildVerifierSet({
      epoch: 1n,
      activationSlot: 100n,
      quorum: { numerator: 3, denominator: 4 },
      verifiers: vs.slice(3, 10).map((v) => ({ pubkey: v.pubkey, weight: 1n, pop: v.pop })),
    });
    await registerSet(c, anchor, {
      epoch: 1n,
      activationSlot: 100n,
      numerator: 3n,
      denominator: 4n,
      members: vs.slice(3, 10),
      weights: Array(7).fill(1n),
    });
  });

  it("stores sets whose id equals the protocol's setId (and an independent abi.encode)", async () => {
    expect(await read<Hex>(c, anchor, A, "setIdOf", [0n])).toBe(set0.setIdHex);
    expect(await read<Hex>(c, anchor, A, "setIdOf", [1n])).toBe(set1.setIdHex);
    const viemId = keccak256(
      encodeAbiParameters(
        [
          { type: "uint64" },
          { type: "bytes32" },
          { type: "uint64[]" },
          { type: "uint64" },
          { type: "uint64" },
        ],
        [0n, toHex(computeKeysHash(vs.slice(0, 7).map((v) => v.pubkey))), weights0, 2n, 3n],
      ),
    );
    expect(viemId).toBe(set0.setIdHex);
    expect(toHex(computeSetId(0n, set0.keysHash, weights0, { numerator: 2, denominator: 3 }))).toBe(viemId);
    const info = await read<readonly unknown[]>(c, anchor, A, "verifierSet", [0n]);
    expect(info[2]).toBe(7);
    expect(info[3]).toBe(9n);
    const [pk6, w6] = await read<[Hex, bigint]>(c, anchor, A, "verifierAt", [0n, 6n]);
    expect(pk6).toBe(toHex(vs[6]!.pubkey128));
    expect(w6).toBe(3n);
    expect(await read<[boolean, bigint]>(c, anchor, A, "governingEpoch", [99n])).toEqual([true, 0n]);
    expect(await read<[boolean, bigint]>(c, anchor, A, "governingEpoch", [100n])).toEqual([true, 1n]);
  });

  it("anchors a protocol certificate: isFinal, Anchored, Recorded(observationRoot), rollup finalizes after", async () => {
    const o = makeObservation(stream, 10n);
    const cert = certify(set0, o, [0, 1, 2, 6]); // weight 1+1+1+3 = 6: exactly at quorum
    const cert5 = certify(set0, o, [0, 1, 2, 3, 6]); // weight 7 > 6
    expect(await revertName(c, anchor, A, "anchor", anchorArgs(cert, 0n))).toBe("BelowQuorum");

    await send(c, rollup, ExampleRollup.abi, "submitBatch", [10n, toHex(o.tableDigest)]);
    expect(await revertName(c, rollup, ExampleRollup.abi, "finalizeBatch", [0n])).toBe("NotFinal");
    expect(await read<boolean>(c, anchor, A, "isFinal", [toHex(stream), 10n, toHex(o.tableDigest)])).toBe(
      false,
    );

    const root = toHex(observationRoot(domainOf(chainId, anchor), o));
    expect(await read<Hex>(c, anchor, A, "observationRoot", [obsArg(o)])).toBe(root);
    const receipt = await send(c, anchor, A, "anchor", anchorArgs(cert5, 0n));
    const events = receipt.logs.map((l) => decodeEventLog({ abi: A, data: l.data, topics: l.topics }));
    const anchoredEv = events.find((e) => e.eventName === "Anchored");
    const recordedEv = events.find((e) => e.eventName === "Recorded");
    expect(anchoredEv?.args).toMatchObject({
      stream: toHex(stream),
      slot: 10n,
      observationRoot: root,
      tableDigest: toHex(o.tableDigest),
      signedWeight: 7n,
      signers: toHex(cert5.signers),
    });
    expect(recordedEv?.args).toMatchObject({ digest: root, recorder: c.account.address });
    expect(await read<boolean>(c, anchor, A, "isFinal", [toHex(stream), 10n, toHex(o.tableDigest)])).toBe(
      true,
    );
    expect(await read<boolean>(c, anchor, A, "isFinal", [toHex(stream), 10n, toHex(bytes32("x"))])).toBe(
      false,
    );
    expect(await read<Hex>(c, anchor, A, "anchored", [toHex(stream), 10n])).toBe(root);

    await send(c, rollup, ExampleRollup.abi, "finalizeBatch", [0n]);
    expect(await revertName(c, rollup, ExampleRollup.abi, "finalizeBatch", [0n])).toBe("AlreadyFinalized");
  });

  it("treats the anchored observation again as a no-op success, whatever its signers", async () => {
    const o = makeObservation(stream, 10n);
    const other = certify(set0, o, [0, 1, 2, 3, 4, 5]);
    const r = await send(c, anchor, A, "anchor", anchorArgs(other, 0n));
    expect(r.logs).toHaveLength(0);
    // Even an unverifiable certificate for the same observation changes nothing.
    const r2 = await send(c, anchor, A, "anchor", anchorArgs({ ...other, signers: Uint8Array.of(1) }, 0n));
    expect(r2.logs).toHaveLength(0);
    const sim = await c.pub.simulateContract({
      address: anchor,
      abi: A,
      functionName: "anchor",
      args: anchorArgs(other, 0n),
      account: c.account,
    } as never);
    expect(sim.result).toBe(1); // AlreadyAnchored
  });

  it("records a valid certificate for a different observation as a conflict and revokes nothing", async () => {
    const first = makeObservation(stream, 20n);
    const second = makeObservation(stream, 20n, "other-table");
    await send(c, anchor, A, "anchor", anchorArgs(certify(set0, first, [0, 1, 2, 3, 6]), 0n));
    await send(c, rollup, ExampleRollup.abi, "submitBatch", [20n, toHex(first.tableDigest)]);

    const r = await send(c, anchor, A, "anchor", anchorArgs(certify(set0, second, [1, 2, 3, 4, 6]), 0n));
    const ev = r.logs.map((l) => decodeEventLog({ abi: A, data: l.data, topics: l.topics }));
    expect(ev.map((e) => e.eventName)).toEqual(["Conflicted"]);
    expect(ev[0]!.args).toMatchObject({
      stream: toHex(stream),
      slot: 20n,
      anchoredRoot: toHex(observationRoot(domainOf(chainId, anchor), first)),
      conflictingRoot: toHex(observationRoot(domainOf(chainId, anchor), second)),
    });
    expect(await read<boolean>(c, anchor, A, "conflicted", [toHex(stream), 20n])).toBe(true);
    expect(await read<boolean>(c, anchor, A, "isFinal", [toHex(stream), 20n, toHex(first.tableDigest)])).toBe(
      true,
    );
    expect(
      await read<boolean>(c, anchor, A, "isFinal", [toHex(stream), 20n, toHex(second.tableDigest)]),
    ).toBe(false);
    expect(await revertName(c, rollup, ExampleRollup.abi, "finalizeBatch", [1n])).toBe("SlotConflicted");
    // An invalid certificate for yet another observation is still refused.
    const third = certify(set0, makeObservation(stream, 20n, "third"), [0, 1, 2, 3, 6]);
    expect(
      await revertName(c, anchor, A, "anchor", anchorArgs({ ...third, signers: Uint8Array.of(0x5e) }, 0n)),
    ).toBe("BadSignature");
  });

  it("fires each rejection with its error", async () => {
    const o = makeObservation(stream, 30n);
    const good = certify(set0, o, [0, 1, 2, 3, 6]);
    const sig = g2ToEip2537(good.aggregateSignature);
    const rej = (args: unknown[]) => revertName(c, anchor, A, "anchor", args);

    // signature by other signers (0, 1, 2, 3, 6 = 0x4f) than the bitfield claims (1, 2, 3, 4, 6)
    expect(good.signers).toEqual(Uint8Array.of(0x4f));
    expect(await rej(anchorArgs({ ...good, signers: Uint8Array.of(0x5e) }, 0n))).toBe("BadSignature");
    // signature over another observation
    const wrongMsg = certify(set0, makeObservation(stream, 31n), [0, 1, 2, 3, 6]);
    expect(await rej(anchorArgs(good, 0n, g2ToEip2537(wrongMsg.aggregateSignature)))).toBe("BadSignature");
    expect(await rej(anchorArgs(good, 0n, new Uint8Array(256)))).toBe("InfinityPoint");
    // below quorum and exactly at quorum (weights 1,1,1,1,1,1,3; total 9; 2/3 → 6)
    expect(await rej(anchorArgs(certify(set0, o, [0, 1, 2]), 0n))).toBe("BelowQuorum");
    expect(await rej(anchorArgs(certify(set0, o, [0, 1, 2, 6]), 0n))).toBe("BelowQuorum");
    expect(await rej(anchorArgs(certify(set0, o, [0, 1, 2, 3, 4, 5]), 0n))).toBe("BelowQuorum");
    // unknown set, wrong set for the slot
    expect(await rej(anchorArgs(good, 7n))).toBe("UnknownSet");
    expect(await rej(anchorArgs(good, 1n))).toBe("WrongSetForSlot");
    // bitfield of wrong length, bitfield with high bits set (n = 7: bit 7 unused)
    expect(await rej(anchorArgs({ ...good, signers: Uint8Array.of(0x4f, 0) }, 0n))).toBe("BitfieldLength");
    expect(await rej(anchorArgs({ ...good, signers: new Uint8Array(0) }, 0n))).toBe("BitfieldLength");
    expect(await rej(anchorArgs({ ...good, signers: Uint8Array.of(good.signers[0]! | 0x80) }, 0n))).toBe(
      "BitfieldHighBits",
    );
    // malformed points: nonzero padding, coordinate ≥ p, not on the curve, wrong length
    const pad = sig.slice();
    pad[0] = 1;
    expect(await rej(anchorArgs(good, 0n, pad))).toBe("MalformedPoint");
    const big = sig.slice();
    big.fill(0xff, 16, 64);
    expect(await rej(anchorArgs(good, 0n, big))).toBe("MalformedPoint");
    const offCurve = sig.slice();
    offCurve[255] ^= 1;
    expect(await rej(anchorArgs(good, 0n, offCurve))).toBe("MalformedPoint");
    expect(await rej(anchorArgs(good, 0n, sig.slice(0, 255)))).toBe("MalformedPoint");
    // the untouched certificate passes
    expect(await rej(anchorArgs(good, 0n))).toBe("");
  });

  it("rotation: the new set governs from its activation slot, the old one fails after it", async () => {
    const late = makeObservation(stream, 150n);
    expect(
      await revertName(c, anchor, A, "anchor", anchorArgs(certify(set0, late, [0, 1, 2, 3, 6]), 0n)),
    ).toBe("WrongSetForSlot");
    const early = makeObservation(stream, 99n);
    expect(
      await revertName(c, anchor, A, "anchor", anchorArgs(certify(set1, early, [0, 1, 2, 3, 4, 5]), 1n)),
    ).toBe("WrongSetForSlot");
    // set1: 7 × weight 1, quorum 3/4 → 6 signers needed (6·4 = 24 > 21), 5 is below
    expect(
      await revertName(c, anchor, A, "anchor", anchorArgs(certify(set1, late, [0, 1, 2, 3, 4]), 1n)),
    ).toBe("BelowQuorum");
    await send(c, anchor, A, "anchor", anchorArgs(certify(set1, late, [0, 1, 2, 3, 4, 6]), 1n));
    expect(await read<boolean>(c, anchor, A, "isFinal", [toHex(stream), 150n, toHex(late.tableDigest)])).toBe(
      true,
    );
    await send(c, anchor, A, "anchor", anchorArgs(certify(set0, early, [0, 1, 2, 3, 6]), 0n));
  });

  it("refuses bad registrations and sets", async () => {
    const fresh = makeVerifiers(3, "registry-rejects");
    const reg = (v: Verifier[], pops?: Uint8Array[], from = c.account) =>
      revertName(
        c,
        anchor,
        A,
        "registerKeys",
        [
          toHex(Buffer.concat(v.map((x) => x.pubkey128))),
          toHex(Buffer.concat(pops ?? v.map((x) => x.pop256))),
        ],
        from,
      );
    expect(await reg([vs[0]!])).toBe("KeyAlreadyRegistered");
    // the negation of a registered key: same x, y = p − y
    const neg = g1NegateEip2537(vs[0]!.pubkey128);
    expect(await reg([{ ...vs[0]!, pubkey128: neg }])).toBe("KeyNegationRegistered");
    expect(await reg([fresh[0]!], [fresh[1]!.pop256])).toBe("InvalidProofOfPossession");
    expect(await reg([fresh[0]!], [new Uint8Array(256)])).toBe("InfinityPoint");
    expect(await reg([{ ...fresh[0]!, pubkey128: new Uint8Array(128) }])).toBe("InfinityPoint");
    expect(await reg([fresh[0]!], undefined, c.other)).toBe("NotOwner");
    // a PoP by the right key over the wrong DST is refused
    const wrongDst = g2ToEip2537(bls.sign(fresh[0]!.sk, fresh[0]!.pubkey));
    expect(await reg([fresh[0]!], [wrongDst])).toBe("InvalidProofOfPossession");
    expect(await reg([fresh[0]!, fresh[1]!])).toBe("");

    expect(await revertName(c, anchor, A, "beginSet", [2n, 200n, 3n, 5n, 3])).toBe("InvalidQuorum");
    expect(await revertName(c, anchor, A, "beginSet", [3n, 200n, 2n, 3n, 3])).toBe("EpochOutOfOrder");
    expect(await revertName(c, anchor, A, "beginSet", [2n, 100n, 2n, 3n, 3])).toBe("ActivationNotIncreasing");
    await send(c, anchor, A, "beginSet", [2n, 200n, 2n, 3n, 3]);
    const add = (v: Verifier[], w: bigint[]) =>
      revertName(c, anchor, A, "addSetMembers", [toHex(Buffer.concat(v.map((x) => x.pubkey128))), w]);
    expect(await add([vs[0]!, fresh[2]!, vs[1]!], [1n, 1n, 1n])).toBe("KeyNotRegistered");
    expect(await add([vs[0]!, vs[1]!, vs[0]!], [1n, 1n, 1n])).toBe("DuplicateKeyInSet");
    expect(
      await add([vs[0]!, vs[1]!, { ...vs[2]!, pubkey128: g1NegateEip2537(vs[2]!.pubkey128) }], [1n, 1n, 1n]),
    ).toBe("KeyNotRegistered");
    expect(await add([vs[0]!, vs[1]!, vs[2]!], [1n, 0n, 1n])).toBe("ZeroWeight");
    expect(await revertName(c, anchor, A, "finalizeSet", [])).toBe("SetIncomplete");
  });
});

describe("OcpAnchor ownership and activation lead", () => {
  let c: Chain;
  let anchor: Hex;
  const zero = `0x${"00".repeat(20)}`;

  beforeAll(async () => {
    c = connect(anvil.current.rpcUrl);
    anchor = await deployAnchor(c);
  });

  it("transfers ownership in two steps and refuses the zero address", async () => {
    expect(await revertName(c, anchor, A, "transferOwnership", [zero])).toBe("ZeroAddress");
    await send(c, anchor, A, "transferOwnership", [c.other.address]);
    // Nothing changes until the new owner accepts; nobody else can accept.
    expect(await read<Hex>(c, anchor, A, "owner", [])).toBe(c.account.address);
    expect(await read<Hex>(c, anchor, A, "pendingOwner", [])).toBe(c.other.address);
    expect(await revertName(c, anchor, A, "acceptOwnership", [])).toBe("NotPendingOwner");
    await send(c, anchor, A, "acceptOwnership", [], c.other);
    expect(await read<Hex>(c, anchor, A, "owner", [])).toBe(c.other.address);
    expect(await read<Hex>(c, anchor, A, "pendingOwner", [])).toBe(zero);
    expect(await revertName(c, anchor, A, "transferOwnership", [c.account.address])).toBe("NotOwner");
    // And back, so the rest of this block runs as the first owner.
    await send(c, anchor, A, "transferOwnership", [c.account.address], c.other);
    await send(c, anchor, A, "acceptOwnership", []);
    expect(await read<Hex>(c, anchor, A, "owner", [])).toBe(c.account.address);
    // A deployment naming the zero address as owner fails.
    await expect(
      c.pub.simulateContract({
        abi: A,
        bytecode: OcpAnchor.bytecode,
        args: [zero, 1n],
        account: c.account,
      } as never),
    ).rejects.toThrow();
  });

  it("a set after the first activates at least the configured lead ahead of the current slot", async () => {
    const vs = makeVerifiers(3, "lead");
    await registerKeys(c, anchor, vs);
    const spec = (epoch: bigint, activationSlot: bigint) => ({
      epoch,
      activationSlot,
      numerator: 2n,
      denominator: 3n,
      members: vs,
      weights: [1n, 1n, 1n],
    });
    // The first set may activate at once: nothing was signed before it.
    await registerSet(c, anchor, spec(0n, 0n));
    expect(await read<bigint>(c, anchor, A, "activationLeadSlots", [])).toBe(64n);
    const now = await read<bigint>(c, anchor, A, "currentSlot", []);
    expect(now).toBe(await c.pub.getBlockNumber({ cacheTime: 0 }));
    // (eth_call runs at the latest block: current slot `now`)
    expect(await revertName(c, anchor, A, "beginSet", [1n, now + 1n, 2n, 3n, 3])).toBe("ActivationTooSoon");
    expect(await revertName(c, anchor, A, "beginSet", [1n, now + 63n, 2n, 3n, 3])).toBe("ActivationTooSoon");
    expect(await revertName(c, anchor, A, "beginSet", [1n, now + 64n, 2n, 3n, 3])).toBe("");
    // The lead is configurable by the owner only, never zero; beacon-time clocks count from genesis.
    expect(await revertName(c, anchor, A, "setSlotClock", [0n, 0n, 0n])).toBe("ZeroActivationLead");
    expect(await revertName(c, anchor, A, "setSlotClock", [0n, 0n, 4n], c.other)).toBe("NotOwner");
    await send(c, anchor, A, "setSlotClock", [0n, 0n, 4n]);
    const at = await read<bigint>(c, anchor, A, "currentSlot", []);
    expect(await revertName(c, anchor, A, "beginSet", [1n, at + 3n, 2n, 3n, 3])).toBe("ActivationTooSoon");
    // Begun in time (block at+1) but finalized too late (block at+3): refused at finalizeSet,
    // where the set takes effect.
    await registerSet(c, anchor, spec(1n, at + 6n)).then(
      () => expect.unreachable("finalized too late"),
      (e: Error) => expect(e.message).toMatch(/"finalizeSet" reverted|finalizeSet reverted/),
    );
    const later = await read<bigint>(c, anchor, A, "currentSlot", []);
    await registerSet(c, anchor, spec(1n, later + 10n));
    expect((await read<readonly [boolean, bigint]>(c, anchor, A, "latestEpoch", []))[1]).toBe(1n);
    const block = await c.pub.getBlock();
    await send(c, anchor, A, "setSlotClock", [block.timestamp - 120n, 12n, 4n]);
    expect(await read<bigint>(c, anchor, A, "currentSlot", [])).toBeGreaterThanOrEqual(10n);
  });
});

const P = noble.fields.Fp.ORDER;
function g1NegateEip2537(p128: Uint8Array): Uint8Array {
  let y = 0n;
  for (let i = 80; i < 128; i++) y = (y << 8n) | BigInt(p128[i]!);
  const out = p128.slice();
  out.set(fpWords(P - y), 64);
  return out;
}

describe("OcpAnchor on its own L1: l1BlockHash against block history", () => {
  let c: Chain;
  let anchor: Hex;
  let vs: Verifier[];
  let set: VerifierSet;
  let chainId: number;
  const stream = bytes32("stream:l1");

  beforeAll(async () => {
    c = connect(anvil.current.rpcUrl);
    chainId = await c.pub.getChainId();
    anchor = await deployAnchor(c, BigInt(chainId));
    vs = makeVerifiers(4, "l1-check");
    await registerKeys(c, anchor, vs);
    set = buildVerifierSet({
      epoch: 0n,
      activationSlot: 0n,
      quorum: { numerator: 2, denominator: 3 },
      verifiers: vs.map((v) => ({ pubkey: v.pubkey, weight: 1n, pop: v.pop })),
    });
    await registerSet(c, anchor, {
      epoch: 0n,
      activationSlot: 0n,
      numerator: 2n,
      denominator: 3n,
      members: vs,
      weights: [1n, 1n, 1n, 1n],
    });
  });

  const args = (o: Observation) => {
    const domain = domainOf(chainId, anchor);
    const root = observationRoot(domain, o);
    const cert = buildCertificate(
      [0, 1, 2].map((i) => ({
        domain,
        observation: o,
        setId: set.setId,
        verifierIndex: i,
        signature: bls.sign(vs[i]!.sk, root),
      })),
      set,
    );
    return [obsArg(o), 0n, toHex(cert.signers), toHex(g2ToEip2537(cert.aggregateSignature))];
  };
  const atBlock = async (n: bigint, hash: Uint8Array, slot: bigint): Promise<Observation> => ({
    ...makeObservation(stream, slot),
    l1BlockNumber: n,
    l1BlockHash: hash,
  });
  const realHash = async (n: bigint) =>
    new Uint8Array(Buffer.from((await c.pub.getBlock({ blockNumber: n })).hash.slice(2), "hex"));

  it("checks recent blocks (BLOCKHASH) and older ones in EIP-2935's window", async () => {
    await c.pub.request({ method: "anvil_mine" as never, params: ["0x190"] as never }); // 400 blocks
    const head = await c.pub.getBlockNumber({ cacheTime: 0 });
    const recent = head - 10n;
    const old = head - 350n; // beyond BLOCKHASH's 256, inside EIP-2935's 8191
    const rej = (a: unknown[]) => revertName(c, anchor, A, "anchor", a);

    expect(await rej(args(await atBlock(recent, bytes32("wrong"), 1n)))).toBe("L1BlockHashMismatch");
    expect(await rej(args(await atBlock(old, bytes32("wrong"), 2n)))).toBe("L1BlockHashMismatch");
    expect(await rej(args(await atBlock(head + 5n, bytes32("future"), 3n)))).toBe("L1BlockNotInPast");
    await send(c, anchor, A, "anchor", args(await atBlock(recent, await realHash(recent), 1n)));
    await send(c, anchor, A, "anchor", args(await atBlock(old, await realHash(old), 2n)));

    // The same observation rebuilt against the history contract's own answer.
    expect(await rej(args(await atBlock(old - 1n, await realHash(old - 1n), 4n)))).toBe("");
  });
});
