// The HTTP API against a real OcpNode (LevelDB, libp2p on 127.0.0.1, beacon-time
// clock) without an L1: its RPC points at a closed port, so the node never
// attests on its own; the test feeds commitments through the API and an
// attestation through the chain pipeline, exactly as gossip would.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Attestation,
  buildVerifierSet,
  encodeAttestationSsz,
  fromHex,
  getBls,
  type Observation,
  observationRoot,
  parseCertificateJson,
  parseSignedCommitmentJson,
  SCHEMA_EEZ_V1,
  type SignedCommitment,
  signCommitment,
  signedCommitmentToJson,
  streamId,
  toHex,
  type VerifierSetData,
  verifyCertificate,
} from "@ocp/protocol";
import fc from "fast-check";
import { pino } from "pino";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sseReader } from "../../../../../test/utils/sse.js";
import { waitFor } from "../../../../../test/utils/wait.js";
import { ApiErrorCode } from "../../../src/api/errors.js";
import { ANVIL_PRIVATE_KEYS } from "../../../src/devnet/anvil.js";
import { OcpNode } from "../../../src/node.js";

const TOKEN = "s3cret-token-for-tests";
const TABLE = "0x00000000000000000000000000000000000007ab" as const;
const ANCHOR = "0x00000000000000000000000000000000000a0c4e" as const;
const BUILDER_KEY = fromHex(ANVIL_PRIVATE_KEYS[1]);
const BUILDER = fromHex(privateKeyToAccount(ANVIL_PRIVATE_KEYS[1]).address);
const SECONDS_PER_SLOT = 12;

