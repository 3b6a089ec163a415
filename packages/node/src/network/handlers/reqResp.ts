// The node's req/resp servers (tables by digest, certificates by slot range)
// and the chain part of its Status.
import {
  decodeCertificatesByRangeRequestSsz,
  decodeTableByDigestRequestSsz,
  encodeCertificatesByRangeResponseSsz,
  MAX_CERTIFICATES_PER_RANGE,
  splitTableFramesSsz,
  type VerifierSetRegistry,
} from "@ocp/protocol";
import type { NodeDb } from "../../db/nodeDb.js";
import type { Network } from "../network.js";
import type { LocalStatus } from "../peers.js";
import { ReqRespProtocolName } from "../reqresp/protocols.js";
import { ResponseCode, ResponseError } from "../reqresp/types.js";

export interface ReqRespHandlersModules {
  network: Pick<Network, "registerHandler">;
  db: { tables: Pick<NodeDb["tables"], "get">; certificates: Pick<NodeDb["certificates"], "range"> };
}

/** Serves both protocols (before or after the network starts). */
export async function registerReqRespHandlers(m: ReqRespHandlersModules): Promise<void> {
  await m.network.registerHandler(ReqRespProtocolName.tableByDigest, (req) => serveTable(m, req.data));
  await m.network.registerHandler(ReqRespProtocolName.certificatesByRange, (req) =>
    serveCertificates(m, req.data),
  );
}

async function* serveTable(m: ReqRespHandlersModules, data: Uint8Array): AsyncIterable<Uint8Array> {
  const req = decodeTableByDigestRequestSsz(data);
  const table = await m.db.tables.get(req.tableDigest);
  if (!table) throw new ResponseError(ResponseCode.RESOURCE_UNAVAILABLE, "unknown table");
  yield* splitTableFramesSsz(table);
}

async function* serveCertificates(m: ReqRespHandlersModules, data: Uint8Array): AsyncIterable<Uint8Array> {
  const req = decodeCertificatesByRangeRequestSsz(data);
  const count = Math.min(req.count, MAX_CERTIFICATES_PER_RANGE);
  const certs = await m.db.certificates.range(req.stream, req.startSlot, count);
  yield encodeCertificatesByRangeResponseSsz(certs);
}

/** The chain part of our Status: the 16 newest set ids, the latest certified slot, the head. */
export function localStatus(m: {
  sets: Pick<VerifierSetRegistry, "values">;
  latestCertifiedSlot(): bigint;
  headSlot(): bigint | null;
}): LocalStatus {
  return {
    setIds: m.sets
      .values()
      .slice(-16)
      .map((s) => s.setId),
    latestCertifiedSlot: m.latestCertifiedSlot(),
    headSlot: m.headSlot() ?? 0n,
  };
}
