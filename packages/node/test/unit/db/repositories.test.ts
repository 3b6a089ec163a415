import { observationRoot, ProtocolError, SszEvidenceKind, toHex } from "@ocp/protocol";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Bucket } from "../../../src/db/buckets.js";
import { readUint64BE, uint64BE } from "../../../src/db/keys.js";
import { MetaKey } from "../../../src/db/meta.js";
import { DbErrorCode, NodeDb } from "../../../src/db/nodeDb.js";
import { bytesCodec, Repository } from "../../../src/db/repository.js";
import { peerStore } from "../../../src/network/handlers/peerStore.js";
import {
  attestation,
  certificate,
  collect,
  DOMAIN,
  obs,
  signedCommitment,
  stream,
  tempDir,
} from "./fixtures.js";

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

describe("key encoding", () => {
  it("uint64 big-endian order equals numeric order, and round-trips", () => {
    const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
    fc.assert(
      fc.property(u64, u64, (a, b) => {
        expect(readUint64BE(uint64BE(a), 0)).toBe(a);
        expect(Math.sign(compareBytes(uint64BE(a), uint64BE(b)))).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
    );
    expect(() => uint64BE(-1n)).toThrow(RangeError);
    expect(() => uint64BE(1n << 64n)).toThrow(RangeError);
  });
});

describe("NodeDb repositories", () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let db: NodeDb;
  beforeEach(async () => {
    dir = await tempDir("db");
    db = new NodeDb({ path: dir.path });
    await db.start();
  });
  afterEach(async () => {
    await db.stop();
    await dir.cleanup();
  });

  async function reopen(): Promise<void> {
    await db.stop();
    db = new NodeDb({ path: dir.path });
    await db.start();
  }

  it("stores, reads back after a reopen, and deletes", async () => {
    const s = stream(1);
    const att = attestation(s, 5n, 3);
    const cert = certificate(s, 5n);
    const sc = signedCommitment(s, 5n, 0xbb);
    await db.attestations.add(att);
    await db.certificates.putBest(cert);
    await db.commitments.add(sc);
    await db.tables.put(s, 5n, new Uint8Array(32).fill(9), Uint8Array.of(1, 2, 3));
    await db.observations.putOwn({
      observation: obs(s, 5n),
      checkers: [{ checker: "observe", outcome: "pass", durationMs: 12 }],
      decision: "attest",
      decidedAtMs: 1_700_000_000_000,
    });
    await db.peers.put("12D3KooWpeer", { multiaddrs: ["/ip4/127.0.0.1/tcp/9000"], lastSeenMs: 5 });
    await reopen();

    expect(await db.attestations.get(AttestationKeyOf(att))).toEqual(att);
    expect(await db.certificates.getBest(s, 5n)).toEqual(cert);
    expect(await db.commitments.byBuilder(s, 5n, new Uint8Array(20).fill(0xbb))).toEqual([sc]);
    expect(await db.tables.get(new Uint8Array(32).fill(9))).toEqual(Uint8Array.of(1, 2, 3));
    const rec = await db.observations.getOwn(s, 5n);
    expect(rec?.observation).toEqual(obs(s, 5n));
    expect(rec?.checkers).toEqual([{ checker: "observe", outcome: "pass", durationMs: 12 }]);
    expect(await db.peers.recent()).toEqual([
      { peerId: "12D3KooWpeer", record: { multiaddrs: ["/ip4/127.0.0.1/tcp/9000"], lastSeenMs: 5 } },
    ]);
    expect(await db.certificates.getBest(s, 6n)).toBeUndefined();

    await db.attestations.delete(AttestationKeyOf(att));
    expect(await db.attestations.has(AttestationKeyOf(att))).toBe(false);
  });

  function AttestationKeyOf(a: ReturnType<typeof attestation>) {
    return {
      stream: a.observation.stream,
      slot: a.observation.slot,
      observationRoot: observationRoot(a.domain, a.observation),
      setId: a.setId,
      verifierIndex: a.verifierIndex,
    };
  }

  it("ranges certificates in slot order per stream, capped at 64", async () => {
    const a = stream(1);
    const b = stream(2);
    // Slots whose decimal or little-endian forms would sort differently.
    const slots = [256n, 1n, 255n, 1n << 40n, 0n, 65_536n, 2n, 10n];
    for (const slot of slots) await db.certificates.putBest(certificate(a, slot));
    for (const slot of [3n, 4n]) await db.certificates.putBest(certificate(b, slot));
    const all = await collect(db.certificates.values({ prefix: a }));
    expect(all.map((c) => c.observation.slot)).toEqual(
      [...slots].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)),
    );
    // `range` covers slots [start, start + count), like Ethereum's blocks_by_range.
    expect((await db.certificates.range(a, 0n, 64)).map((c) => c.observation.slot)).toEqual([
      0n,
      1n,
      2n,
      10n,
    ]);
    expect((await db.certificates.range(a, 255n, 2)).map((c) => c.observation.slot)).toEqual([255n, 256n]);
    expect((await db.certificates.range(a, 2n, 254)).map((c) => c.observation.slot)).toEqual([2n, 10n]);
    expect((await db.certificates.range(b, 0n, 10)).map((c) => c.observation.slot)).toEqual([3n, 4n]);
    expect((await db.certificates.latest(a))?.observation.slot).toBe(1n << 40n);
    expect(await db.certificates.latest(stream(3))).toBeUndefined();
    expect(await db.certificates.range(a, 0n, 0)).toEqual([]);
    // The response limit of docs/spec.md §5.
    for (let s = 1000n; s < 1100n; s++) await db.certificates.putBest(certificate(a, s));
    expect((await db.certificates.range(a, 1000n, 1000)).length).toBe(64);
    // A range that would run past uint64 max does not throw.
    expect(await db.certificates.range(a, (1n << 64n) - 2n, 64)).toEqual([]);
  });

  it("groups attestations by root and orders them by verifier index", async () => {
    const s = stream(1);
    for (const i of [300, 2, 256, 1]) await db.attestations.add(attestation(s, 9n, i, 1));
    await db.attestations.add(attestation(s, 9n, 7, 2));
    const root1 = observationRoot(DOMAIN, obs(s, 9n, 1));
    const byRoot = await db.attestations.byRoot(s, 9n, root1);
    expect(byRoot.map((a) => a.verifierIndex)).toEqual([1, 2, 256, 300]);
    expect((await db.attestations.bySlot(s, 9n)).length).toBe(5);
    expect(await db.attestations.bySlot(s, 8n)).toEqual([]);
  });

  it("keeps evidence per offender and slot", async () => {
    const s = stream(1);
    const e = {
      kind: SszEvidenceKind.VerifierEquivocation as const,
      evidence: { a: attestation(s, 4n, 2, 1), b: attestation(s, 4n, 2, 2) },
    };
    expect(await db.evidence.holds(e)).toBe(false);
    await db.evidence.add(e);
    expect(await db.evidence.holds(e)).toBe(true);
    const other = { ...e, evidence: { a: attestation(s, 4n, 3, 1), b: attestation(s, 4n, 3, 2) } };
    expect(await db.evidence.holds(other)).toBe(false);
    expect(await db.evidence.range(s, 0n)).toEqual([e]);
  });

  it("writes multi-bucket batches all-or-nothing", async () => {
    const s = stream(1);
    const ok = db.attestations.addOp(attestation(s, 1n, 1));
    const cert = db.certificates.putBestOp(certificate(s, 1n));
    // A malformed op (no value) makes LevelDB reject the whole batch.
    const broken = { type: "put", key: Uint8Array.of(Bucket.meta, 1), value: undefined } as never;
    await expect(db.batch([ok, cert, broken])).rejects.toThrow();
    expect(await db.certificates.getBest(s, 1n)).toBeUndefined();
    expect(await db.attestations.bySlot(s, 1n)).toEqual([]);
    await db.batch([ok, cert], { sync: true });
    expect(await db.certificates.getBest(s, 1n)).toBeDefined();
    expect((await db.attestations.bySlot(s, 1n)).length).toBe(1);
  });

  it("keeps buckets apart: a bucket's range never sees a neighbour's keys", async () => {
    const raw = db.database;
    const left = new Repository(raw, Bucket.tables, bytesCodec, bytesCodec);
    const right = new Repository(raw, Bucket.tablesBySlot, bytesCodec, bytesCodec);
    await left.put(Uint8Array.of(0xff, 0xff), Uint8Array.of(1));
    await right.put(Uint8Array.of(0x00), Uint8Array.of(2));
    expect((await collect(left.keys())).length).toBe(1);
    expect((await collect(right.keys())).length).toBe(1);
  });

  it("prunes tables, attestations and commitments outside the window; keeps certificates", async () => {
    await db.stop();
    db = new NodeDb({ path: dir.path, retention: { tableRetentionSlots: 10, attestationRetentionSlots: 5 } });
    await db.start();
    const [a, b] = [stream(1), stream(2)];
    const shared = new Uint8Array(32).fill(0xd1);
    const only = new Uint8Array(32).fill(0xd2);
    await db.tables.put(a, 3n, shared, Uint8Array.of(1));
    await db.tables.put(b, 15n, shared, Uint8Array.of(1)); // same table used later by another stream
    await db.tables.put(a, 4n, only, Uint8Array.of(2));
    for (const s of [a, b]) {
      for (const slot of [1n, 14n, 15n, 16n]) {
        await db.attestations.add(attestation(s, slot, 0));
        await db.commitments.add(signedCommitment(s, slot, 1));
        await db.certificates.putBest(certificate(s, slot));
      }
    }
    // current 20: tables < 10 go, attestations/commitments < 15 go.
    const res = await db.prune(20n);
    expect(res).toEqual({ tables: 1, attestations: 4, commitments: 4, evidence: 0 });
    expect(await db.tables.get(only)).toBeUndefined();
    expect(await db.tables.get(shared)).toEqual(Uint8Array.of(1));
    for (const s of [a, b]) {
      expect((await collect(db.attestations.keys({ prefix: s }))).map((k) => k.slot)).toEqual([15n, 16n]);
      expect((await collect(db.commitments.keys({ prefix: s }))).map((k) => k.slot)).toEqual([15n, 16n]);
      expect((await db.certificates.range(s, 0n, 64)).map((c) => c.observation.slot)).toEqual([
        1n,
        14n,
        15n,
        16n,
      ]);
    }
    // Once stream b's slot also leaves the window, the shared table goes.
    expect((await db.prune(30n, b)).tables).toBe(1);
    expect(await db.tables.get(shared)).toBeUndefined();
    expect(await collect(db.tables.bySlot.keys())).toEqual([]);
    expect(await collect(db.tables.refs.keys())).toEqual([]);
  });

  it("prunes builder evidence about builders not kept once outside the window; keeps the rest", async () => {
    await db.stop();
    db = new NodeDb({ path: dir.path, retention: { tableRetentionSlots: 10, attestationRetentionSlots: 5 } });
    await db.start();
    const s = stream(1);
    const builderEv = (slot: bigint, builderByte: number) => ({
      kind: SszEvidenceKind.BuilderEquivocation as const,
      evidence: {
        a: signedCommitment(s, slot, builderByte, 1),
        b: signedCommitment(s, slot, builderByte, 2),
      },
    });
    const verifierEv = {
      kind: SszEvidenceKind.VerifierEquivocation as const,
      evidence: { a: attestation(s, 3n, 2, 1), b: attestation(s, 3n, 2, 2) },
    };
    const listed = toHex(new Uint8Array(20).fill(0x0a));
    for (const e of [builderEv(3n, 0x0a), builderEv(3n, 0x0b), builderEv(18n, 0x0b), verifierEv])
      await db.evidence.add(e);
    const res = await db.prune(20n, undefined, { keepBuilderEvidence: (b) => b === listed });
    expect(res.evidence).toBe(1);
    const left = await db.evidence.range(s, 0n);
    expect(left).toHaveLength(3);
    expect(left).toContainEqual(builderEv(3n, 0x0a));
    expect(left).toContainEqual(builderEv(18n, 0x0b));
    expect(left).toContainEqual(verifierEv);
  });

  it("refuses a database of another layout version", async () => {
    await db.meta.putJson(MetaKey.schemaVersion, 99);
    await db.stop();
    db = new NodeDb({ path: dir.path });
    const err = await db.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe(DbErrorCode.SCHEMA_MISMATCH);
    expect(db.database.isOpen).toBe(false);
  });

  it("known peers: one record per peer with its addresses, the least recently seen forgotten beyond 64", async () => {
    const store = peerStore(db).knownPeers;
    const addr = (i: number, port = 9000) => `/ip4/10.0.${i >> 8}.${i & 255}/tcp/${port}/p2p/peer${i}`;
    // Two addresses of one peer are both kept.
    await store.save([addr(0), addr(0, 9001)]);
    expect((await db.peers.get("peer0"))?.multiaddrs).toEqual([addr(0), addr(0, 9001)]);
    // 80 more peers, in saves a millisecond apart: the oldest are forgotten.
    for (let i = 1; i <= 80; i++) {
      await new Promise((r) => setTimeout(r, 1));
      await store.save([addr(i)]);
    }
    const kept = await db.peers.recent(1000);
    expect(kept).toHaveLength(64);
    expect(kept[0]!.peerId).toBe("peer80");
    expect(await db.peers.get("peer0")).toBeUndefined();
    const loaded = await store.load();
    expect(loaded[0]).toBe(addr(80));
    expect(loaded).toHaveLength(64);
  });
});
