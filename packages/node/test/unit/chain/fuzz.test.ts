// Property test (issue proof 6): random and mutated bytes into every gossip
// validator and every req/resp handler give only typed rejections — never
// another exception, never a hang.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  encodeAttestationSsz,
  encodeCertificatesByRangeRequestSsz,
  encodeEvidenceSsz,
  encodeSignedCommitmentSsz,
  encodeStatusSsz,
  encodeTableByDigestRequestSsz,
  isProtocolError,
  SszEvidenceKind,
  toHex,
} from "@ocp/protocol";
import fc from "fast-check";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNetworkMetrics } from "../../../src/metrics/network.js";
import { GossipActionError } from "../../../src/network/errors.js";
import { registerReqRespHandlers } from "../../../src/network/handlers/reqResp.js";
import type { Host } from "../../../src/network/host.js";
import { resolveNetworkOptions } from "../../../src/network/options.js";
import { PeerManager } from "../../../src/network/peers.js";
import { ReqRespProtocolName } from "../../../src/network/reqresp/protocols.js";
import type { ReqResp } from "../../../src/network/reqresp/reqResp.js";
import { type ReqRespHandler, ResponseError } from "../../../src/network/reqresp/types.js";
import { OcpNode } from "../../../src/node.js";
import {
  attest,
  builderKey,
  commit,
  DOMAIN,
  makeSet,
  observation,
  STREAM,
  testChain,
  testKeys,
} from "./fixtures.js";

const HANG_MS = 5_000;

/** Resolves "ok" or the thrown value; fails the property on a hang. */
async function outcome(run: () => Promise<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("HANG")), HANG_MS);
  });
  try {
    await Promise.race([run(), hang]);
    return "ok";
  } catch (e) {
    if (e instanceof Error && e.message === "HANG") throw e;
    return e;
  } finally {
    clearTimeout(timer);
  }
}

/** Random bytes, and valid encodings cut, extended or with a few bytes flipped. */
function hostileBytes(valid: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const mutated = fc
    .record({
      base: fc.constantFrom(...valid),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
      cut: fc.option(fc.nat()),
      tail: fc.uint8Array({ maxLength: 8 }),
    })
    .map(({ base, flips, cut, tail }) => {
      const b = Uint8Array.from(base);
      for (const [at, x] of flips) b[at % b.length]! ^= x;
      const cutAt = cut === null ? b.length : cut % (b.length + 1);
      return Uint8Array.from([...b.subarray(0, cutAt), ...(cut === null ? tail : [])]);
    });
  return fc.oneof(fc.uint8Array({ maxLength: 700 }), mutated);
}

describe("gossip validators on hostile bytes", () => {
  const keys = testKeys(4);
  const set = makeSet(keys);
  const head = 20n;
  const obs = observation(head);
  const att = attest(keys[0]!, set, 0, obs);
  const b = builderKey(1);
  const builderAddr = new Uint8Array(20); // not b's address: signature check fails, still a valid encoding
  const valid = {
    commitment: [encodeSignedCommitmentSsz(commit(b, builderAddr, obs))],
    attestation: [encodeAttestationSsz(att)],
    certificate: [] as Uint8Array[],
    evidence: [
      encodeEvidenceSsz({
        kind: SszEvidenceKind.VerifierEquivocation,
        evidence: { a: att, b: attest(keys[0]!, set, 0, observation(head, 1)) },
      }),
    ],
  };

  it("only GossipActionError, never a hang, for every topic", async () => {
    const chain = testChain([set], head);
    const p = chain.pipeline;
    // A real certificate to mutate: quorum from three votes.
    for (let i = 0; i < 3; i++) {
      const v = await p.attestation.validate(encodeAttestationSsz(attest(keys[i]!, set, i, obs)));
      p.attestation.accept(v);
    }
    const [formed] = p.aggregator.flush();
    expect(formed).toBeDefined();
    const { encodeCertificateSsz } = await import("@ocp/protocol");
    valid.certificate.push(encodeCertificateSsz(formed!.certificate));

    const topics = [
      ["commitment", p.commitment, valid.commitment],
      ["attestation", p.attestation, valid.attestation],
      ["certificate", p.certificate, valid.certificate],
      ["evidence", p.evidence, valid.evidence],
    ] as const;
    for (const [name, handler, examples] of topics) {
      await fc.assert(
        fc.asyncProperty(hostileBytes(examples), async (bytes) => {
          const r = await outcome(() => handler.validate(bytes));
          if (r !== "ok" && !(r instanceof GossipActionError))
            throw new Error(`${name}: untyped ${String(r)} for ${toHex(bytes)}`);
        }),
        { numRuns: 1000 },
      );
    }
    await p.stop();
  }, 60_000);
});

