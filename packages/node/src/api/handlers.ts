// The read routes' answers, computed from the API's narrow views of the node
// (api/interfaces.ts): identity, sets, health, a slot, evidence.
import { certificateToJson, domainToJson, fromHex, signedCommitmentToJson, toHex } from "@ocp/protocol";
import type { StreamContext } from "../checkers/types.js";
import { ApiError, ApiErrorCode } from "./errors.js";
import { whileRunning } from "./http.js";
import type { ApiAnchor, ApiChain, ApiClock, ApiDb, ApiNetwork, ApiValidators } from "./interfaces.js";
import { SLOTS_SCAN_MAX } from "./schemas.js";
import {
  type AnchorStatus,
  evidenceToJson,
  observationRecordToJson,
  weightsFromAttestations,
  weightsFromGroups,
} from "./views.js";

export const API_VERSION = "1";

/** What the read routes read. */
export interface ApiReadSources {
  chain: ApiChain;
  db: ApiDb;
  network: ApiNetwork;
  clock: ApiClock;
  validators: ApiValidators;
  anchor?: ApiAnchor | undefined;
  /** Anchoring state of a slot; `{anchored: false}` when absent. */
  anchorStatus?: ((stream: Uint8Array, slot: bigint) => Promise<AnchorStatus>) | undefined;
}

export function identity(s: ApiReadSources): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    peerId: whileRunning(() => s.network.peerId),
    multiaddrs: whileRunning(() => s.network.getMultiaddrs()),
    network: s.network.opts.network,
    domain: domainToJson(s.chain.domain),
    streams: s.chain.streams.map((st) => ({
      name: st.name,
      id: toHex(st.id),
      l1ChainId: st.l1ChainId,
      tableContract: st.tableContract.toLowerCase(),
    })),
    verifierPubkeys: s.validators.pubkeys.map((p) => toHex(p)),
  };
}

/** Every set held, by activation slot. */
export function verifierSets(s: ApiReadSources): Record<string, unknown>[] {
  return [...s.chain.sets.values()]
    .sort((a, b) => (a.activationSlot < b.activationSlot ? -1 : a.activationSlot > b.activationSlot ? 1 : 0))
    .map((set) => ({
      setId: set.setIdHex,
      epoch: set.epoch.toString(),
      activationSlot: set.activationSlot.toString(),
      quorum: { numerator: set.quorum.numerator, denominator: set.quorum.denominator },
      totalWeight: set.totalWeight.toString(),
      verifiers: set.verifiers.map((v) => ({ pubkey: toHex(v.pubkey), weight: v.weight.toString() })),
    }));
}

export async function health(s: ApiReadSources): Promise<Record<string, unknown>> {
  const head = s.clock.currentSlot();
  const peers = s.network.getPeers().length;
  let last: bigint | undefined;
  for (const st of s.chain.streams) {
    const cert = await s.db.certificates.latest(st.id);
    if (cert && (last === undefined || cert.observation.slot > last)) last = cert.observation.slot;
  }
  return {
    status: head !== null && peers > 0 ? "ok" : "degraded",
    headSlot: head === null ? null : head.toString(),
    peers,
    lastCertifiedSlot: last === undefined ? null : last.toString(),
    anchorBacklog: s.anchor?.backlog ?? null,
  };
}

export async function slotView(
  s: ApiReadSources,
  stream: StreamContext,
  slot: bigint,
): Promise<Record<string, unknown>> {
  const [commitments, record, cert, atts] = await Promise.all([
    s.db.commitments.bySlot(stream.id, slot),
    s.db.observations.getOwn(stream.id, slot),
    s.chain.bestCertificate(stream, slot),
    s.db.attestations.bySlot(stream.id, slot),
  ]);
  const groups = s.chain.attestationGroups(stream, slot);
  // The pool holds recent slots with arrival order; older ones come from the db.
  const weights = groups.length > 0 ? weightsFromGroups(groups) : weightsFromAttestations(atts, s.chain.sets);
  if (commitments.length === 0 && !record && !cert && weights.length === 0) {
    throw new ApiError(404, ApiErrorCode.NOT_FOUND, `nothing known for slot ${slot}`);
  }
  let anchor = (await s.anchorStatus?.(stream.id, slot)) ?? { anchored: false };
  // Anchored by another anchorer: this node holds no receipt, but an
  // anchorer can ask the contract (an eth_call, only for certified slots).
  if (!anchor.anchored && cert && s.anchor) {
    const root = await s.anchor.anchoredRoot(stream.id, slot).catch(() => undefined);
    if (root !== undefined) anchor = { anchored: true, outcome: "anchored-elsewhere" };
  }
  return {
    stream: toHex(stream.id),
    slot: slot.toString(),
    commitments: commitments.map(signedCommitmentToJson),
    observation: record ? observationRecordToJson(record) : null,
    attestations: weights,
    certificate: cert ? certificateToJson(cert) : null,
    anchor,
  };
}

/** Evidence of the given streams from `from`, at most `limit` items. */
/**
 * The slot views of the slots with anything known among `limit` slots read
 * back from `to` (default: the head), newest first.
 */
export async function recentSlots(
  s: ApiReadSources,
  stream: StreamContext,
  to: bigint | undefined,
  limit = 32,
): Promise<Record<string, unknown>[]> {
  if (limit > SLOTS_SCAN_MAX) {
    throw new ApiError(400, ApiErrorCode.INVALID_REQUEST, `limit must be ≤ ${SLOTS_SCAN_MAX}`);
  }
  const from = to ?? s.clock.currentSlot();
  const out: Record<string, unknown>[] = [];
  if (from === null) return out;
  for (let slot = from; slot >= 0n && from - slot < BigInt(limit); slot--) {
    const view = await slotView(s, stream, slot).catch((e: unknown) => {
      if (e instanceof ApiError && e.statusCode === 404) return null;
      throw e;
    });
    if (view !== null) out.push(view);
  }
  return out;
}

export async function evidenceList(
  s: ApiReadSources,
  streams: readonly StreamContext[],
  from: bigint,
  limit: number,
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const st of streams) {
    if (out.length >= limit) break;
    const items = await s.db.evidence.range(st.id, from, undefined, limit - out.length);
    for (const e of items) out.push(evidenceToJson(e));
  }
  return out;
}

/** A configured stream by 0x-hex id or name; 404 otherwise. */
export function findStream(streams: readonly StreamContext[], param: string): StreamContext {
  if (/^0x[0-9a-fA-F]{64}$/.test(param)) {
    const id = toHex(fromHex(param.toLowerCase() as `0x${string}`, 32));
    const s = streams.find((x) => toHex(x.id) === id);
    if (s) return s;
  } else {
    const s = streams.find((x) => x.name === param);
    if (s) return s;
  }
  throw new ApiError(404, ApiErrorCode.UNKNOWN_STREAM, `unknown stream "${param}"`);
}
