// Peers this node has connected to, so a restart can dial them before the
// bootstrap list (keyed by the peer id string).
import { Bucket } from "./buckets.js";
import type { Database } from "./database.js";
import { type Codec, jsonCodec, Repository, utf8Codec } from "./repository.js";

export interface PeerRecord {
  multiaddrs: string[];
  /** Local wall-clock time of the last successful connection (ms since epoch). */
  lastSeenMs: number;
}

function peerFromJson(j: unknown): PeerRecord {
  const r = j as Partial<PeerRecord>;
  return {
    multiaddrs: Array.isArray(r.multiaddrs) ? r.multiaddrs.filter((m) => typeof m === "string") : [],
    lastSeenMs: typeof r.lastSeenMs === "number" ? r.lastSeenMs : 0,
  };
}

export const peerRecordCodec: Codec<PeerRecord> = jsonCodec<PeerRecord, PeerRecord>((r) => r, peerFromJson);

/** Key layout: utf8(peerId). */
export class PeerRepository extends Repository<string, PeerRecord> {
  constructor(db: Database, codec: Codec<PeerRecord> = peerRecordCodec) {
    super(db, Bucket.peers, utf8Codec, codec);
  }

  /** All known peers, most recently seen first, at most `limit`. */
  async recent(limit = 64): Promise<{ peerId: string; record: PeerRecord }[]> {
    const all: { peerId: string; record: PeerRecord }[] = [];
    for await (const { key, value } of this.entries()) all.push({ peerId: key, record: value });
    all.sort((a, b) => b.record.lastSeenMs - a.record.lastSeenMs);
    return all.slice(0, limit);
  }

  /** Forgets all but the `keep` most recently seen peers; returns how many were forgotten. */
  async prune(keep: number): Promise<number> {
    const stale = (await this.recent(Number.POSITIVE_INFINITY)).slice(keep).map((p) => p.peerId);
    if (stale.length > 0) await this.batchDelete(stale);
    return stale.length;
  }
}
