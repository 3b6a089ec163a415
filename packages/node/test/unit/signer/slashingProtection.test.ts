import { blstBls, nobleBls, observationRoot, ProtocolError, toHex } from "@ocp/protocol";
import { describe, expect, it } from "vitest";
import type { Database } from "../../../src/db/database.js";
import { SlashingErrorCode } from "../../../src/signer/errors.js";
import {
  parseInterchange,
  SLASHING_INTERCHANGE_FORMAT,
  SlashingProtection,
  SlashingStatus,
} from "../../../src/signer/slashingProtection.js";
import { ValidatorStore } from "../../../src/signer/validatorStore.js";
import { DOMAIN, observation, openDb, secret, tempDir, useTempDb } from "./helpers.js";

/** Oracle: the independent noble backend verifies a released signature. */
function nobleVerifies(r: { pubkey: Uint8Array; signature?: Uint8Array }, root: Uint8Array): boolean {
  return nobleBls.verify(
    nobleBls.publicKeyFromBytes(r.pubkey),
    root,
    nobleBls.signatureFromBytes(r.signature!),
  );
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
}

describe("slashing protection", () => {
  const tmp = useTempDb("sp");

  function store(d: Database): ValidatorStore {
    const s = new ValidatorStore({}, { bls: blstBls, slashingProtection: new SlashingProtection({ db: d }) });
    s.addKey(blstBls.secretKeyFromBytes(secret(0)));
    return s;
  }

  it("signs the observation root verifiably, refuses a second root, and keeps refusing after a reopen", async () => {
    const s = store(tmp.db);
    const a = observation(7n, 1);
    const b = observation(7n, 2);
    const sigA = await s.signObservation(0, DOMAIN, a);
    // Oracle: the independent noble backend verifies the signature over observationRoot.
    const root = observationRoot(DOMAIN, a);
    const pk = nobleBls.publicKeyFromBytes(s.pubkeys[0]!);
    expect(nobleBls.verify(pk, root, nobleBls.signatureFromBytes(sigA))).toBe(true);

    expect(await codeOf(s.signObservation(0, DOMAIN, b))).toBe(SlashingErrorCode.DOUBLE_SIGN);
    // Same root again: allowed, and the same bytes.
    expect(await s.signObservation(0, DOMAIN, a)).toEqual(sigA);
    // Another slot, or another domain for the same slot, is independent.
    await s.signObservation(0, DOMAIN, observation(8n, 2));
    await s.signObservation(0, { ...DOMAIN, chainId: 1 }, b);

    const s2 = store(await tmp.reopen());
    expect(await codeOf(s2.signObservation(0, DOMAIN, b))).toBe(SlashingErrorCode.DOUBLE_SIGN);
    expect(await s2.signObservation(s2.pubkeys[0]!, DOMAIN, a)).toEqual(sigA);
  });

  it("lets exactly one of many racing different roots through", async () => {
    const s = store(tmp.db);
    for (const slot of [1n, 2n, 3n]) {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => s.signObservation(0, DOMAIN, observation(slot, i + 1))),
      );
      const ok = results.filter((r) => r.status === "fulfilled");
      expect(ok.length).toBe(1);
      for (const r of results) {
        if (r.status === "rejected") {
          expect((r.reason as ProtocolError).code).toBe(SlashingErrorCode.DOUBLE_SIGN);
        }
      }
    }
    // Racing copies of the same root all pass with identical signatures.
    const same = await Promise.all(
      Array.from({ length: 5 }, () => s.signObservation(0, DOMAIN, observation(9n, 9))),
    );
    for (const sig of same) expect(sig).toEqual(same[0]);
  });

  it("signObservationAll: one synced batch for all keys, per-key refusals, and the extra ops written with it", async () => {
    const sp = new SlashingProtection({ db: tmp.db });
    const s = new ValidatorStore({}, { bls: blstBls, slashingProtection: sp });
    for (const i of [0, 1, 2]) s.addKey(blstBls.secretKeyFromBytes(secret(i)));
    const a = observation(30n, 1);
    const b = observation(30n, 2);
    // Key 1 already signed another root for slot 30.
    await s.signObservation(1, DOMAIN, b);
    const marker = { type: "put" as const, key: new Uint8Array([0xee, 1]), value: new Uint8Array([7]) };
    const results = await s.signObservationAll(DOMAIN, a, [marker]);
    expect(results.map((r) => r.error?.code)).toEqual([undefined, SlashingErrorCode.DOUBLE_SIGN, undefined]);
    const root = observationRoot(DOMAIN, a);
    for (const i of [0, 2]) {
      const r = results[i]!;
      expect(nobleVerifies(r, root)).toBe(true);
      const rec = await sp.get({ pubkey: r.pubkey, domain: DOMAIN, stream: a.stream, slot: 30n });
      expect(rec?.observationRoot).toEqual(root);
    }
    expect([...(await tmp.db.get(marker.key))!]).toEqual([...marker.value]);
    // Repeats are allowed and give the same bytes; key 1 still refuses.
    const again = await s.signObservationAll(DOMAIN, a);
    expect(again.map((r) => r.signature)).toEqual(results.map((r) => r.signature));
    expect(again[1]!.error?.code).toBe(SlashingErrorCode.DOUBLE_SIGN);
  });

  it("signObservationAll signs only with the keys `member` admits, and records nothing for the others", async () => {
    const sp = new SlashingProtection({ db: tmp.db });
    const s = new ValidatorStore({}, { bls: blstBls, slashingProtection: sp });
    for (const i of [0, 1, 2]) s.addKey(blstBls.secretKeyFromBytes(secret(i)));
    const a = observation(40n, 1);
    const b = observation(40n, 2);
    // Key 1 left the set that governs slot 40.
    const out = s.pubkeys[1]!;
    const results = await s.signObservationAll(DOMAIN, a, [], (pk) => toHex(pk) !== toHex(out));
    expect(results.map((r) => toHex(r.pubkey))).toEqual([toHex(s.pubkeys[0]!), toHex(s.pubkeys[2]!)]);
    const root = observationRoot(DOMAIN, a);
    for (const r of results) expect(nobleVerifies(r, root)).toBe(true);
    expect(await sp.get({ pubkey: out, domain: DOMAIN, stream: a.stream, slot: 40n })).toBeUndefined();
    // Nothing was recorded for it: it may still sign another root for that slot.
    await expect(s.signObservation(1, DOMAIN, b)).resolves.toBeInstanceOf(Uint8Array);
  });

  it("precomputed signatures leave only through slashing protection, and are reused when they do", async () => {
    const sp = new SlashingProtection({ db: tmp.db });
    let signs = 0;
    // The same backend, counting the signatures it computes.
    const counting = Object.create(blstBls, {
      sign: {
        value: (sk: unknown, msg: Uint8Array) => {
          signs++;
          return blstBls.sign(sk as never, msg);
        },
      },
    });
    const s = new ValidatorStore({}, { bls: counting, slashingProtection: sp });
    for (const i of [0, 1, 2]) s.addKey(blstBls.secretKeyFromBytes(secret(i)));
    const a = observation(50n, 1);
    const b = observation(50n, 2);
    s.precompute(DOMAIN, a);
    s.precompute(DOMAIN, b);
    s.precompute(DOMAIN, a); // already there: no new work
    expect(signs).toBe(6);
    // Computing is not signing: nothing is recorded.
    for (const pubkey of s.pubkeys) {
      expect(await sp.get({ pubkey, domain: DOMAIN, stream: a.stream, slot: 50n })).toBeUndefined();
    }
    const results = await s.signObservationAll(DOMAIN, a);
    expect(signs).toBe(6);
    const root = observationRoot(DOMAIN, a);
    for (const r of results) expect(nobleVerifies(r, root)).toBe(true);
    // The other precomputed root is refused like any other second root: nothing released.
    const refused = await s.signObservationAll(DOMAIN, b);
    expect(refused.map((r) => r.error?.code)).toEqual(Array(3).fill(SlashingErrorCode.DOUBLE_SIGN));
    expect(refused.every((r) => r.signature === undefined)).toBe(true);
    // Without a precomputed root the signatures are computed at signing time.
    await s.signObservationAll(DOMAIN, observation(51n, 1));
    expect(signs).toBe(9);
  });

  it("signObservationAll releases no signature when the record cannot be written", async () => {
    const s = store(tmp.db);
    await tmp.db.close();
    await expect(s.signObservationAll(DOMAIN, observation(40n, 1))).rejects.toThrow();
  });

  it("checkAndRecordMany writes nothing when the batch fails", async () => {
    const sp = new SlashingProtection({ db: tmp.db });
    const key = { pubkey: new Uint8Array(48).fill(9), domain: DOMAIN, stream: new Uint8Array(32), slot: 5n };
    await tmp.db.close();
    await expect(sp.checkAndRecordMany([key], new Uint8Array(32).fill(1))).rejects.toThrow();
    expect(await new SlashingProtection({ db: await tmp.reopen() }).get(key)).toBeUndefined();
  });

  it("racing checkAndRecord on the raw API records exactly one root", async () => {
    const sp = new SlashingProtection({ db: tmp.db });
    const key = { pubkey: new Uint8Array(48).fill(5), domain: DOMAIN, stream: new Uint8Array(32), slot: 4n };
    const roots = Array.from({ length: 6 }, (_, i) => new Uint8Array(32).fill(i + 1));
    const results = await Promise.allSettled(roots.map((r) => sp.checkAndRecord(key, r)));
    const winners = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
    expect(winners.length).toBe(1);
    const rec = await sp.get(key);
    expect(rec?.observationRoot).toEqual(roots[winners[0]!]);
  });

  it("export → import into a fresh database keeps every refusal", async () => {
    const s = store(tmp.db);
    await s.signObservation(0, DOMAIN, observation(10n, 1));
    await s.signObservation(0, DOMAIN, observation(11n, 1));
    const exported = await new SlashingProtection({ db: tmp.db }).exportInterchange();
    expect(exported.metadata.interchange_format).toBe(SLASHING_INTERCHANGE_FORMAT);
    expect(exported.data[0]!.signed_observations.map((o) => o.slot)).toEqual(["10", "11"]);

    const other = await tempDir("sp2");
    const db2 = await openDb(other.path);
    try {
      const sp2 = new SlashingProtection({ db: db2 });
      // Through JSON text, as a file would carry it.
      const res = await sp2.importInterchange(JSON.parse(JSON.stringify(exported)));
      expect(res).toEqual({ added: 2, unchanged: 0, conflicts: [] });
      const s2 = new ValidatorStore({}, { bls: blstBls, slashingProtection: sp2 });
      s2.addKey(blstBls.secretKeyFromBytes(secret(0)));
      expect(await codeOf(s2.signObservation(0, DOMAIN, observation(10n, 2)))).toBe(
        SlashingErrorCode.DOUBLE_SIGN,
      );
      expect(await codeOf(s2.signObservation(0, DOMAIN, observation(11n, 3)))).toBe(
        SlashingErrorCode.DOUBLE_SIGN,
      );
      await s2.signObservation(0, DOMAIN, observation(10n, 1));
      // Importing the same document again changes nothing.
      expect(await sp2.importInterchange(exported)).toEqual({ added: 0, unchanged: 2, conflicts: [] });
    } finally {
      await db2.close();
      await other.cleanup();
    }
  });

  it("an import with a different root conflicts the slot: both roots are refused, and that survives export", async () => {
    const s = store(tmp.db);
    const sp = new SlashingProtection({ db: tmp.db });
    await s.signObservation(0, DOMAIN, observation(20n, 1));
    const doc = await sp.exportInterchange();
    const rec = doc.data[0]!.signed_observations[0]!;
    const otherRoot = observationRoot(DOMAIN, observation(20n, 2));
    rec.observationRoot = `0x${Buffer.from(otherRoot).toString("hex")}`;
    const res = await sp.importInterchange(doc);
    expect(res.conflicts.length).toBe(1);
    expect(res.conflicts[0]!.slot).toBe("20");
    expect(await codeOf(s.signObservation(0, DOMAIN, observation(20n, 1)))).toBe(
      SlashingErrorCode.CONFLICTED,
    );
    expect(await codeOf(s.signObservation(0, DOMAIN, observation(20n, 2)))).toBe(
      SlashingErrorCode.CONFLICTED,
    );

    const again = await sp.exportInterchange();
    expect(again.data[0]!.signed_observations[0]!.conflicted).toBe(true);
    const parsed = parseInterchange(again);
    expect([...parsed.values()][0]![0]!.record.status).toBe(SlashingStatus.conflicted);
  });

  it("rejects malformed interchange documents with a typed error and writes nothing", async () => {
    const sp = new SlashingProtection({ db: tmp.db });
    const good = {
      pubkey: `0x${"ab".repeat(48)}`,
      signed_observations: [
        {
          chainId: 1,
          verifyingContract: `0x${"cd".repeat(20)}`,
          stream: `0x${"01".repeat(32)}`,
          slot: "5",
          observationRoot: `0x${"02".repeat(32)}`,
        },
      ],
    };
    const bad = [
      null,
      { metadata: { interchange_format: "eip-3076" }, data: [] },
      { metadata: { interchange_format: SLASHING_INTERCHANGE_FORMAT }, data: {} },
      {
        metadata: { interchange_format: SLASHING_INTERCHANGE_FORMAT },
        data: [good, { ...good, pubkey: "0x12" }],
      },
      {
        metadata: { interchange_format: SLASHING_INTERCHANGE_FORMAT },
        data: [{ ...good, signed_observations: [{ ...good.signed_observations[0], slot: "-1" }] }],
      },
      {
        metadata: { interchange_format: SLASHING_INTERCHANGE_FORMAT },
        data: [
          {
            ...good,
            signed_observations: [{ ...good.signed_observations[0], slot: "18446744073709551616" }],
          },
        ],
      },
      {
        metadata: { interchange_format: SLASHING_INTERCHANGE_FORMAT },
        data: [{ ...good, signed_observations: [{ ...good.signed_observations[0], chainId: 1.5 }] }],
      },
    ];
    for (const doc of bad) {
      expect(await codeOf(sp.importInterchange(doc))).toBe(SlashingErrorCode.INVALID_INTERCHANGE);
    }
    // The 4th document's first entry was valid, but nothing may have been written.
    expect((await sp.exportInterchange()).data).toEqual([]);
  });
});
