// Slot duties over fakes of their narrow dependencies: decide → wait for a
// matching commitment (or the self-proposal deadline, on fake timers) → sign
// with the governing set's keys → gossip and ingest; "nothing" marks a slot
// empty; stale sets hold the signature back.
import {
  buildVerifierSet,
  decodeAttestationSsz,
  fromHex,
  getBls,
  type Observation,
  observationRoot,
  SCHEMA_EEZ_V1,
  streamId,
  toHex,
} from "@ocp/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { metricValue, series } from "../../../../../test/utils/metrics.js";
import { FAKED_TIMERS } from "../../../../../test/utils/wait.js";
import type { PooledCommitment } from "../../../src/chain/pools/commitmentPool.js";
import type { Decision } from "../../../src/checkers/pipeline.js";
import type { StreamContext } from "../../../src/checkers/types.js";
import { SlotDuties, type SlotDutiesModules } from "../../../src/duties/slotDuties.js";
import { createMetrics } from "../../../src/metrics/metrics.js";
import { GossipKind } from "../../../src/network/topics.js";
import { nullLogger } from "../../../src/util/logger.js";

const TABLE = "0x00000000000000000000000000000000000007ab" as const;
const domain = { chainId: 31337, verifyingContract: fromHex("0x00000000000000000000000000000000000a0c4e") };
const stream: StreamContext = {
  name: "eez",
  id: streamId(31337, fromHex(TABLE)),
  l1ChainId: 31337,
  tableContract: TABLE,
};
const bls = getBls();
const sk = bls.keygen(new Uint8Array(32).fill(9));
const pubkey = bls.publicKeyToBytes(bls.publicKey(sk));
/** A key the node holds that is not in the set (it left it, or joins a later one). */
const outsider = bls.keygen(new Uint8Array(32).fill(10));
const set = buildVerifierSet(
  {
    epoch: 0n,
    activationSlot: 0n,
    quorum: { numerator: 2, denominator: 3 },
    verifiers: [{ pubkey, weight: 1n, pop: bls.popProve(sk) }],
  },
  { bls },
);

const observationAt = (slot: bigint): Observation => ({
  stream: stream.id,
  slot,
  l1BlockNumber: slot,
  l1BlockHash: new Uint8Array(32).fill(1),
  schema: SCHEMA_EEZ_V1,
  tableDigest: new Uint8Array(32).fill(2),
  entryCount: 0,
});
const sign = (slot: bigint): Decision => ({
  verdict: "sign",
  observation: observationAt(slot),
  table: { calls: [] } as unknown as Extract<Decision, { verdict: "sign" }>["table"],
  checkersRan: ["observe"],
});
const rootHexAt = (slot: bigint): string => toHex(observationRoot(domain, observationAt(slot)));

function setup(decisions: Map<bigint, Decision>, keys = [sk], governing = set) {
  const state = {
    /** Public keys the signer was asked to sign with. */
    signedWith: [] as string[],
    commitments: new Map<string, PooledCommitment>(),
    published: [] as { kind: GossipKind; bytes: Uint8Array }[],
    accepted: 0,
    batches: 0,
    /** Operations handed to the signer for its synced batch, per call. */
    signedOps: [] as number[],
    /** While set, a plain db.batch does not resolve (a slow write ahead of the commitment). */
    holdBatches: false,
    setsFresh: true,
    running: true,
  };
  const metrics = createMetrics(
    { dataDir: "/nonexistent", processMetrics: false },
    { getPeers: () => [], anchorBacklog: () => undefined },
  );
  const modules: SlotDutiesModules = {
    opts: {
      proposal: { selfProposeDelayMs: 1000, maxPendingSlots: 16 },
      confirmations: 1,
      lookbackSlots: 64,
    },
    domain,
    streams: [stream],
    checkers: {
      prefetch: async () => undefined,
      decide: async (_s, slot) =>
        decisions.get(slot) ?? { verdict: "nothing", reason: "NO_BLOCK", checkersRan: [] },
    },
    validators: {
      precompute: () => undefined,
      signObservationAll: async (d, o, ops, member) => {
        state.signedOps.push(ops?.length ?? 0);
        return keys.flatMap((k) => {
          const pk = bls.publicKeyToBytes(bls.publicKey(k));
          if (member && !member(pk)) return [];
          state.signedWith.push(toHex(pk));
          return [{ pubkey: pk, signature: bls.sign(k, observationRoot(d, o)) }];
        });
      },
    },
    sets: { governing: () => governing },
    chain: {
      pools: { commitments: { forRoot: (root: string) => state.commitments.get(root) } },
      attestation: { accept: () => void state.accepted++ },
      validateOwnAttestation: async () => ({}),
    } as unknown as SlotDutiesModules["chain"],
    db: {
      batch: async () => {
        state.batches++;
        if (state.holdBatches) await new Promise(() => undefined);
      },
      observations: { putOwnOp: () => ({ type: "put" }) },
      tables: { putOps: () => [{ type: "put" }] },
      deferred: { write: async () => undefined },
      attestations: { addOp: () => ({ type: "put" }) },
    } as unknown as SlotDutiesModules["db"],
    setsFreshFor: async () => state.setsFresh,
    publish: async (kind, bytes) => void state.published.push({ kind, bytes }),
    events: { emit: () => true },
    metrics: metrics.duties,
    logger: nullLogger,
    isRunning: () => state.running,
  };
  const duties = new SlotDuties(modules);
  const value = (name: string, labels: Record<string, string> = {}) =>
    metricValue(series(metrics.registry, name), labels);
  return { duties, state, value };
}

