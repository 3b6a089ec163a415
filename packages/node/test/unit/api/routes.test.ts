// The HTTP API over in-memory fakes of the narrow interfaces it reads
// (api/interfaces.ts): no libp2p, no LevelDB, requests sent with fastify's
// `inject`. The real-node wiring is covered by server.test.ts.
import { EventEmitter } from "node:events";
import {
  type Attestation,
  buildVerifierSet,
  type Certificate,
  fromHex,
  getBls,
  type Observation,
  SCHEMA_EEZ_V1,
  type SignedCommitment,
  type SszEvidence,
  signCommitment,
  signedCommitmentToJson,
  streamId,
  toHex,
  VerifierSetRegistry,
} from "@ocp/protocol";
import type { FastifyInstance } from "fastify";
import { privateKeyToAccount } from "viem/accounts";
import { afterEach, describe, expect, it } from "vitest";
import { metricValue, series } from "../../../../../test/utils/metrics.js";
import { ApiErrorCode } from "../../../src/api/errors.js";
import type { ApiEventListeners, ApiModules, Readiness } from "../../../src/api/index.js";
import { ApiServer } from "../../../src/api/server.js";
import type { StreamContext } from "../../../src/checkers/types.js";
import type { ObservationRecord } from "../../../src/db/observations.js";
import { ANVIL_PRIVATE_KEYS } from "../../../src/devnet/anvil.js";
import { createMetrics } from "../../../src/metrics/metrics.js";
import { GossipAction, GossipActionError } from "../../../src/network/errors.js";
import type { PeerInfo } from "../../../src/network/peers.js";

const TOKEN = "unit-token";
const TABLE = "0x00000000000000000000000000000000000007ab" as const;
const domain = { chainId: 31337, verifyingContract: fromHex("0x00000000000000000000000000000000000a0c4e") };
const stream: StreamContext = {
  name: "eez",
  id: streamId(31337, fromHex(TABLE)),
  l1ChainId: 31337,
  tableContract: TABLE,
};
const BUILDER_KEY = fromHex(ANVIL_PRIVATE_KEYS[1]);
const BUILDER = fromHex(privateKeyToAccount(ANVIL_PRIVATE_KEYS[1]).address);

const bls = getBls();
const sk = bls.keygen(new Uint8Array(32).fill(7));
const pubkey = bls.publicKeyToBytes(bls.publicKey(sk));
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
  entryCount: 2,
});
const certificateAt = (slot: bigint): Certificate => ({
  domain,
  observation: observationAt(slot),
  setId: set.setId,
  signers: Uint8Array.of(1),
  aggregateSignature: new Uint8Array(96).fill(3),
});

