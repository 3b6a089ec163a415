import { type Certificate, toHex } from "@ocp/protocol";
import { describe, expect, it } from "vitest";
import {
  AttestationPool,
  CertificatePool,
  CommitmentPool,
  type PooledAttestation,
  type PooledCommitment,
  SeenCache,
} from "../../../../src/chain/index.js";
import { attest, bytes, makeSet, observation, testKeys } from "../fixtures.js";

const keys = testKeys(8);
const set = makeSet(keys);
const hex32 = (n: number) => toHex(new Uint8Array(32).fill(n & 0xff)) + n.toString(16);

// Pools never look at signatures, so one real attestation is reused as payload.
const base = attest(keys[0]!, set, 0, observation(1n));
function pooledAtt(slot: bigint, index: number, root: number): PooledAttestation {
  return {
    attestation: { ...base, verifierIndex: index },
    observationRoot: bytes(32, root),
    rootHex: hex32(root),
    set,
    slotKey: `d|s|${slot}`,
    slot,
  };
}

describe("SeenCache", () => {
  it("stays within maxEntries under a flood, evicting the oldest slots first", () => {
    const c = new SeenCache({ maxEntries: 100 });
    for (let slot = 0n; slot < 10n; slot++) for (let i = 0; i < 50; i++) c.add(slot, `k${i}`);
    expect(c.size).toBe(100);
    expect(c.evicted).toBe(400);
    expect(c.has(9n, "k0")).toBe(true);
    expect(c.has(0n, "k0")).toBe(false);
    // a key older than everything held cannot push newer ones out
    expect(c.add(0n, "late")).toBe(false);
    expect(c.dropped).toBe(1);
    expect(c.add(9n, "k0")).toBe(false);
    expect(c.prune(9n)).toBe(50);
    expect(c.size).toBe(50);
  });
});

describe("CommitmentPool", () => {
  it("bounds per slot and in total, counting drops", () => {
    const p = new CommitmentPool({ maxPerSlot: 5, maxTotal: 12 });
    const results: string[] = [];
    for (let slot = 0n; slot < 4n; slot++) {
      for (let b = 0; b < 8; b++) {
        const c: PooledCommitment = {
          signed: {} as PooledCommitment["signed"],
          observationRoot: bytes(32, b),
          rootHex: `${slot}:${b}`,
          builderHex: `b${b}`,
          slotKey: `k${slot}`,
          slot,
        };
        results.push(p.add(c));
      }
    }
    expect(p.size).toBe(12);
    expect(p.dropped).toBe(32 - 12);
    expect(results.filter((r) => r === "added")).toHaveLength(12);
    expect(p.forSlot("k0")).toHaveLength(5);
    expect(p.byBuilder("k1", "b0")).toHaveLength(1);
    expect(p.forRoot("0:1")?.builderHex).toBe("b1");
    expect(p.prune(2n)).toBe(10);
    expect(p.size).toBe(2);
    expect(p.forRoot("0:1")).toBeUndefined();
  });
});

describe("CommitmentPool: builders outside the allowlist", () => {
  it("keep to their own small share of a slot and never displace a listed builder", () => {
    const p = new CommitmentPool({ maxPerSlot: 2, maxTotal: 100, maxUnlistedPerSlot: 1 });
    const c = (b: string, listed: boolean): PooledCommitment => ({
      signed: {} as PooledCommitment["signed"],
      observationRoot: bytes(32, 1),
      rootHex: `root-${b}`,
      builderHex: b,
      slotKey: "k",
      slot: 1n,
      listed,
    });
    const unlisted = Array.from({ length: 70 }, (_, i) => p.add(c(`t${i}`, false)));
    expect(unlisted.filter((r) => r === "added")).toHaveLength(1);
    expect(p.add(c("real", true))).toBe("added");
    expect(p.add(c("real2", true))).toBe("added");
    expect(p.add(c("real3", true))).toBe("dropped");
    expect(p.forRoot("root-real")?.builderHex).toBe("real");
  });
});