describe("api: every route on a real node", () => {
  const bls = getBls();
  const sk = bls.keygen(crypto.getRandomValues(new Uint8Array(32)));
  const pubkey = bls.publicKeyToBytes(bls.publicKey(sk));
  const set: VerifierSetData = {
    epoch: 0n,
    activationSlot: 0n,
    quorum: { numerator: 2, denominator: 3 },
    verifiers: [{ pubkey, weight: 1n, pop: bls.popProve(sk) }],
  };
  const domain = { chainId: 31337, verifyingContract: fromHex(ANCHOR) };
  const stream = streamId(31337, fromHex(TABLE));
  const streamHex = toHex(stream);
  let dir: string;
  let node: OcpNode;
  let url: string;

  const observationAt = (slot: bigint, fill: number): Observation => ({
    stream,
    slot,
    l1BlockNumber: slot,
    l1BlockHash: new Uint8Array(32).fill(fill),
    schema: SCHEMA_EEZ_V1,
    tableDigest: new Uint8Array(32).fill(fill + 1),
    entryCount: 2,
  });
  const commit = (o: Observation): SignedCommitment =>
    signCommitment(domain, { observation: o, builder: BUILDER }, BUILDER_KEY);
  const currentSlot = (): bigint => node.clock.currentSlot()!;

  const post = (body: string, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${url}/v1/commitments`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}`, ...headers },
      body,
    });
  const errorBody = async (r: Response) => (await r.json()) as { code: string; message: unknown };
  const getJson = async (path: string): Promise<{ status: number; body: any }> => {
    const r = await fetch(`${url}${path}`);
    return { status: r.status, body: await r.json() };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ocp-api-"));
    node = new OcpNode(
      {
        dataDir: dir,
        network: { network: "apitest" },
        domain: { chainId: 31337, verifyingContract: ANCHOR },
        streams: [{ name: "eez", l1ChainId: 31337, tableContract: TABLE }],
        verifierSets: [set],
        // Port 9 (discard) is closed: every decision abstains, nothing is signed unasked.
        l1: {
          rpcUrls: ["http://127.0.0.1:9"],
          rpcTimeoutMs: 200,
          slots: {
            mode: "beacon-time",
            genesisTime: Math.floor(Date.now() / 1000) - 1000 * SECONDS_PER_SLOT,
            secondsPerSlot: SECONDS_PER_SLOT,
          },
        },
        doppelganger: { enabled: false },
        chain: { validation: { builderAllowlist: [BUILDER] } },
        api: { bearerToken: TOKEN, bodyLimit: 4096 },
      },
      { secretKeys: [sk], logger: pino({ level: "silent" }) },
    );
    await node.start();
    url = node.api!.url!;
  });
  afterAll(async () => {
    await node?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("binds 127.0.0.1 and serves health, identity and peers", async () => {
    expect(new URL(url).hostname).toBe("127.0.0.1");
    const health = await getJson("/v1/node/health");
    expect(health.status).toBe(200);
    // No peers: degraded, with the clock's head slot.
    expect(health.body).toEqual({
      status: "degraded",
      headSlot: expect.stringMatching(/^[0-9]+$/),
      peers: 0,
      lastCertifiedSlot: null,
      // Not an anchorer.
      anchorBacklog: null,
    });
    expect(BigInt(health.body.headSlot)).toBeGreaterThanOrEqual(999n);

    const id = await getJson("/v1/node/identity");
    expect(id.status).toBe(200);
    expect(id.body.peerId).toBe(node.peerId);
    expect(id.body.multiaddrs).toEqual(node.multiaddrs);
    expect(id.body.network).toBe("apitest");
    expect(id.body.verifierPubkeys).toEqual([toHex(pubkey)]);
    expect(id.body.domain).toEqual({ name: "ocp", version: "1", chainId: 31337, verifyingContract: ANCHOR });
    expect(id.body.streams).toEqual([{ name: "eez", id: streamHex, l1ChainId: 31337, tableContract: TABLE }]);

    const peers = await getJson("/v1/node/peers");
    expect(peers).toEqual({ status: 200, body: [] });
  });

  it("requires the bearer token for POST /v1/commitments", async () => {
    // A slot of its own: the later tests use others, so nothing here equivocates.
    const body = JSON.stringify(signedCommitmentToJson(commit(observationAt(currentSlot() - 5n, 1))));
    const none = await fetch(`${url}/v1/commitments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe("Bearer");
    expect((await errorBody(none)).code).toBe(ApiErrorCode.UNAUTHORIZED);
    for (const auth of [
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      TOKEN,
      `Basic ${TOKEN}`,
      "Bearer ",
    ]) {
      const r = await post(body, { authorization: auth });
      expect(r.status, auth).toBe(401);
      expect((await errorBody(r)).code).toBe(ApiErrorCode.UNAUTHORIZED);
    }
    // An unauthenticated client is refused before its body is parsed.
    const junk = await post("{not json", { authorization: "Bearer nope" });
    expect(junk.status).toBe(401);
    const ok = await post(body);
    expect(ok.status).toBe(202);
    expect(await ok.json()).toEqual({ status: "accepted" });
  });

  it("answers bad requests with 4xx {code, message}, never 500", async () => {
    const good = signedCommitmentToJson(commit(observationAt(currentSlot() - 1n, 3)));
    const cases: [string, string, Record<string, string>, number, string][] = [
      ["malformed JSON", "{", {}, 400, ApiErrorCode.INVALID_JSON],
      ["empty body", "", {}, 400, ApiErrorCode.INVALID_JSON],
      ["JSON null", "null", {}, 400, ApiErrorCode.INVALID_REQUEST],
      ["array", "[]", {}, 400, ApiErrorCode.INVALID_REQUEST],
      ["slot as a number", JSON.stringify(withSlot(good, 5)), {}, 400, ApiErrorCode.INVALID_REQUEST],
      ["unknown field", JSON.stringify({ ...good, extra: 1 }), {}, 400, ApiErrorCode.INVALID_REQUEST],
      [
        "missing field",
        JSON.stringify({ domain: good.domain, commitment: good.commitment }),
        {},
        400,
        ApiErrorCode.INVALID_REQUEST,
      ],
      ["prototype poisoning", `{"__proto__":{"x":1},"domain":1}`, {}, 400, ApiErrorCode.INVALID_JSON],
      ["oversized", JSON.stringify({ pad: "x".repeat(5000) }), {}, 413, ApiErrorCode.BODY_TOO_LARGE],
      [
        "text/plain",
        JSON.stringify(good),
        { "content-type": "text/plain" },
        415,
        ApiErrorCode.UNSUPPORTED_MEDIA_TYPE,
      ],
      // Passes the schema, fails the strict parser: a slot above uint64.
      [
        "slot above uint64",
        JSON.stringify(withSlot(good, "99999999999999999999")),
        {},
        400,
        "JSON_ERROR_INVALID_DECIMAL",
      ],
    ];
    for (const [what, body, headers, status, code] of cases) {
      const r = await post(body, headers);
      expect(r.status, what).toBe(status);
      const j = await errorBody(r);
      expect(j.code, what).toBe(code);
      expect(typeof j.message, what).toBe("string");
    }
    // A well-formed commitment the node rejects: the gossip validation code.
    const badSig = { ...good, signature: `0x${"11".repeat(64)}1b` };
    const r = await post(JSON.stringify(badSig));
    expect(r.status).toBe(400);
    expect((await errorBody(r)).code).toBe("COMMITMENT_ERROR_INVALID_SIGNATURE");
    const other = signedCommitmentToJson(
      signCommitment(
        { ...domain, chainId: 1 },
        { observation: observationAt(currentSlot() - 1n, 3), builder: BUILDER },
        BUILDER_KEY,
      ),
    );
    const r2 = await post(JSON.stringify(other));
    expect(r2.status).toBe(400);
    expect((await errorBody(r2)).code).toBe("COMMITMENT_ERROR_UNKNOWN_DOMAIN");

    const paths: [string, number, string][] = [
      ["/v1/streams/nope/slots/1", 404, ApiErrorCode.UNKNOWN_STREAM],
      [`/v1/streams/0x${"ab".repeat(32)}/slots/1`, 404, ApiErrorCode.UNKNOWN_STREAM],
      [`/v1/streams/${streamHex}/slots/1`, 404, ApiErrorCode.NOT_FOUND],
      [`/v1/streams/${streamHex}/slots/-1`, 400, ApiErrorCode.INVALID_REQUEST],
      [`/v1/streams/${streamHex}/slots/01`, 400, ApiErrorCode.INVALID_REQUEST],
      [`/v1/streams/${streamHex}/slots/18446744073709551616`, 400, ApiErrorCode.INVALID_REQUEST],
      [`/v1/streams/${streamHex}/certificates/abc`, 400, ApiErrorCode.INVALID_REQUEST],
      [`/v1/streams/eez/certificates/2`, 404, ApiErrorCode.NOT_FOUND],
      ["/v1/evidence?limit=0", 400, ApiErrorCode.INVALID_REQUEST],
      ["/v1/evidence?limit=1001", 400, ApiErrorCode.INVALID_REQUEST],
      ["/v1/evidence?limit=1&limit=2", 400, ApiErrorCode.INVALID_REQUEST],
      ["/v1/evidence?stream=nope", 404, ApiErrorCode.UNKNOWN_STREAM],
      ["/v1/evidence?bogus=1", 400, ApiErrorCode.INVALID_REQUEST],
      ["/v1/events?topics=certificate,nope", 400, ApiErrorCode.INVALID_REQUEST],
      ["/v1/nothing", 404, ApiErrorCode.NOT_FOUND],
    ];
    for (const [path, status, code] of paths) {
      const r = await getJson(path);
      expect(r.status, path).toBe(status);
      expect(r.body.code, path).toBe(code);
    }
  });

  it("never answers arbitrary bodies with a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.json().map((j) => j),
          fc.anything().map((v) => JSON.stringify(v) ?? "x"),
        ),
        async (body) => {
          const r = await post(body);
          await r.arrayBuffer();
          return r.status >= 400 && r.status < 500;
        },
      ),
      { numRuns: 150 },
    );
  });

  it("stores commitments, serves slots by id and name, streams events, certifies and records evidence", async () => {
    const slot = currentSlot() - 1n;
    const o = observationAt(slot, 9);
    const signed = commit(o);
    const root = toHex(observationRoot(domain, o));

    // Subscribe before anything happens for this slot.
    const ac = new AbortController();
    const es = await fetch(`${url}/v1/events?topics=commitment,certificate,evidence`, { signal: ac.signal });
    expect(es.status).toBe(200);
    expect(es.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = sseReader(es.body!);

    expect((await post(JSON.stringify(signedCommitmentToJson(signed)))).status).toBe(202);
    const ev1 = await events.next("commitment");
    expect(parseSignedCommitmentJson(ev1)).toEqual(signed);

    const byId = await getJson(`/v1/streams/${streamHex}/slots/${slot}`);
    expect(byId.status).toBe(200);
    expect(byId.body.commitments.map(parseSignedCommitmentJson)).toEqual([signed]);
    expect(byId.body.observation).toBeNull();
    expect(byId.body.certificate).toBeNull();
    expect(byId.body.attestations).toEqual([]);
    expect(byId.body.anchor).toEqual({ anchored: false });
    expect(await getJson(`/v1/streams/eez/slots/${slot}`)).toEqual(byId);
    expect(await getJson(`/v1/streams/${streamHex.toUpperCase().replace("0X", "0x")}/slots/${slot}`)).toEqual(
      byId,
    );

    // The node's own key votes (as gossip would deliver it): quorum 1/1 → certificate.
    const [res] = await node.validators.signObservationAll(domain, o);
    const att: Attestation = {
      domain,
      observation: o,
      setId: buildVerifierSet(set).setId,
      verifierIndex: 0,
      signature: res!.signature!,
    };
    const v = await node.chain.attestation.validate(encodeAttestationSsz(att));
    node.chain.attestation.accept(v);

    const ev2 = await events.next("certificate");
    const sets = [buildVerifierSet(set)];
    const fromEvent = parseCertificateJson(ev2.certificate);
    expect(verifyCertificate(fromEvent, sets).ok).toBe(true);
    expect(ev2.signedWeight).toBe("1");

    const certResp = await waitForStatus(`/v1/streams/eez/certificates/${slot}`, 200);
    const cert = parseCertificateJson(certResp.body);
    expect(verifyCertificate(cert, sets).ok).toBe(true);
    expect(toHex(observationRoot(cert.domain, cert.observation))).toBe(root);

    const view = await getJson(`/v1/streams/eez/slots/${slot}`);
    expect(view.body.attestations).toEqual([
      { root, setId: toHex(sets[0]!.setId), signedWeight: "1", totalWeight: "1", signers: 1 },
    ]);
    expect(parseCertificateJson(view.body.certificate)).toEqual(cert);
    const health = await getJson("/v1/node/health");
    expect(health.body.lastCertifiedSlot).toBe(slot.toString());

    // The same builder signs another observation for the slot: equivocation.
    const other = commit(observationAt(slot, 20));
    expect((await post(JSON.stringify(signedCommitmentToJson(other)))).status).toBe(202);
    const ev3 = await events.next("evidence");
    expect(ev3.kind).toBe("builder");
    const list = await waitFor(async () => {
      const r = await getJson(`/v1/evidence?stream=eez&fromSlot=${slot}`);
      return r.body.length > 0 ? r.body : undefined;
    });
    expect(list).toEqual([ev3]);
    expect(list[0].stream).toBe(streamHex);
    expect(list[0].slot).toBe(slot.toString());
    const pair = [
      parseSignedCommitmentJson(list[0].evidence.a),
      parseSignedCommitmentJson(list[0].evidence.b),
    ];
    expect(new Set(pair.map((p) => toHex(observationRoot(domain, p.commitment.observation))))).toEqual(
      new Set([root, toHex(observationRoot(domain, other.commitment.observation))]),
    );
    expect((await getJson(`/v1/evidence?fromSlot=${slot + 1n}`)).body).toEqual([]);
    expect((await getJson("/v1/evidence?limit=1")).body).toHaveLength(1);
    ac.abort();
  });

  it("describes every route in /openapi.json", async () => {
    const { status, body } = await getJson("/openapi.json");
    expect(status).toBe(200);
    expect(body.openapi).toBe("3.1.0");
    const expected: [string, string][] = [
      ["/livez", "get"],
      ["/readyz", "get"],
      ["/v1/node/health", "get"],
      ["/v1/node/identity", "get"],
      ["/v1/node/peers", "get"],
      ["/v1/sets", "get"],
      ["/v1/streams/{stream}/slots", "get"],
      ["/v1/streams/{stream}/slots/{slot}", "get"],
      ["/v1/streams/{stream}/certificates/{slot}", "get"],
      ["/v1/evidence", "get"],
      ["/v1/commitments", "post"],
      ["/v1/events", "get"],
      ["/metrics", "get"],
      ["/openapi.json", "get"],
    ];
    for (const [path, method] of expected) expect(body.paths[path]?.[method], path).toBeDefined();
    expect(Object.keys(body.paths).sort()).toEqual(expected.map(([p]) => p).sort());
    const post = body.paths["/v1/commitments"].post;
    expect(post.security).toEqual([{ bearerAuth: [] }]);
    expect(post.requestBody.content["application/json"].schema.required).toEqual([
      "domain",
      "commitment",
      "signature",
    ]);
    const slot = body.paths["/v1/streams/{stream}/slots/{slot}"].get;
    expect(slot.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual([
      "path:stream",
      "path:slot",
    ]);
    expect(body.paths["/v1/evidence"].get.parameters.map((p: { name: string }) => p.name)).toEqual([
      "stream",
      "fromSlot",
      "limit",
    ]);
    expect(body.components.securitySchemes.bearerAuth).toEqual({ type: "http", scheme: "bearer" });
  });

  it("exposes the named series on /metrics", async () => {
    const r = await fetch(`${url}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await r.text();
    for (const name of [
      "ocp_gossip_validation_total",
      "ocp_bls_batch_sets_bucket",
      "ocp_bls_verify_seconds_bucket",
      "ocp_certificate_latency_seconds",
      'ocp_peers{direction="inbound"} 0',
      "# TYPE ocp_peer_gossip_score histogram",
      "ocp_anchor_transactions_total",
      "ocp_anchor_gas_used_total 0",
      "ocp_anchor_balance_wei 0",
      "process_cpu_user_seconds_total",
      "nodejs_heap_size_used_bytes",
      'ocp_api_requests_total{route="/v1/commitments",status="202"}',
    ]) {
      expect(text, name).toContain(name);
    }
    const dbSize = Number(/^ocp_db_size_bytes (\d+)$/m.exec(text)?.[1]);
    expect(dbSize).toBeGreaterThan(0);
    // The BLS verify histogram counted the attestation's verification.
    expect(Number(/^ocp_bls_verify_seconds_count\{kind="[a-z_]+"\} (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(
      0,
    );
  });

  async function waitForStatus(path: string, status: number): Promise<{ status: number; body: any }> {
    return waitFor(async () => {
      const r = await getJson(path);
      return r.status === status ? r : undefined;
    });
  }
});

function withSlot(good: ReturnType<typeof signedCommitmentToJson>, slot: unknown): unknown {
  return {
    ...good,
    commitment: { ...good.commitment, observation: { ...good.commitment.observation, slot } },
  };
}