/** In-memory stand-ins for what the API reads; `state` is what the tests set. */
function fakes() {
  const state = {
    peerIdThrows: false,
    head: 40n as bigint | null,
    peers: [] as PeerInfo[],
    certificates: new Map<bigint, Certificate>(),
    commitments: new Map<bigint, SignedCommitment[]>(),
    observations: new Map<bigint, ObservationRecord>(),
    evidence: [] as SszEvidence[],
    submitted: [] as SignedCommitment[],
    submitError: undefined as Error | undefined,
    readiness: { ready: true, failing: [] } as Readiness,
    subscribed: 0,
  };
  const events = new EventEmitter<{ [K in keyof ApiEventListeners]: Parameters<ApiEventListeners[K]> }>();
  const metrics = createMetrics(
    { dataDir: "/nonexistent", processMetrics: false },
    { getPeers: () => [], anchorBacklog: () => undefined },
  );
  const modules: ApiModules = {
    chain: {
      domain,
      streams: [stream],
      sets: new VerifierSetRegistry([set]),
      attestationGroups: () => [],
      bestCertificate: async (_s, slot) => state.certificates.get(slot),
      submitCommitment: async (signed) => {
        if (state.submitError) throw state.submitError;
        state.submitted.push(signed);
      },
    },
    db: {
      certificates: {
        latest: async () =>
          [...state.certificates.values()].sort((a, b) => Number(b.observation.slot - a.observation.slot))[0],
      },
      commitments: { bySlot: async (_s, slot) => state.commitments.get(slot) ?? [] },
      observations: { getOwn: async (_s, slot) => state.observations.get(slot) },
      attestations: { bySlot: async (): Promise<Attestation[]> => [] },
      evidence: { range: async (_s, _from, _to, limit) => state.evidence.slice(0, limit) },
    },
    network: {
      opts: { network: "unitnet" },
      get peerId(): string {
        if (state.peerIdThrows) throw new Error("network not started");
        return "12D3KooWFake";
      },
      getMultiaddrs: () => ["/ip4/127.0.0.1/tcp/9000/p2p/12D3KooWFake"],
      getPeers: () => state.peers,
    },
    clock: { currentSlot: () => state.head },
    validators: { pubkeys: [pubkey] },
    metrics: metrics.api,
    readiness: async () => state.readiness,
    events: (l) => {
      state.subscribed++;
      for (const [k, fn] of Object.entries(l)) events.on(k as keyof ApiEventListeners, fn as never);
      return () => {
        state.subscribed--;
        for (const [k, fn] of Object.entries(l)) events.off(k as keyof ApiEventListeners, fn as never);
      };
    },
  };
  return { state, modules, metrics };
}