/** Lets the decision's promise chain run (its awaits are already-settled fakes). */
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe("slot duties", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: [...FAKED_TIMERS] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("attests at the decision when the builder's commitment is already pooled", async () => {
    const { duties, state, value } = setup(new Map([[9n, sign(9n)]]));
    state.commitments.set(rootHexAt(9n), { slot: 9n, rootHex: rootHexAt(9n) } as PooledCommitment);
    duties.onSlot(10n);
    await settle();
    expect(state.published).toHaveLength(1);
    expect(state.published[0]!.kind).toBe(GossipKind.attestation);
    const att = decodeAttestationSsz(state.published[0]!.bytes);
    expect(att.observation.slot).toBe(9n);
    expect(toHex(att.setId)).toBe(set.setIdHex);
    expect(state.accepted).toBe(1);
    expect(duties.ownRoot(stream.id, 9n)).toBe(rootHexAt(9n));
    expect(await value("ocp_slot_decisions_total", { verdict: "sign", reason: "" })).toBe(1);
    expect(await value("ocp_attestations_signed_total")).toBe(1);
    expect(await value("ocp_head_slot")).toBe(10);
  });

  it("signs only with its keys in the governing set: a key outside it signs nothing", async () => {
    const both = setup(new Map([[9n, sign(9n)]]), [sk, outsider]);
    both.state.commitments.set(rootHexAt(9n), { slot: 9n, rootHex: rootHexAt(9n) } as PooledCommitment);
    both.duties.onSlot(10n);
    await settle();
    expect(both.state.signedWith).toEqual([toHex(pubkey)]);
    expect(both.state.published.map((p) => decodeAttestationSsz(p.bytes).verifierIndex)).toEqual([0]);
    expect(await both.value("ocp_attestations_signed_total")).toBe(1);

    // A node whose only key left the set: no signature at all, nothing published.
    const none = setup(new Map([[9n, sign(9n)]]), [outsider]);
    none.state.commitments.set(rootHexAt(9n), { slot: 9n, rootHex: rootHexAt(9n) } as PooledCommitment);
    none.duties.onSlot(10n);
    await settle();
    expect(none.state.signedWith).toEqual([]);
    expect(none.state.published).toHaveLength(0);
    expect(await none.value("ocp_attestations_signed_total")).toBe(0);
  });

  it("votes under each key's own index in the governing set", async () => {
    const [a, b, mine] = [11, 12, 13].map((f) => bls.keygen(new Uint8Array(32).fill(f)));
    const entry = (k: typeof sk) => ({
      pubkey: bls.publicKeyToBytes(bls.publicKey(k)),
      weight: 1n,
      pop: bls.popProve(k),
    });
    // our keys at indices 1 and 3, others' at 0 and 2
    const wide = buildVerifierSet(
      {
        epoch: 0n,
        activationSlot: 0n,
        quorum: { numerator: 2, denominator: 3 },
        verifiers: [entry(a!), entry(sk), entry(b!), entry(mine!)],
      },
      { bls },
    );
    const { duties, state } = setup(new Map([[9n, sign(9n)]]), [mine!, sk], wide);
    state.commitments.set(rootHexAt(9n), { slot: 9n, rootHex: rootHexAt(9n) } as PooledCommitment);
    duties.onSlot(10n);
    await settle();
    const votes = state.published.map((p) => decodeAttestationSsz(p.bytes));
    expect(votes.map((a) => [toHex(a.setId), a.verifierIndex])).toEqual([
      [wide.setIdHex, 3],
      [wide.setIdHex, 1],
    ]);
  });

  it("without a commitment, attests to its own observation at the self-proposal deadline", async () => {
    const { duties, state } = setup(new Map([[9n, sign(9n)]]));
    duties.onSlot(10n);
    await settle();
    expect(state.published).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(999);
    expect(state.published).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(state.published).toHaveLength(1);
    // The observation's records (observation, table) went in the signer's synced batch.
    expect(state.batches).toBe(0);
    expect(state.signedOps).toEqual([2]);
  });

  it("a commitment arriving after the decision is signed at once, not after a write of the observation's records", async () => {
    const { duties, state } = setup(new Map([[9n, sign(9n)]]));
    state.holdBatches = true; // any write of its own would hold the attestation back
    duties.onSlot(10n);
    await settle();
    expect(state.published).toHaveLength(0);
    await duties.onCommitment(stream, { slot: 9n, rootHex: rootHexAt(9n) } as PooledCommitment);
    expect(state.published).toHaveLength(1);
    expect(state.batches).toBe(0);
    expect(state.signedOps).toEqual([2]); // the records ride with the slashing-protection write
  });

  it("a decided slot the pending window leaves before its deadline is self-proposed then, not dropped", async () => {
    const { duties, state } = setup(new Map([[9n, sign(9n)]]));
    duties.onSlot(10n);
    await settle();
    expect(state.published).toHaveLength(0);
    // A fast chain: 16 blocks before the 1 s deadline, and no commitment came.
    await vi.advanceTimersByTimeAsync(300);
    duties.onSlot(26n);
    await settle();
    expect(state.published.map((p) => decodeAttestationSsz(p.bytes).observation.slot)).toEqual([9n]);
    expect(state.signedOps).toEqual([2]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(state.published).toHaveLength(1); // the deadline was cleared: signed once
  });

  it("a slot the pending window leaves while it is being decided is self-proposed once decided", async () => {
    let release!: (d: Decision) => void;
    const held = new Promise<Decision>((r) => {
      release = r;
    });
    // The checkers answer for slot 9 only when released (a slow RPC).
    const decisions = { get: (slot: bigint) => (slot === 9n ? held : undefined) };
    const { duties, state } = setup(decisions as unknown as Map<bigint, Decision>);
    duties.onSlot(10n);
    await settle();
    duties.onSlot(26n); // slot 9 leaves the window while its decision is under way
    await settle();
    release(sign(9n));
    await settle();
    expect(state.published.map((p) => decodeAttestationSsz(p.bytes).observation.slot)).toEqual([9n]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(state.published).toHaveLength(1);
  });

  it("a commitment arriving while it waits triggers the attestation", async () => {
    const { duties, state } = setup(new Map([[9n, sign(9n)]]));
    duties.onSlot(10n);
    await settle();
    const c = { slot: 9n, rootHex: rootHexAt(9n) } as PooledCommitment;
    await duties.onCommitment(stream, { ...c, rootHex: rootHexAt(8n) });
    expect(state.published).toHaveLength(0);
    await duties.onCommitment(stream, c);
    expect(state.published).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(state.published).toHaveLength(1); // the deadline was cleared
  });

  it("a slot decided 'nothing' is known empty and never signed", async () => {
    const { duties, state, value } = setup(new Map());
    duties.onSlot(10n);
    await settle();
    expect(duties.knownEmpty(stream.id, 9n)).toBe(true);
    expect(duties.knownEmpty(stream.id, 10n)).toBe(false);
    expect(state.published).toHaveLength(0);
    expect(
      await value("ocp_slot_decisions_total", { verdict: "nothing", reason: "NO_BLOCK" }),
    ).toBeGreaterThan(0);
  });

  it("holds the signature while the sets are not known current, and signs on a later tick", async () => {
    const { duties, state } = setup(new Map([[9n, sign(9n)]]));
    state.commitments.set(rootHexAt(9n), { slot: 9n, rootHex: rootHexAt(9n) } as PooledCommitment);
    state.setsFresh = false;
    duties.onSlot(10n);
    await settle();
    expect(state.published).toHaveLength(0);
    state.setsFresh = true;
    duties.onSlot(11n);
    await settle();
    expect(state.published.map((p) => decodeAttestationSsz(p.bytes).observation.slot)).toContain(9n);
  });
});
