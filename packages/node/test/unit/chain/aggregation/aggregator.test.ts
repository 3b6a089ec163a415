import {
  buildCertificate,
  encodeAttestationSsz,
  encodeCertificateSsz,
  toHex,
  type VerifierSet,
  verifyCertificate,
} from "@ocp/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FAKED_TIMERS } from "../../../../../../test/utils/wait.js";
import { SlotPermutation } from "../../../../src/chain/aggregation/rank.js";
import { domainKey, type PooledCertificate, slotKey } from "../../../../src/chain/index.js";
import {
  attest,
  DOMAIN,
  makeSet,
  observation,
  STREAM,
  type TestChain,
  type TestKey,
  testChain,
  testKeys,
} from "../fixtures.js";

const keys = testKeys(4);
const HEAD = 10n;
// Time is fake: it moves only when a test advances it, so the upgrade
// interval and jitter are checked exactly, whatever the machine's load.
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

const chains: TestChain[] = [];
function chain(set: VerifierSet, upgradeIntervalMs = 40, upgradeJitterMs = 0): TestChain {
  // Votes are checked at once (no batching wait): these tests time the aggregator alone.
  const c = testChain([set], HEAD, {
    aggregator: { upgradeIntervalMs, upgradeJitterMs },
    blsVerifier: { maxBufferWaitMs: 0 },
  });
  chains.push(c);
  return c;
}
beforeEach(() => {
  vi.useFakeTimers({ toFake: [...FAKED_TIMERS] });
});
afterEach(async () => {
  for (const c of chains.splice(0)) await c.pipeline.stop();
  vi.restoreAllMocks();
  vi.useRealTimers();
});

async function vote(c: TestChain, set: VerifierSet, key: TestKey, index: number, tag = 0): Promise<void> {
  const pending = c.pipeline.attestation.validate(
    encodeAttestationSsz(attest(key, set, index, observation(HEAD, tag))),
  );
  // The verifier's zero-wait buffer flushes on a timer.
  await advance(0);
  c.pipeline.attestation.accept(await pending);
}