describe("AttestationPool", () => {
  it("stays within maxTotal under a flood, counting drops; an index counts once per slot", () => {
    const p = new AttestationPool({ maxTotal: 20 });
    for (let slot = 0n; slot < 5n; slot++) for (let i = 0; i < 8; i++) p.add(pooledAtt(slot, i, 1));
    expect(p.size).toBe(20);
    expect(p.dropped).toBe(20);
    const [g] = p.groups("d|s|0");
    expect(g?.signedWeight).toBe(8n);
    // same vote again: duplicate; another root: equivocation, counted nowhere
    expect(p.add(pooledAtt(0n, 3, 1)).status).toBe("duplicate");
    const eq = p.add(pooledAtt(0n, 3, 2));
    expect(eq.status).toBe("equivocation");
    expect(p.hasEquivocated("d|s|0", set.setIdHex, 3)).toBe(true);
    expect(p.groups("d|s|0").map((x) => x.signedWeight)).toEqual([8n]);
    expect(p.group(g!.key)).toBe(g);
    expect(p.prune(2n)).toBe(16);
    expect(p.size).toBe(4);
    expect(p.hasEquivocated("d|s|0", set.setIdHex, 3)).toBe(false);
  });
});

describe("AttestationPool: one copy of what a group's votes share", () => {
  it("later votes point at the group's domain, observation, setId, root and slot key; their own fields stay", () => {
    const p = new AttestationPool();
    const fresh = (i: number): PooledAttestation => {
      const a = attest(keys[i]!, set, i, observation(1n));
      return { ...pooledAtt(1n, i, 1), attestation: a, observationRoot: bytes(32, 1), slotKey: `d|s|${1}` };
    };
    const first = fresh(0);
    const second = fresh(1);
    p.add(first);
    const r = p.add(second);
    expect(r.status).toBe("added");
    const g = r.status === "added" ? r.group : undefined;
    const held = p.voteOf("d|s|1", set.setIdHex, 1)!;
    // Same content as what was added…
    expect(held.attestation).toEqual(second.attestation);
    expect(held.rootHex).toBe(second.rootHex);
    expect(held.observationRoot).toEqual(second.observationRoot);
    // …held as the group's copies, not the vote's own.
    expect(held.attestation.observation).toBe(g!.observation);
    expect(held.attestation.domain).toBe(g!.domain);
    expect(held.attestation.setId).toBe(first.attestation.setId);
    expect(held.observationRoot).toBe(g!.observationRoot);
    expect(held.attestation.observation).not.toBe(second.attestation.observation);
    expect(held.attestation.signature).toBe(second.attestation.signature);
    expect(g!.byIndex.get(1)).toBe(held.attestation);
    // The first vote is held as it came.
    expect(p.voteOf("d|s|1", set.setIdHex, 0)).toBe(first);
  });
});

describe("CertificatePool", () => {
  it("keeps the heaviest certificate per root, bounded roots and slots", () => {
    const p = new CertificatePool({ maxRootsPerSlot: 2, maxSlots: 3 });
    const mk = (slot: bigint, root: string, w: bigint) => ({
      certificate: {} as Certificate,
      set,
      signedWeight: w,
      observationRoot: bytes(32, 0),
      rootHex: root,
      slotKey: `s${slot}`,
      slot,
    });
    expect(p.add(mk(0n, "r0", 6n))).toBe("added");
    expect(p.add(mk(0n, "r0", 6n))).toBe("not_better");
    expect(p.add(mk(0n, "r0", 7n))).toBe("upgraded");
    expect(p.add(mk(0n, "r1", 8n))).toBe("added");
    expect(p.add(mk(0n, "r2", 9n))).toBe("dropped");
    expect(p.best("s0")?.rootHex).toBe("r1");
    expect(p.weightFor("s0", "r0")).toBe(7n);
    for (let s = 1n; s < 10n; s++) p.add(mk(s, "r0", 6n));
    expect(p.slotCount).toBe(3);
    expect(p.size).toBe(4);
    expect(p.dropped).toBe(1 + 7);
    expect(p.prune(2n)).toBe(3);
    expect(p.size).toBe(1);
  });
});