describe("req/resp handlers on hostile bytes", () => {
  let dir: string;
  let node: OcpNode;
  const handlers = new Map<ReqRespProtocolName, ReqRespHandler>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ocp-fuzz-"));
    const set = makeSet(testKeys(4));
    node = new OcpNode(
      {
        dataDir: dir,
        domain: {
          chainId: DOMAIN.chainId,
          verifyingContract: toHex(DOMAIN.verifyingContract) as `0x${string}`,
        },
        streams: [],
        verifierSets: [
          {
            epoch: set.epoch,
            activationSlot: set.activationSlot,
            quorum: set.quorum,
            verifiers: set.verifiers.map((v) => ({ pubkey: v.pubkey, weight: v.weight, pop: v.pop })),
          },
        ],
        l1: { rpcUrls: ["http://127.0.0.1:1"] },
      },
      { logger: pino({ level: "silent" }) },
    );
    await node.db.start();
    await registerReqRespHandlers({
      network: { registerHandler: async (p, h) => void handlers.set(p, h) },
      db: node.db,
    });

    const host = {
      peerId: "self",
      onPeerConnect: () => undefined,
      onPeerDisconnect: () => undefined,
      getConnections: () => [],
      hangUp: async () => undefined,
    } as unknown as Host;
    const reqResp = {
      registerHandler: async (p: ReqRespProtocolName, h: ReqRespHandler) => void handlers.set(p, h),
    } as unknown as ReqResp;
    const peers = new PeerManager(resolveNetworkOptions({ network: "unit" }), {
      host,
      reqResp,
      metrics: createNetworkMetrics(new Registry()),
      logger: pino({ level: "silent" }),
      getStatus: () => ({ setIds: [], latestCertifiedSlot: 0n, headSlot: 0n }),
      getScore: () => 0,
      graylistThreshold: -16000,
    });
    await peers.init();
  });
  afterAll(async () => {
    await node.db.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const examples: Record<string, Uint8Array[]> = {
    [ReqRespProtocolName.status]: [
      encodeStatusSsz({
        network: new Uint8Array(32),
        setIds: [new Uint8Array(32)],
        latestCertifiedSlot: 5n,
        headSlot: 9n,
      }),
    ],
    [ReqRespProtocolName.tableByDigest]: [
      encodeTableByDigestRequestSsz({ stream: STREAM, tableDigest: new Uint8Array(32).fill(1) }),
    ],
    [ReqRespProtocolName.certificatesByRange]: [
      encodeCertificatesByRangeRequestSsz({ stream: STREAM, startSlot: 3n, count: 64 }),
    ],
  };

  it("only ResponseError or ProtocolError, never a hang, for every protocol", async () => {
    expect([...handlers.keys()].sort()).toEqual(Object.values(ReqRespProtocolName).sort());
    for (const [protocol, handler] of handlers) {
      await fc.assert(
        fc.asyncProperty(hostileBytes(examples[protocol]!), async (data) => {
          const r = await outcome(async () => {
            for await (const chunk of handler({ protocol, data, peer: "fuzzer" }))
              if (!(chunk instanceof Uint8Array)) throw new Error("non-bytes chunk");
          });
          if (r !== "ok" && !(r instanceof ResponseError) && !isProtocolError(r))
            throw new Error(`${protocol}: untyped ${String(r)} for ${toHex(data)}`);
        }),
        { numRuns: 1000 },
      );
    }
  }, 60_000);
});