describe("Aggregator", () => {
  it("weighted set: no certificate at exactly the threshold, one as soon as it is strictly passed", async () => {
    // total 6, quorum 2/3: needs signed·3 > 12, i.e. weight ≥ 5
    const set = makeSet(keys, { weights: [1n, 1n, 1n, 3n] });
    const c = chain(set);
    await vote(c, set, keys[3]!, 3);
    await vote(c, set, keys[0]!, 0);
    expect(c.pipeline.aggregator.flush()).toEqual([]);
    await advance(5);
    expect(c.certificates).toHaveLength(0);

    await vote(c, set, keys[1]!, 1);
    const [ev] = c.pipeline.aggregator.flush();
    expect(ev?.kind).toBe("new");
    expect(ev?.signedWeight).toBe(5n);
    const r = verifyCertificate(ev!.certificate, c.registry);
    expect(r.ok && r.value.signedWeight).toBe(5n);
    expect(c.certificates).toHaveLength(1);
    expect(c.certificates[0]![1]).toBe("aggregator");
    expect(c.pipeline.pools.certificates.best(ev!.slotKey)?.signedWeight).toBe(5n);
  });

  it("equal weights, 3 of 3 needed under 2/3: 2 votes are exactly at the threshold", async () => {
    const set = makeSet(keys.slice(0, 3));
    const c = chain(set);
    await vote(c, set, keys[0]!, 0);
    await vote(c, set, keys[1]!, 1);
    await advance(5);
    expect(c.certificates).toHaveLength(0);
    await vote(c, set, keys[2]!, 2);
    await advance(5);
    expect(c.certificates).toHaveLength(1);
    expect(verifyCertificate(c.certificates[0]![0].certificate, c.registry).ok).toBe(true);
  });

  it("builds one certificate from every vote a turn accepts, before the event loop's next turn", async () => {
    const set = makeSet(keys);
    const c = chain(set);
    const pending = keys.map((k, i) =>
      c.pipeline.attestation.validate(encodeAttestationSsz(attest(k, set, i, observation(HEAD)))),
    );
    await advance(0);
    const validated = await Promise.all(pending);
    // As a verified batch resolves its votes: accepted one per microtask, in one turn.
    // The third brings quorum (3 of 4 under 2/3); the fourth comes after it.
    for (const v of validated) {
      c.pipeline.attestation.accept(v);
      await Promise.resolve();
    }
    expect(c.certificates).toHaveLength(0);
    // A tick asked for now runs after the aggregator's and before any I/O or
    // immediate: on a busy node the next turn comes tens of ms later.
    await new Promise<void>((r) => process.nextTick(r));
    expect(c.certificates.map((x) => x[0].signedWeight)).toEqual([4n]);
  });

  it("later votes upgrade the certificate, rate-limited", async () => {
    const set = makeSet(keys, { weights: [1n, 1n, 1n, 3n] });
    const c = chain(set, 60);
    for (const i of [3, 0, 1]) await vote(c, set, keys[i]!, i);
    await advance(5);
    expect(c.certificates.map((x) => x[2]?.kind)).toEqual(["new"]);
    await vote(c, set, keys[2]!, 2);
    await advance(5);
    // within the interval: nothing yet
    expect(c.certificates).toHaveLength(1);
    await advance(90);
    expect(c.certificates.map((x) => x[2]?.kind)).toEqual(["new", "upgrade"]);
    const up = c.certificates[1]![0];
    expect(up.signedWeight).toBe(6n);
    const r = verifyCertificate(up.certificate, c.registry);
    expect(r.ok && r.value.signedWeight).toBe(6n);
    expect(c.pipeline.pools.certificates.best(up.slotKey)?.signedWeight).toBe(6n);
    expect(c.pipeline.aggregator.emitted).toBe(2);
    expect(c.pipeline.aggregator.selfCheckFailures).toBe(0);
  });

  it("votes for two roots are aggregated apart; an equivocating vote counts for neither twice", async () => {
    const set = makeSet(keys.slice(0, 3));
    const c = chain(set);
    for (const i of [0, 1]) await vote(c, set, keys[i]!, i, 0);
    // key 1 also signs root 1: evidence, not a vote
    await vote(c, set, keys[1]!, 1, 1);
    await vote(c, set, keys[2]!, 2, 1);
    await advance(5);
    expect(c.certificates).toHaveLength(0);
    expect(c.evidence).toHaveLength(1);
    // key 2 switching to root 0 equivocates too: root 0 still has only keys 0 and 1
    await vote(c, set, keys[2]!, 2, 0);
    await advance(5);
    expect(c.evidence).toHaveLength(2);
    expect(c.certificates).toHaveLength(0);
    const groups = c.pipeline.pools.attestations.groups(slotKey(domainKey(DOMAIN), toHex(STREAM), HEAD));
    // each of the 3 keys counted exactly once over both roots
    expect(groups.map((g) => g.signedWeight).sort()).toEqual([1n, 2n]);
  });

  it("a peer's certificate of equal weight is not rebuilt; a heavier group upgrades after the interval", async () => {
    const set = makeSet(keys); // 4 × weight 1: quorum needs 3
    const c = chain(set, 60);
    const peerCert = buildCertificate(
      [0, 1, 2].map((i) => attest(keys[i]!, set, i, observation(HEAD))),
      set,
    );
    c.pipeline.certificate.accept(await c.pipeline.certificate.validate(encodeCertificateSsz(peerCert)));
    expect(c.certificates.map((x) => x[1])).toEqual(["gossip"]);
    for (const i of [0, 1, 2]) await vote(c, set, keys[i]!, i);
    await advance(5);
    // same three signers as the held certificate: nothing new to say
    expect(c.certificates.map((x) => x[1])).toEqual(["gossip"]);
    expect(c.pipeline.aggregator.emitted).toBe(0);
    await vote(c, set, keys[3]!, 3);
    await advance(5);
    // heavier now, but the interval runs from the held certificate
    expect(c.pipeline.aggregator.emitted).toBe(0);
    await advance(90);
    expect(c.certificates.map((x) => x[1])).toEqual(["gossip", "aggregator"]);
    const up = c.certificates[1]![0];
    expect(up.signedWeight).toBe(4n);
    expect(verifyCertificate(up.certificate, c.registry).ok).toBe(true);
  });

  it("upgrades are spread by the jitter, never earlier than the interval", async () => {
    // interval 30 ms from the first certificate, plus random · 60 ms of jitter
    for (const [random, due] of [
      [0, 25],
      [0.5, 55],
      [0.75, 70],
    ] as const) {
      vi.spyOn(Math, "random").mockReturnValue(random);
      const set = makeSet(keys, { weights: [1n, 1n, 1n, 3n] });
      const c = chain(set, 30, 60);
      for (const i of [3, 0, 1]) await vote(c, set, keys[i]!, i);
      await advance(5);
      expect(c.certificates.map((x) => x[2]?.kind)).toEqual(["new"]);
      // 5 ms after the first certificate: the upgrade is due 25 ms + jitter later
      await vote(c, set, keys[2]!, 2);
      await advance(due - 1);
      expect(c.certificates, `random ${random}`).toHaveLength(1);
      await advance(1);
      expect(c.certificates.map((x) => x[2]?.kind)).toEqual(["new", "upgrade"]);
    }
  });

  describe("order of gossiping within a slot", () => {
    const set = makeSet(keys); // 4 × weight 1: quorum needs 3
    const perm = new SlotPermutation(set.size, set.setId, HEAD);
    /** The key index at `place` in this slot's order. */
    const at = (place: number) => [0, 1, 2, 3].find((i) => perm.rankOf(i) === place)!;
    type Ranked = TestChain & { gossiped: PooledCertificate[] };
    function ranked(own: number[], rankDelayMs = 50, maxRankDelayMs = 1000): Ranked {
      const gossiped: PooledCertificate[] = [];
      const c = testChain(
        [set],
        HEAD,
        {
          aggregator: { upgradeIntervalMs: 500, upgradeJitterMs: 0, rankDelayMs, maxRankDelayMs },
          blsVerifier: { maxBufferWaitMs: 0 },
        },
        {
          ownKeys: { pubkeys: own.map((i) => keys[i]!.pubkey) },
          onCertificateTurn: (cert, outcome) => void (outcome === "gossip" && gossiped.push(cert)),
        },
      );
      chains.push(c);
      return Object.assign(c, { gossiped });
    }
    const quorum = async (c: TestChain) => {
      for (const i of [0, 1, 2]) await vote(c, set, keys[i]!, i);
    };
    const peerCert = (signers: number[]) =>
      encodeCertificateSsz(
        buildCertificate(
          signers.map((i) => attest(keys[i]!, set, i, observation(HEAD))),
          set,
        ),
      );

    it("every node holds its certificate at once; the first-placed gossips it at once, place 2 two steps later", async () => {
      const first = ranked([at(0)]);
      await quorum(first);
      await advance(1);
      expect(first.certificates.map((x) => x[1])).toEqual(["aggregator"]);
      expect(first.gossiped).toHaveLength(1);

      const third = ranked([at(3), at(2)]);
      await quorum(third);
      await advance(1);
      expect(third.certificates.map((x) => x[2]?.kind)).toEqual(["new"]);
      await advance(97);
      expect(third.gossiped).toHaveLength(0);
      await advance(2);
      expect(third.gossiped.map((c) => c.signedWeight)).toEqual([3n]);
      expect(third.pipeline.certificatesBuilt).toEqual({ gossiped: 1, heldBack: 0 });
    });

    it("a peer's certificate arriving during the wait is gossiped on, and ours is held back", async () => {
      const c = ranked([at(1)]);
      await quorum(c);
      await advance(30);
      // Same weight as the one built here, but that one is not on the wire: the peer's is news.
      const v = await c.pipeline.certificate.validate(peerCert([0, 1, 2]));
      c.pipeline.certificate.accept(v);
      await advance(200);
      expect(c.gossiped).toHaveLength(0);
      expect(c.pipeline.certificatesBuilt).toEqual({ gossiped: 0, heldBack: 1 });
      // Once on the wire, another certificate of that weight is not.
      await expect(c.pipeline.certificate.validate(peerCert([0, 1, 3]))).rejects.toMatchObject({
        code: "CERTIFICATE_ERROR_NOT_BETTER",
      });
    });

    it("a forged certificate during the wait is refused and does not hold ours back", async () => {
      const c = ranked([at(1)]);
      await quorum(c);
      await advance(10);
      // Three signer bits, but the aggregate is one key's vote: verification fails.
      const forged = buildCertificate(
        [0, 1, 2].map((i) => attest(keys[i]!, set, i, observation(HEAD))),
        set,
      );
      forged.aggregateSignature = attest(keys[0]!, set, 0, observation(HEAD)).signature;
      await expect(c.pipeline.certificate.validate(encodeCertificateSsz(forged))).rejects.toMatchObject({
        code: "CERTIFICATE_ERROR_INVALID",
      });
      await advance(60);
      expect(c.gossiped.map((x) => x.signedWeight)).toEqual([3n]);
      expect(c.pipeline.certificatesBuilt).toEqual({ gossiped: 1, heldBack: 0 });
    });

    it("a node without keys in the set waits the longest", async () => {
      const c = ranked([], 50, 120);
      await quorum(c);
      await advance(119);
      expect(c.certificates).toHaveLength(1);
      expect(c.gossiped).toHaveLength(0);
      await advance(1);
      expect(c.gossiped).toHaveLength(1);
    });

    it("four nodes reaching quorum together, 10 ms apart on the wire, gossip one certificate", async () => {
      const nodes = [0, 1, 2, 3].map((i) => ranked([i]));
      // Every certificate gossiped reaches the other nodes 10 ms later; a node gossips on what it accepts.
      const deliver = (from: Ranked, cert: PooledCertificate) => {
        const bytes = encodeCertificateSsz(cert.certificate);
        for (const to of nodes) {
          if (to === from) continue;
          setTimeout(() => {
            void to.pipeline.certificate.validate(bytes).then(
              (v) => {
                to.pipeline.certificate.accept(v);
                deliver(to, v);
              },
              () => undefined,
            );
          }, 10);
        }
      };
      for (const n of nodes) {
        const push = n.gossiped.push.bind(n.gossiped);
        n.gossiped.push = (...items) => {
          for (const cert of items) deliver(n, cert);
          return push(...items);
        };
      }
      await Promise.all(nodes.map(quorum));
      await advance(1000);
      expect(nodes.map((n) => n.certificates.length)).toEqual([1, 1, 1, 1]);
      expect(nodes.reduce((a, n) => a + n.gossiped.length, 0)).toBe(1);
      expect(nodes.reduce((a, n) => a + n.pipeline.certificatesBuilt.heldBack, 0)).toBe(3);
    });
  });
});