describe("api routes over fakes", () => {
  let server: ApiServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  async function build(): Promise<{ app: FastifyInstance } & ReturnType<typeof fakes>> {
    const f = fakes();
    server = new ApiServer({ bearerToken: TOKEN }, f.modules);
    return { app: await server.build(), ...f };
  }

  it("identity reads the network, chain and validators; 503 while the host is not up", async () => {
    const { app, state } = await build();
    const r = await app.inject({ method: "GET", url: "/v1/node/identity" });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({
      apiVersion: "1",
      peerId: "12D3KooWFake",
      network: "unitnet",
      domain: { chainId: 31337 },
      verifierPubkeys: [toHex(pubkey)],
    });
    expect(body.streams).toEqual([
      { name: "eez", id: toHex(stream.id), l1ChainId: 31337, tableContract: TABLE.toLowerCase() },
    ]);
    state.peerIdThrows = true;
    const down = await app.inject({ method: "GET", url: "/v1/node/identity" });
    expect(down.statusCode).toBe(503);
    expect(down.json().code).toBe(ApiErrorCode.NOT_READY);
  });

  it("health: head, peers, the latest stored certificate", async () => {
    const { app, state } = await build();
    let r = await app.inject({ method: "GET", url: "/v1/node/health" });
    expect(r.json()).toEqual({
      status: "degraded",
      headSlot: "40",
      peers: 0,
      lastCertifiedSlot: null,
      anchorBacklog: null,
    });
    state.certificates.set(12n, certificateAt(12n));
    state.certificates.set(30n, certificateAt(30n));
    state.peers = [
      {
        peerId: "p",
        addrs: [],
        direction: "inbound",
        status: undefined,
        score: 0,
        connectedAtMs: 0,
        isStatic: false,
      },
    ];
    r = await app.inject({ method: "GET", url: "/v1/node/health" });
    expect(r.json()).toMatchObject({ status: "ok", peers: 1, lastCertifiedSlot: "30" });
  });

  it("slot view: 404 when nothing is known, the certificate once one is held", async () => {
    const { app, state } = await build();
    const none = await app.inject({ method: "GET", url: "/v1/streams/eez/slots/9" });
    expect(none.statusCode).toBe(404);
    expect(none.json().code).toBe(ApiErrorCode.NOT_FOUND);
    state.certificates.set(9n, certificateAt(9n));
    const r = await app.inject({ method: "GET", url: `/v1/streams/${toHex(stream.id)}/slots/9` });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      stream: toHex(stream.id),
      slot: "9",
      commitments: [],
      observation: null,
      attestations: [],
      certificate: { setId: set.setIdHex, signers: "0x01" },
      anchor: { anchored: false },
    });
    const cert = await app.inject({ method: "GET", url: "/v1/streams/eez/certificates/9" });
    expect(cert.json().observation.slot).toBe("9");
    const unknown = await app.inject({ method: "GET", url: "/v1/streams/nope/slots/9" });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe(ApiErrorCode.UNKNOWN_STREAM);
  });

  it("commitments: closed without the token, handed to the chain with it, a gossip error is the client's 400", async () => {
    const { app, state } = await build();
    const signed = signCommitment(domain, { observation: observationAt(5n), builder: BUILDER }, BUILDER_KEY);
    const payload = JSON.stringify(signedCommitmentToJson(signed));
    const post = (headers: Record<string, string>) =>
      app.inject({
        method: "POST",
        url: "/v1/commitments",
        headers: { "content-type": "application/json", ...headers },
        payload,
      });
    const anon = await post({});
    expect(anon.statusCode).toBe(401);
    expect(anon.json().code).toBe(ApiErrorCode.UNAUTHORIZED);
    expect(state.submitted).toHaveLength(0);

    const ok = await post({ authorization: `Bearer ${TOKEN}` });
    expect(ok.statusCode).toBe(202);
    expect(state.submitted).toHaveLength(1);
    expect(signedCommitmentToJson(state.submitted[0]!)).toEqual(signedCommitmentToJson(signed));

    state.submitError = new GossipActionError(GossipAction.REJECT, "COMMITMENT_ERROR_INVALID_SIGNATURE");
    const bad = await post({ authorization: `Bearer ${TOKEN}` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe("COMMITMENT_ERROR_INVALID_SIGNATURE");
  });

  it("sets and evidence limits", async () => {
    const { app } = await build();
    const sets = await app.inject({ method: "GET", url: "/v1/sets" });
    expect(sets.json()).toEqual([
      {
        setId: set.setIdHex,
        epoch: "0",
        activationSlot: "0",
        quorum: { numerator: 2, denominator: 3 },
        totalWeight: "1",
        verifiers: [{ pubkey: toHex(pubkey), weight: "1" }],
      },
    ]);
    const evidence = await app.inject({ method: "GET", url: "/v1/evidence" });
    expect(evidence.json()).toEqual([]);
    const tooMany = await app.inject({ method: "GET", url: "/v1/evidence?limit=1001" });
    expect(tooMany.statusCode).toBe(400);
  });

  it("readyz answers 503 naming each failing condition", async () => {
    const { app, state } = await build();
    expect((await app.inject({ method: "GET", url: "/readyz" })).json()).toEqual({
      status: "ready",
      failing: [],
    });
    state.readiness = { ready: false, failing: [{ condition: "TOO_FEW_PEERS", detail: "0 peers (need 1)" }] };
    const r = await app.inject({ method: "GET", url: "/readyz" });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toEqual({
      status: "unready",
      failing: [{ condition: "TOO_FEW_PEERS", detail: "0 peers (need 1)" }],
    });
  });

  it("counts requests by route and status in the registry /metrics serves; unsubscribes at stop", async () => {
    const { app, state, metrics } = await build();
    expect(state.subscribed).toBe(1);
    await app.inject({ method: "GET", url: "/livez" });
    await app.inject({ method: "GET", url: "/livez" });
    await app.inject({ method: "GET", url: "/v1/streams/eez/slots/1" });
    const requests = series(metrics.registry, "ocp_api_requests_total");
    expect(await metricValue(requests, { route: "/livez", status: "200" })).toBe(2);
    expect(await metricValue(requests, { route: "/v1/streams/:stream/slots/:slot", status: "404" })).toBe(1);
    const text = (await app.inject({ method: "GET", url: "/metrics" })).body;
    expect(text).toMatch(/^ocp_api_requests_total\{route="\/livez",status="200"\} 2$/m);
    await server!.stop();
    server = undefined;
    expect(state.subscribed).toBe(0);
  });
});
