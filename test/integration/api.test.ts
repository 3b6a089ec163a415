// The HTTP API of a running two-node network (anvil, real gossip): a builder
// commitment posted over HTTP is certified by both nodes, the certificate
// arrives over server-sent events, every read route reflects it, and /metrics
// carries the gossip, BLS, latency, peer, database and anchoring series.
import { GossipKind } from "@ocp/node";
import {
  buildVerifierSet,
  fromHex,
  observationRoot,
  parseCertificateJson,
  parseSignedCommitmentJson,
  signCommitment,
  signedCommitmentToJson,
  toHex,
  verifyCertificate,
} from "@ocp/protocol";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANVIL_PRIVATE_KEYS } from "../../packages/node/src/devnet/anvil.js";
import { makeRng, randomBatch } from "../../packages/protocol/test/unit/schemas/eezGen.js";
import { sseReader } from "../utils/sse.js";
import { BUILDER_KEY, type Cluster, startCluster, waitFor } from "./helpers/cluster.js";

const TOKEN = "integration-token";

describe("api: two nodes over HTTP", () => {
  let c: Cluster;
  const urls: string[] = [];
  const rng = makeRng(7);

  const get = async (i: number, path: string): Promise<{ status: number; body: any }> => {
    const r = await fetch(`${urls[i]}${path}`);
    return { status: r.status, body: await r.json() };
  };

  beforeAll(async () => {
    c = await startCluster({ nodes: 2, node: { api: { bearerToken: TOKEN, bodyLimit: 8192 } } });
    for (const n of c.nodes) urls.push(n!.api!.url!);
    await c.waitMeshed(1);
  });
  afterAll(async () => {
    await c?.stop();
  });

  it("serves health, identity and peers of a connected node", async () => {
    const [a, b] = [c.nodes[0]!, c.nodes[1]!];
    const health = await get(0, "/v1/node/health");
    expect(health.status).toBe(200);
    expect(health.body.status).toBe("ok");
    expect(health.body.peers).toBe(1);
    const id = await get(1, "/v1/node/identity");
    expect(id.body.peerId).toBe(b.peerId);
    expect(id.body.network).toBe("itest");
    expect(id.body.verifierPubkeys).toEqual([toHex(c.set.verifiers[1]!.pubkey)]);
    expect(id.body.streams[0].id).toBe(toHex(c.stream));
    const peers = await get(0, "/v1/node/peers");
    expect(peers.body.map((p: { peerId: string }) => p.peerId)).toEqual([b.peerId]);
    expect(a.peerId).not.toBe(b.peerId);
  });

  it("certifies a commitment posted over HTTP and streams the certificate", async () => {
    // Listen on node 1 while the commitment goes in through node 0.
    const ac = new AbortController();
    const es = await fetch(`${urls[1]}/v1/events?topics=certificate,commitment`, { signal: ac.signal });
    expect(es.status).toBe(200);
    const events = sseReader(es.body!);

    const { slot, observation } = await c.post([randomBatch(rng, { maxEntries: 3 })], "direct");
    const builder = fromHex(privateKeyToAccount(ANVIL_PRIVATE_KEYS[1]).address);
    const signed = signCommitment(c.domain, { observation, builder }, BUILDER_KEY);
    const body = JSON.stringify(signedCommitmentToJson(signed));
    const post = (auth?: string): Promise<Response> =>
      fetch(`${urls[0]}/v1/commitments`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
        body,
      });
    expect((await post()).status).toBe(401);
    expect((await post("Bearer wrong")).status).toBe(401);
    expect((await post(`Bearer ${TOKEN}`)).status).toBe(202);
    await c.mine(1);

    const root = toHex(observationRoot(c.domain, observation));
    const sets = [buildVerifierSet(c.set)];
    // The commitment reached node 1 by gossip; then the certificate.
    const commitmentEv = await events.next("commitment", 20_000);
    expect(parseSignedCommitmentJson(commitmentEv)).toEqual(signed);
    let certEv = await events.next("certificate", 30_000);
    while (toHex(observationRoot(c.domain, parseCertificateJson(certEv.certificate).observation)) !== root)
      certEv = await events.next("certificate", 30_000);
    expect(verifyCertificate(parseCertificateJson(certEv.certificate), sets).ok).toBe(true);
    ac.abort();

    for (const i of [0, 1]) {
      const cert = await waitFor(
        async () => {
          const r = await get(i, `/v1/streams/eez/certificates/${slot}`);
          return r.status === 200 ? parseCertificateJson(r.body) : undefined;
        },
        20_000,
        `certificate on node ${i}`,
      );
      expect(verifyCertificate(cert, sets).ok).toBe(true);
      const view = await waitFor(
        async () => {
          const r = await get(i, `/v1/streams/${toHex(c.stream)}/slots/${slot}`);
          const w = r.body.attestations?.find((x: { root: string }) => x.root === root);
          return w?.signedWeight === "2" ? r.body : undefined;
        },
        20_000,
        `both votes on node ${i}`,
      );
      expect(view.commitments.map(parseSignedCommitmentJson)).toEqual([signed]);
      expect(view.observation.decision).toBe("attest");
      expect(view.observation.checkers.map((x: { checker: string }) => x.checker)).toContain("observe");
      expect(view.observation.observation).toEqual(signedCommitmentToJson(signed).commitment.observation);
      expect(view.attestations).toEqual([
        { root, setId: toHex(sets[0]!.setId), signedWeight: "2", totalWeight: "2", signers: 2 },
      ]);
      expect(view.certificate).not.toBeNull();
      expect(view.anchor).toEqual({ anchored: false });
    }
    const health = await get(0, "/v1/node/health");
    expect(BigInt(health.body.lastCertifiedSlot)).toBeGreaterThanOrEqual(slot);
    // Recent slots: only slots with something known, newest first, each the same slot view.
    const recent = await get(0, `/v1/streams/eez/slots?toSlot=${slot + 3n}&limit=8`);
    expect(recent.status).toBe(200);
    expect(recent.body.map((v: { slot: string }) => v.slot)).toEqual([slot.toString()]);
    expect(recent.body[0]).toEqual((await get(0, `/v1/streams/eez/slots/${slot}`)).body);
    expect((await get(0, "/v1/streams/eez/slots?limit=65")).status).toBe(400);
    expect((await get(0, "/v1/evidence")).body).toEqual([]);
  });

  it("answers bad requests on a live node with 400/413", async () => {
    const send = (body: string) =>
      fetch(`${urls[0]}/v1/commitments`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
        body,
      });
    const cases: [string, number][] = [
      ["{", 400],
      ['{"domain":1,"commitment":2,"signature":3}', 400],
      [JSON.stringify({ x: "y".repeat(10_000) }), 413],
    ];
    for (const [body, status] of cases) expect((await send(body)).status).toBe(status);
    expect((await get(0, "/v1/streams/eez/slots/99999999")).status).toBe(404);
  });

  it("exposes the named series on /metrics", async () => {
    // A malformed gossip message from node 1: node 0 rejects it with a code.
    await c.nodes[1]!.network.publish(GossipKind.commitment, new Uint8Array([1, 2, 3])).catch(
      () => undefined,
    );
    const text = await waitFor(
      async () => {
        const t = await (await fetch(`${urls[0]}/metrics`)).text();
        return /^ocp_gossip_validation_total\{kind="commitment",result="reject",code="[A-Z_]+"\} [1-9]/m.test(
          t,
        )
          ? t
          : undefined;
      },
      10_000,
      "a rejected gossip message counted",
    );
    const value = (re: RegExp): number => Number(re.exec(text)?.[1] ?? Number.NaN);
    // Messages by topic and result.
    expect(
      value(/^ocp_gossip_validation_total\{kind="attestation",result="accept",code=""\} (\d+)$/m),
    ).toBeGreaterThan(0);
    expect(value(/^ocp_bls_batch_sets_count (\d+)$/m)).toBeGreaterThan(0);
    expect(text).toMatch(/^ocp_bls_verify_seconds_count\{kind="[a-z_]+"\} [1-9]/m);
    expect(value(/^ocp_certificate_latency_seconds_count\{source="[a-z]+"\} (\d+)$/m)).toBeGreaterThan(0);
    expect(
      value(/^ocp_peers\{direction="inbound"\} (\d+)$/m) +
        value(/^ocp_peers\{direction="outbound"\} (\d+)$/m),
    ).toBe(1);
    expect(value(/^ocp_peer_gossip_score_count (\d+)$/m)).toBe(1);
    expect(value(/^ocp_db_size_bytes (\d+)$/m)).toBeGreaterThan(0);
    expect(text).toMatch(/^# TYPE ocp_anchor_transactions_total counter$/m);
    expect(text).toMatch(/^ocp_anchor_gas_used_total 0$/m);
    expect(text).toMatch(/^ocp_anchor_balance_wei 0$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    // libp2p's own metrics share the node's registry.
    expect(text).toMatch(/^libp2p_[a-z_]+/m);
  });
});
